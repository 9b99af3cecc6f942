"""WhatsApp through Twilio's Messages API: the same call as SMS, with "whatsapp:" addresses.

Outside the 24-hour window WhatsApp only delivers approved templates; an alert is a
business-initiated message, so the sender (DEFENSA_TWILIO_WHATSAPP_FROM) must be a WhatsApp
sender whose alert template Twilio approved (Twilio matches the text to it).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from defensa.messaging.transports.base import Outgoing, Result, Transport
from defensa.messaging.transports.sms import (
    in_flight,
    sender_field,
    status_callback_url,
    twilio_configured,
    twilio_post,
)

PREFIX = "whatsapp:"


def _address(number: str) -> str:
    return number if number.startswith(PREFIX) else PREFIX + number


def _sender() -> dict[str, str]:
    sender = settings.DEFENSA_TWILIO_WHATSAPP_FROM
    return sender_field(sender if sender.startswith("MG") else _address(sender))


class TwilioWhatsApp(Transport):
    @classmethod
    def configured(cls) -> bool:
        return twilio_configured() and bool(settings.DEFENSA_TWILIO_WHATSAPP_FROM)

    def send(self, *, to: str, body: str) -> str:
        return twilio_post("Messages", {"To": _address(to), "Body": body, **_sender()})

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        callback = status_callback_url()

        def send(message: Outgoing) -> str:
            data = {"To": _address(str(message.to)), "Body": message.body}
            return twilio_post("Messages", {**data, "StatusCallback": callback, **_sender()})

        return in_flight(send, messages)
