"""Sending slots per sender, shared by every worker through the database.

A sender (our SMS number, the WhatsApp sender, the calling number) may hand so many messages a
second to its provider. Each worker reserves the slots it needs by moving the sender's next
free slot forward in one short locked transaction, then waits for its slots. A worker killed
after reserving wastes its slots: the pace can fall behind, never run ahead.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from defensa.alerts.models import Channel, SenderPace

# Channel -> (setting with its rate, setting with its sender).
PACED: dict[str, tuple[str, str]] = {
    Channel.SMS: ("DEFENSA_SMS_PER_SECOND", "DEFENSA_TWILIO_FROM"),
    Channel.WHATSAPP: ("DEFENSA_WHATSAPP_PER_SECOND", "DEFENSA_TWILIO_WHATSAPP_FROM"),
    Channel.VOICE: ("DEFENSA_VOICE_CALLS_PER_SECOND", "DEFENSA_TWILIO_VOICE_FROM"),
}
# A paced channel sends in ticks of this many seconds (several messages a tick at high rates).
TICK = 0.1


def paced(channel: str) -> bool:
    return channel in PACED


def rate(channel: str) -> float:
    return float(getattr(settings, PACED[channel][0]))


def sender_key(channel: str) -> str:
    """The pace row's name: the channel and a hash of the sending number it limits."""
    sender = getattr(settings, PACED[channel][1]) or settings.DEFENSA_TWILIO_FROM
    digest = hashlib.sha256(sender.encode()).hexdigest()[:24]
    return f"{channel}:{digest}"


def per_tick(channel: str) -> int:
    """Messages one reservation takes: what the sender may send in a tick, at least one."""
    return max(1, int(rate(channel) * TICK))


def reserve(channel: str, count: int) -> datetime:
    """Reserve `count` consecutive slots; the first one's time (the others follow at the
    channel's rate)."""
    per_second = rate(channel)
    key = sender_key(channel)
    with transaction.atomic():
        row = SenderPace.objects.select_for_update().filter(sender=key).first()
        if row is None:
            row, _created = SenderPace.objects.get_or_create(sender=key)
            row = SenderPace.objects.select_for_update().get(pk=row.pk)
        start = max(row.next_slot, timezone.now())
        row.next_slot = start + timedelta(seconds=count / per_second)
        row.save(update_fields=["next_slot"])
    return start


def wait_until(moment: datetime) -> None:
    delay = (moment - timezone.now()).total_seconds()
    if delay > 0:
        time.sleep(delay)
