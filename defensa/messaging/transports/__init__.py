"""One module per channel, all behind the same small interface.

Adding a channel: write `transports/<name>.py` with a `Transport` subclass, register it in
`REGISTRY`, add its settings to `settings.py` and `.env.example`, and test it against a local
fake of the provider (see CONTRIBUTING.md).
"""

from __future__ import annotations

from defensa.messaging.models import Channel
from defensa.messaging.transports.base import Outgoing, Result, Transport, TransportError
from defensa.messaging.transports.email import EmailTransport
from defensa.messaging.transports.push import WebPush
from defensa.messaging.transports.signal import SignalTransport
from defensa.messaging.transports.sms import TwilioSMS
from defensa.messaging.transports.voice import TwilioVoice
from defensa.messaging.transports.whatsapp import TwilioWhatsApp

REGISTRY: dict[str, type[Transport]] = {
    Channel.SMS: TwilioSMS,
    Channel.SIGNAL: SignalTransport,
    Channel.EMAIL: EmailTransport,
    # Channels only alerts use (members are reached by SMS, Signal or e-mail).
    "push": WebPush,
    "whatsapp": TwilioWhatsApp,
    "voice": TwilioVoice,
}


def get(channel: str) -> Transport:
    return REGISTRY[channel]()


def configured(channel: str) -> bool:
    return channel in REGISTRY and REGISTRY[channel].configured()


__all__ = ["REGISTRY", "Outgoing", "Result", "Transport", "TransportError", "configured", "get"]
