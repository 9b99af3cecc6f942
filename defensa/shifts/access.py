"""Every permission-checked read of the shift schedules (deny by default; refusals are 404)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from defensa.core.access import NotFound, first_or_404
from defensa.network.access import Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee, Membership, Person, Role
from defensa.shifts import timeutil
from defensa.shifts.feeds import feed_hash
from defensa.shifts.models import (
    Assignment,
    CalendarFeed,
    ShiftTemplate,
    Slot,
    TimeBlock,
)


class ShiftCan(StrEnum):
    VIEW_SCHEDULE = "view_schedule"
    SEE_NAMES = "see_names"
    MANAGE = "manage"


# Every member sees the schedule (how many are on each slot, and their own shifts); who is
# on is for coordinators and dispatchers (who send people); coordinators run the schedule.
POLICY: Mapping[ShiftCan, frozenset[str]] = {
    ShiftCan.VIEW_SCHEDULE: frozenset(Role),
    ShiftCan.SEE_NAMES: frozenset({Role.COORDINATOR, Role.DISPATCHER}),
    ShiftCan.MANAGE: frozenset({Role.COORDINATOR}),
}


def can(viewer: Viewer, capability: ShiftCan, committee: Committee) -> bool:
    return bool(viewer.roles.get(committee.id, frozenset()) & POLICY[capability])


def committee(viewer: Viewer, code: uuid.UUID | str, need: ShiftCan) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[need])


def _require(viewer: Viewer, need: ShiftCan, found: Committee) -> None:
    if not can(viewer, need, found):
        raise NotFound


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


# --- Schedules --------------------------------------------------------------------------------


def templates(viewer: Viewer, found: Committee) -> QuerySet[ShiftTemplate]:
    _require(viewer, ShiftCan.VIEW_SCHEDULE, found)
    return (
        ShiftTemplate.objects.filter(committee=found, archived_at__isnull=True)
        .select_related("zone")
        .prefetch_related(
            Prefetch(
                "blocks",
                queryset=TimeBlock.objects.filter(removed_at__isnull=True).order_by(
                    "kind", "weekday", "start_date", "start_time"
                ),
            )
        )
        .order_by("zone__name", "role")
    )


def template(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> ShiftTemplate:
    _require(viewer, ShiftCan.MANAGE, found)
    return first_or_404(templates(viewer, found).filter(code=_uuid(code)))


def block(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> TimeBlock:
    _require(viewer, ShiftCan.MANAGE, found)
    return first_or_404(
        TimeBlock.objects.filter(
            code=_uuid(code), template__committee=found, removed_at__isnull=True
        ).select_related("template__committee")
    )


def week_slots(viewer: Viewer, found: Committee, monday: date) -> QuerySet[Slot]:
    """The slots starting in the committee's local week from `monday`, with their sign-ups."""
    _require(viewer, ShiftCan.VIEW_SCHEDULE, found)
    tz = timeutil.committee_tz(found)
    first = timeutil.wall_to_utc(monday, datetime.min.time(), tz)
    last = timeutil.wall_to_utc(monday + timedelta(days=7), datetime.min.time(), tz)
    active = Assignment.objects.filter(cancelled_at__isnull=True).select_related("person")
    return (
        Slot.objects.filter(committee=found, starts_at__gte=first, starts_at__lt=last)
        .filter(Q(cancelled_at__isnull=True) | Q(assignments__isnull=False))
        .distinct()
        .select_related("zone", "template")
        .prefetch_related(Prefetch("assignments", queryset=active, to_attr="active"))
        .order_by("starts_at")
    )


