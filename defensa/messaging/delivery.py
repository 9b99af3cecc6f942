"""Delivering queued messages to members.

Delivery is at least once: a message is claimed with a lease, sent, then marked sent. A worker
killed between sending and marking leaves the lease to run out, and the message is sent again
(one duplicate per failure, never a loss). Temporary failures back off; permanent ones, or too
many attempts, park the message as dead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from defensa.core.privacy import scrub
from defensa.messaging import transports
from defensa.messaging.models import CHANNEL_CONTACT, Channel, MessageStatus, OutgoingMessage
from defensa.network.access import contact_methods_for_delivery

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BACKOFF_START = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
KEEP_SENT = timedelta(days=7)


def claim(message: OutgoingMessage, *, now: datetime) -> bool:
    """Take the lease on one message; False when someone else holds it or it is done."""
    due = Q(status=MessageStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, claimed_until__lt=now
    )
    claimed = OutgoingMessage.objects.filter(due, pk=message.pk).update(
        status=MessageStatus.SENDING, claimed_until=now + LEASE
    )
    return claimed == 1


def due_messages(*, now: datetime, limit: int = 100) -> list[OutgoingMessage]:
    due = Q(status=MessageStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, claimed_until__lt=now
    )
    return list(OutgoingMessage.objects.filter(due).order_by("next_attempt_at")[:limit])


def deliver(message: OutgoingMessage, *, now: datetime | None = None) -> str:
    """Send one message if it can be claimed. Returns its status afterwards."""
    now = now or timezone.now()
    if not claim(message, now=now):
        return str(OutgoingMessage.objects.get(pk=message.pk).status)
    message.refresh_from_db()
    address = _address(message)
    attempts = message.attempts + 1
    try:
        if address is None:
            raise transports.TransportError("no address for this channel", permanent=True)
        transports.get(message.channel).send(to=address, body=message.body)
    except transports.TransportError as exc:
        error = scrub(str(exc))[:200]
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            _finish(message, status=MessageStatus.DEAD, attempts=attempts, error=error)
            logger.warning("message %s to a member failed for good: %s", message.code, error)
            return MessageStatus.DEAD
        delay = min(BACKOFF_START * 2 ** (attempts - 1), BACKOFF_MAX)
        OutgoingMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.PENDING,
            attempts=attempts,
            next_attempt_at=timezone.now() + delay,
            claimed_until=None,
            last_error=error,
        )
        return MessageStatus.PENDING
    _finish(message, status=MessageStatus.SENT, attempts=attempts, error="")
    return MessageStatus.SENT


def _finish(message: OutgoingMessage, *, status: str, attempts: int, error: str) -> None:
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status=status,
        attempts=attempts,
        claimed_until=None,
        last_error=error,
        sent_at=timezone.now() if status == MessageStatus.SENT else None,
    )


def _address(message: OutgoingMessage) -> str | None:
    wanted = CHANNEL_CONTACT[Channel(message.channel)]
    for contact in contact_methods_for_delivery(message.person):
        if contact["kind"] == wanted:
            return str(contact["value"])
    return None


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send what is due (and what a dead worker left claimed). Returns how many were sent."""
    now = now or timezone.now()
    return sum(
        deliver(message, now=now) == MessageStatus.SENT
        for message in due_messages(now=now, limit=limit)
    )


def forget_old_messages(*, now: datetime | None = None) -> int:
    """Delivered or failed messages are kept a week for troubleshooting, then deleted."""
    cutoff = (now or timezone.now()) - KEEP_SENT
    deleted, _rows = OutgoingMessage.objects.filter(
        status__in=[MessageStatus.SENT, MessageStatus.DEAD], created_at__lt=cutoff
    ).delete()
    return deleted
