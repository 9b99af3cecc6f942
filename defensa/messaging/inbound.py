"""Messages members send us (SMS replies, Signal messages), routed to the app that expects them.

The sender's number is used to answer and to check who sent a reply; it is never stored or
logged. Apps register handlers in settings.DEFENSA_INBOUND_HANDLERS; the first that
recognises a message answers it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from defensa.core.validation import clean_text

MAX_TEXT = 1600  # Twilio's limit for one inbound message


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender: str
    text: str

    def words(self) -> list[str]:
        """Upper-cased words without accents: "sí 123" and "SI 123" read the same."""
        plain = unicodedata.normalize("NFKD", self.text)
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        return plain.upper().split()


Handler = Callable[[Inbound], str | None]


def route(channel: str, sender: str, text: str) -> str | None:
    """The reply to send back, or None when no app recognised the message."""
    try:
        text = clean_text(text, max_length=MAX_TEXT, multiline=True)
    except ValidationError:
        return None
    message = Inbound(channel=channel, sender=sender, text=text)
    for path in settings.DEFENSA_INBOUND_HANDLERS:
        handler: Handler = import_string(path)
        reply = handler(message)
        if reply is not None:
            return reply
    return None
