"""One module per channel, all behind the same small interface.

Adding a channel: write `transports/<name>.py` with a `Transport` subclass, register it in
`REGISTRY`, add its settings to `settings.py` and `.env.example`, and test it against a local
fake of the provider (see CONTRIBUTING.md).
"""

from __future__ import annotations

from defensa.messaging.models import Channel
from defensa.messaging.transports.base import Transport, TransportError
from defensa.messaging.transports.email import EmailTransport
from defensa.messaging.transports.signal import SignalTransport
from defensa.messaging.transports.sms import TwilioSMS

REGISTRY: dict[str, type[Transport]] = {
    Channel.SMS: TwilioSMS,
    Channel.SIGNAL: SignalTransport,
    Channel.EMAIL: EmailTransport,
}


def get(channel: str) -> Transport:
    return REGISTRY[channel]()


def configured(channel: str) -> bool:
    return channel in REGISTRY and REGISTRY[channel].configured()


__all__ = ["REGISTRY", "Transport", "TransportError", "configured", "get"]
