"""Members' secret calendar links."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from defensa.core import audit
from defensa.network.models import Person
from defensa.shifts.actions._shared import _actor
from defensa.shifts.feeds import feed_hash
from defensa.shifts.models import (
    CalendarFeed,
)


@transaction.atomic
def create_calendar_feed(*, actor: Person | None, person: Person) -> str:
    """A new secret calendar link for `person` (any earlier one stops working)."""
    _revoke_feeds(person)
    token = secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(person=person, token_hash=feed_hash(token))
    audit.record(
        actor=_actor(actor),
        verb="shifts.calendar_link_created",
        target=feed,
        committee=person.home_committee.code,
    )
    return token


@transaction.atomic
def revoke_calendar_feed(*, actor: Person | None, person: Person) -> int:
    count = _revoke_feeds(person)
    if count:
        audit.record(
            actor=_actor(actor),
            verb="shifts.calendar_link_revoked",
            object_type="shifts.calendarfeed",
            object_code=str(person.code),
            committee=person.home_committee.code,
        )
    return count


def _revoke_feeds(person: Person) -> int:
    return CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