def slot(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Slot:
    _require(viewer, ShiftCan.VIEW_SCHEDULE, found)
    return first_or_404(
        Slot.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )


def member(viewer: Viewer, found: Committee, membership: uuid.UUID | str) -> Person:
    """A member a coordinator may put on a slot."""
    _require(viewer, ShiftCan.MANAGE, found)
    return first_or_404(
        Membership.objects.filter(
            committee=found, code=_uuid(membership), ended_at__isnull=True
        ).select_related("person")
    ).person


def members(viewer: Viewer, found: Committee) -> QuerySet[Membership]:
    _require(viewer, ShiftCan.MANAGE, found)
    return (
        Membership.objects.filter(committee=found, ended_at__isnull=True)
        .select_related("person")
        .order_by("person__display_name")
    )


def assignment(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Assignment:
    """A sign-up the viewer may change: their own, or any in a committee they coordinate."""
    _require(viewer, ShiftCan.VIEW_SCHEDULE, found)
    mine = Q(person=viewer.person) if viewer.person else Q(pk__in=[])
    allowed = Q() if can(viewer, ShiftCan.MANAGE, found) else mine
    return first_or_404(
        Assignment.objects.filter(allowed, committee=found, code=_uuid(code)).select_related(
            "slot", "person", "committee"
        )
    )


def my_assignments(viewer: Viewer, *, since: datetime | None = None) -> QuerySet[Assignment]:
    if viewer.person is None:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            person=viewer.person,
            cancelled_at__isnull=True,
            ends_at__gt=since or timezone.now(),
            committee_id__in=list(viewer.roles),
        )
        .select_related("committee", "zone", "slot")
        .order_by("starts_at")
    )


def on_now(viewer: Viewer, found: Committee, *, at: datetime | None = None) -> QuerySet[Assignment]:
    """Who is on shift now in this committee, every zone and role."""
    _require(viewer, ShiftCan.SEE_NAMES, found)
    at = at or timezone.now()
    return (
        Assignment.objects.filter(
            committee=found, cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at
        )
        .select_related("person", "zone")
        .order_by("role", "zone__name", "person__display_name")
    )


def load(viewer: Viewer, found: Committee, monday: date) -> list[dict[str, object]]:
    """Each member's hours and night shifts in the week from `monday` (all their committees)."""
    _require(viewer, ShiftCan.MANAGE, found)
    tz = timeutil.committee_tz(found)
    first = timeutil.wall_to_utc(monday, datetime.min.time(), tz)
    last = timeutil.wall_to_utc(monday + timedelta(days=7), datetime.min.time(), tz)
    people = {m.person_id: m.person.display_name for m in members(viewer, found)}
    shifts = Assignment.objects.filter(
        person_id__in=list(people),
        cancelled_at__isnull=True,
        starts_at__gte=first,
        starts_at__lt=last,
    ).only("person_id", "starts_at", "ends_at")
    minutes: dict[int, float] = dict.fromkeys(people, 0.0)
    counts: dict[int, int] = dict.fromkeys(people, 0)
    nights: dict[int, set[date]] = {pid: set() for pid in people}
    for a in shifts:
        minutes[a.person_id] += (a.ends_at - a.starts_at) / timedelta(minutes=1)
        counts[a.person_id] += 1
        nights[a.person_id] |= timeutil.night_dates(a.starts_at, a.ends_at, tz)
    return [
        {
            "name": name,
            "hours": round(minutes[pid] / 60, 1),
            "shifts": counts[pid],
            "nights": len(nights[pid]),
        }
        for pid, name in people.items()
    ]


# --- For the system (phone menu, dispatch): no viewer -----------------------------------------


def on_call_now(
    committee: Committee, role: str, zone_id: int | None = None, *, at: datetime | None = None
) -> QuerySet[Assignment]:
    """Who is on call now for a role, in a zone (or anywhere in the committee).

    One query on one indexed table: sign-ups carry their slot's committee, role, zone and
    times. People who went off call for the rest of their shift are left out; a shift for the
    whole committee (no zone) covers every zone.
    """
    at = at or timezone.now()
    where = Q(committee=committee, role=role, cancelled_at__isnull=True)
    where &= Q(starts_at__lte=at, ends_at__gt=at)
    where &= Q(off_call_at__isnull=True) | Q(off_call_at__gt=at)
    if zone_id is not None:
        where &= Q(zone_id=zone_id) | Q(zone__isnull=True)
    return Assignment.objects.filter(where)


def calendar_person(token: str) -> Person:
    """The person behind a secret calendar link; NotFound for a revoked or unknown one."""
    feed = (
        CalendarFeed.objects.filter(token_hash=feed_hash(token), revoked_at__isnull=True)
        .select_related("person")
        .first()
    )
    if feed is None:
        raise NotFound
    return feed.person


def has_calendar(person: Person) -> bool:
    return CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).exists()
