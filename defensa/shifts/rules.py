"""Who may take a slot: membership, training, room on the slot, and volunteer care.

Every refusal says why in words a volunteer understands (and in their language).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from defensa.core.errors import ActionRefused
from defensa.network.models import Membership, Person, Qualification, QualificationKind
from defensa.shifts import timeutil
from defensa.shifts.models import QUALIFICATION_FOR, Assignment, CareLimits, ShiftRole, Slot


def limits_for(committee_id: int) -> CareLimits:
    found = CareLimits.objects.filter(committee_id=committee_id).first()
    return found or CareLimits(committee_id=committee_id)


def qualified_through(person: Person, kind: str, ends: datetime) -> bool:
    """A valid qualification of this kind that lasts until `ends`."""
    return Qualification.objects.filter(
        person=person, kind=kind, revoked_at__isnull=True, expires_at__gte=ends
    ).exists()


def active_assignments(person: Person) -> list[Assignment]:
    return list(
        Assignment.objects.filter(person=person, cancelled_at__isnull=True).select_related(
            "committee"
        )
    )


def describe(slot_start: datetime, slot_end: datetime, tz: ZoneInfo) -> str:
    """E.g. "Mon 30 Nov 22:00–06:00", in the active language."""
    start = slot_start.astimezone(tz)
    end = slot_end.astimezone(tz)
    # Translators: a date format (Django's date filter): weekday, day, short month.
    day_format = _("D j M")
    return _("%(day)s %(start)s–%(end)s") % {
        "day": formats.date_format(start, day_format),
        "start": formats.time_format(start, "H:i"),
        "end": formats.time_format(end, "H:i"),
    }


def check_sign_up(person: Person, slot: Slot, *, now: datetime | None = None) -> None:
    """Raise ActionRefused with the reason if `person` may not take `slot`."""
    now = now or timezone.now()
    tz = ZoneInfo(slot.committee.timezone)
    if slot.cancelled_at is not None:
        raise ActionRefused(_("This shift was cancelled."))
    if slot.ends_at <= now:
        raise ActionRefused(_("This shift is over."))
    if not Membership.objects.filter(
        person=person, committee_id=slot.committee_id, ended_at__isnull=True
    ).exists():
        raise ActionRefused(_("Only members of this committee can take its shifts."))
    kind = QUALIFICATION_FOR[ShiftRole(slot.role)]
    if not qualified_through(person, kind, slot.ends_at):
        raise ActionRefused(
            _("This shift needs a valid %(qualification)s qualification that lasts until it ends.")
            % {"qualification": QualificationKind(kind).label}
        )
    taken = slot.assignments.filter(cancelled_at__isnull=True)
    if taken.filter(person=person).exists():
        raise ActionRefused(_("You are already on this shift."))
    if taken.count() >= slot.needed:
        raise ActionRefused(_("This shift is already covered."))
    others = active_assignments(person)
    for other in others:
        if other.starts_at < slot.ends_at and other.ends_at > slot.starts_at:
            raise ActionRefused(
                _("This overlaps another shift: %(shift)s.")
                % {"shift": describe(other.starts_at, other.ends_at, tz)}
            )
    check_limits(others, slot.starts_at, slot.ends_at, limits_for(slot.committee_id), tz)


def check_limits(
    others: Iterable[Assignment],
    starts: datetime,
    ends: datetime,
    limits: CareLimits,
    tz: ZoneInfo,
) -> None:
    """The committee's care limits, for a new shift next to the volunteer's other shifts."""
    others = list(others)
    week = timeutil.week_start(timeutil.local_date(starts, tz))
    minutes = (ends - starts) / timedelta(minutes=1)
    for other in others:
        if timeutil.week_start(timeutil.local_date(other.starts_at, tz)) == week:
            minutes += (other.ends_at - other.starts_at) / timedelta(minutes=1)
    if minutes > limits.max_hours_per_week * 60:
        raise ActionRefused(
            _(
                "This would make %(hours)s hours of shifts in the week of %(week)s; this "
                "committee asks for at most %(limit)s hours a week, so volunteers can rest."
            )
            % {
                "hours": _hours(minutes),
                "week": formats.date_format(week, "j M"),
                "limit": limits.max_hours_per_week,
            }
        )
    new_nights = timeutil.night_dates(starts, ends, tz)
    if new_nights:
        nights = set(new_nights)
        for other in others:
            nights |= timeutil.night_dates(other.starts_at, other.ends_at, tz)
        run = timeutil.longest_run_through(nights, new_nights)
        if run > limits.max_consecutive_nights:
            raise ActionRefused(
                _(
                    "This would be %(count)s night shifts in a row; this committee allows at "
                    "most %(limit)s."
                )
                % {"count": run, "limit": limits.max_consecutive_nights}
            )
    rest = timedelta(hours=limits.min_rest_hours)
    for other in others:
        # Back-to-back shifts leave no rest at all: two 12-hour shifts are not a 24-hour one.
        gap = starts - other.ends_at if other.ends_at <= starts else other.starts_at - ends
        if gap < rest:
            raise ActionRefused(
                _(
                    "This leaves only %(hours)s hours of rest next to your shift of "
                    "%(shift)s; this committee asks for at least %(limit)s."
                )
                % {
                    "hours": _hours(gap / timedelta(minutes=1)),
                    "shift": describe(other.starts_at, other.ends_at, tz),
                    "limit": limits.min_rest_hours,
                }
            )


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return formats.number_format(hours, 0 if hours == int(hours) else 1)
