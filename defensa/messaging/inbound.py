"""Messages people send us (SMS, WhatsApp, Signal), routed to the app that expects them.

The sender's number is used to answer and to check who sent a reply; it is never stored or
logged. Apps register handlers in settings.DEFENSA_INBOUND_HANDLERS; the first that
recognises a message answers it (the hotline, last, takes everything else as a report).

Every sender passes a token bucket keyed by a keyed daily hash of their number: a flood from
one number gets one polite answer per window, then nothing until the bucket refills.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from defensa.core import privacy, ratelimit
from defensa.core.validation import neutralize
from defensa.messaging.models import SeenInbound

MAX_TEXT = 1600  # Twilio's limit for one inbound message
MAX_MEDIA = 10


@dataclass(frozen=True)
class MediaRef:
    """A file the provider holds for a message, named by the provider's own reference."""

    source: str  # "twilio" or "signal"
    locator: str  # a Twilio media path under our account, or a Signal attachment id
    source_id: str  # the provider's id for the file (MediaSid, attachment id)
    content_type: str = ""


@dataclass(frozen=True)
class Inbound:
    channel: str  # "sms", "whatsapp" or "signal"
    sender: str
    text: str
    to: str = ""  # the number it reached, for routing (E.164)
    message_id: str = ""  # the provider's id for the message
    media: tuple[MediaRef, ...] = field(default=())

    def words(self) -> list[str]:
        """Upper-cased words without accents: "sí 123" and "SI 123" read the same."""
        plain = unicodedata.normalize("NFKD", self.text)
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        return plain.upper().split()

    def sender_token(self, *, days_ago: int = 0) -> str:
        """A keyed hash of the sender under a daily secret that lives only in memory."""
        return privacy.client_token(f"{self.channel}:{self.sender}", days_ago=days_ago)


Handler = Callable[[Inbound], str | None]


def normalized(text: str) -> str:
    """What people wrote, kept exactly as written (the same code points every channel keeps),
    with only disguising characters made visible and control characters dropped."""
    return neutralize(text).strip()[:MAX_TEXT]


def within_limit(message: Inbound) -> bool:
    return ratelimit.bucket(
        f"inbound:{message.sender_token()}",
        per_minute=settings.DEFENSA_MESSAGE_PER_MINUTE,
        burst=settings.DEFENSA_MESSAGE_BURST,
    )


def over_limit_reply(message: Inbound) -> str | None:
    """One polite answer per few minutes to a sender over the limit; None after that (an
    answer to every message would let a forged sender make us flood someone's phone)."""
    if not cache.add(f"defensa:inbound-told:{message.sender_token()}", 1, timeout=300):
        return None
    parts = []
    for language in ("es", "en"):
        with translation.override(language):
            parts.append(
                _(
                    "We are receiving too many messages from this number. What you sent "
                    "before was received. Wait a few minutes, or call the hotline."
                )
            )
    return "\n".join(parts)


def route(message: Inbound) -> str | None:
    """The reply to send back, or None when no app answers."""
    message = Inbound(
        channel=message.channel,
        sender=message.sender,
        text=normalized(message.text),
        to=message.to,
        message_id=message.message_id,
        media=message.media[:MAX_MEDIA],
    )
    if not within_limit(message):
        return over_limit_reply(message)
    for path in settings.DEFENSA_INBOUND_HANDLERS:
        handler: Handler = import_string(path)
        reply = handler(message)
        if reply is not None:
            return reply
    return None


def handle_once(message: Inbound) -> str | None:
    """Route a message unless its provider id was handled before (providers retry).

    The id is recorded in the same transaction as the handling: if handling fails, the
    provider's retry is handled again; if it succeeded, the retry changes nothing.
    """
    with transaction.atomic():
        if message.message_id:
            try:
                with transaction.atomic():
                    SeenInbound.objects.create(external_id=message.message_id[:64])
            except IntegrityError:
                return None
        return route(message)


def forget_seen(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=2)
    deleted, _rows = SeenInbound.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
