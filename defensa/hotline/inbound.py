"""The hotline's handler for text messages (SMS, WhatsApp, Signal), last in
settings.DEFENSA_INBOUND_HANDLERS: whatever no other app recognised is someone reporting.

`messaging` has already checked the provider's signature, dropped repeats and limited each
sender; the conversation (`conversation.py`) decides what to keep and what to answer.
"""

from __future__ import annotations

from defensa.hotline import conversation
from defensa.messaging.inbound import Inbound


def handle(message: Inbound) -> str | None:
    return conversation.reply(message)
