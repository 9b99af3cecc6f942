"""Templates, time blocks and the slots they make."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.models import Committee, Person, Zone
from defensa.shifts import rules, timeutil
from defensa.shifts.actions._shared import _actor, _tell, slot_text, tz_of
from defensa.shifts.models import (
    Assignment,
    BlockKind,
    ShiftRole,
    ShiftTemplate,
    Slot,
    TimeBlock,
)

# Slots exist this far ahead; a daily job keeps extending them.
HORIZON = timedelta(weeks=8)


MAX_ONE_OFF = timedelta(hours=24)


@transaction.atomic
def create_template(
    *, actor: Person | None, committee: Committee, zone: Zone | None, role: str, needed: int
) -> ShiftTemplate:
    if role not in ShiftRole.values:
        raise ActionRefused(_("Unknown shift role."), field="role")
    if zone is not None and zone.committee_id != committee.id:
        raise ActionRefused(_("Unknown zone."), field="zone")
    if not 1 <= needed <= 20:
        raise ActionRefused(_("A shift needs between 1 and 20 people."), field="needed")
    exists = ShiftTemplate.objects.filter(
        committee=committee, zone=zone, role=role, archived_at__isnull=True
    )
    if exists.exists():
        raise ActionRefused(
            _("This zone already has a schedule for this role; add time blocks to it."),
            field="role",
        )
    template = ShiftTemplate.objects.create(
        committee=committee, zone=zone, role=role, needed=needed
    )
    audit.record(
        actor=_actor(actor),
        verb="shifts.template_created",
        target=template,
        committee=committee.code,
        after={"role": role, "zone": str(zone.code) if zone else None, "needed": needed},
    )
    return template


def _block_occurrences(
    block: TimeBlock, tz: ZoneInfo, first: date, last: date
) -> list[tuple[datetime, datetime]]:
    if block.kind == BlockKind.ONCE:
        assert block.end_date is not None
        if not first <= block.start_date <= last:
            return []
        return [
            timeutil.interval(
                block.start_date, block.start_time, block.end_date, block.end_time, tz
            )
        ]
    assert block.weekday is not None
    return [
        (starts, ends)
        for _day, starts, ends in timeutil.weekly_occurrences(
            weekday=block.weekday,
            start=block.start_time,
            end=block.end_time,
            valid_from=block.start_date,
            valid_until=block.end_date,
            first=first,
            last=last,
            tz=tz,
        )
    ]


def _validate_block(
    kind: str,
    weekday: int | None,
    start_date: date,
    end_date: date | None,
    start_time: time,
    end_time: time,
    tz: ZoneInfo,
    today: date,
) -> None:
    if kind == BlockKind.WEEKLY:
        if weekday is None or not 0 <= weekday <= 6:
            raise ActionRefused(_("Choose a day of the week."), field="weekday")
        if start_time == end_time:
            raise ActionRefused(
                _("A shift cannot start and end at the same time."), field="end_time"
            )
        if end_date is not None and end_date < start_date:
            raise ActionRefused(_("The last day is before the first day."), field="end_date")
        if end_date is not None and end_date < today:
            raise ActionRefused(_("This block would be entirely in the past."), field="end_date")
        return
    if kind != BlockKind.ONCE:
        raise ActionRefused(_("Choose weekly or one-off."), field="kind")
    if end_date is None:
        raise ActionRefused(_("Give the day the shift ends."), field="end_date")
    starts, ends = timeutil.interval(start_date, start_time, end_date, end_time, tz)
    if ends <= starts:
        raise ActionRefused(_("The end must be after the start."), field="end_time")
    if ends - starts > MAX_ONE_OFF:
        raise ActionRefused(_("A one-off shift can last at most 24 hours."), field="end_date")
    if ends <= timezone.now():
        raise ActionRefused(_("This shift would be entirely in the past."), field="end_date")


@transaction.atomic
def add_block(
    *,
    actor: Person | None,
    template: ShiftTemplate,
    kind: str,
    start_date: date,
    start_time: time,
    end_time: time,
    weekday: int | None = None,
    end_date: date | None = None,
) -> TimeBlock:
    """A weekly or one-off block; its slots for the coming weeks are created at once.

    A block whose slots would overlap slots this schedule already has is refused whole.
    """
    committee = template.committee
    tz = tz_of(committee)
    today = timeutil.local_date(timezone.now(), tz)
    _validate_block(kind, weekday, start_date, end_date, start_time, end_time, tz, today)
    if start_date > today + timedelta(days=366):
        raise ActionRefused(_("Plan at most a year ahead."), field="start_date")
    block = TimeBlock.objects.create(
        template=template,
        kind=kind,
        weekday=weekday if kind == BlockKind.WEEKLY else None,
        start_date=start_date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
    )
    first = max(today, start_date)
    occurrences = _block_occurrences(block, tz, first, first + HORIZON)
    existing = list(
        Slot.objects.filter(template=template, cancelled_at__isnull=True).values_list(
            "starts_at", "ends_at"
        )
    )
    for starts, ends in occurrences:
        for other_start, other_end in existing:
            if starts < other_end and ends > other_start:
                raise ActionRefused(
                    _("These times overlap a block this schedule already has (%(shift)s).")
                    % {"shift": rules.describe(other_start, other_end, tz)},
                    field="start_time",
                )
    _create_slots(block, occurrences)
    audit.record(
        actor=_actor(actor),
        verb="shifts.block_added",
        target=block,
        committee=committee.code,
        after={
            "template": str(template.code),
            "kind": kind,
            "weekday": weekday,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
            "start_time": start_time.isoformat(),
            "end_time": end_time.isoformat(),
            "slots": len(occurrences),
        },
    )
    return block


def _create_slots(block: TimeBlock, occurrences: list[tuple[datetime, datetime]]) -> None:
    template = block.template
    Slot.objects.bulk_create(
        [
            Slot(
                template=template,
                block=block,
                committee_id=template.committee_id,
                zone_id=template.zone_id,
                role=template.role,
                starts_at=starts,
                ends_at=ends,
                needed=template.needed,
            )
            for starts, ends in occurrences
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def remove_block(*, actor: Person | None, block: TimeBlock) -> int:
    """Stop a block. Its future slots go; people already on them are told. Returns how many."""
    if block.removed_at is not None:
        return 0
    now = timezone.now()
    block.removed_at = now
    block.save(update_fields=["removed_at"])
    future = Slot.objects.filter(block=block, starts_at__gt=now, cancelled_at__isnull=True)
    taken = list(
        Assignment.objects.filter(slot__in=future, cancelled_at__isnull=True).select_related(
            "person", "slot__committee"
        )
    )
    taken_slots = {a.slot_id for a in taken}
    future.filter(id__in=taken_slots).update(cancelled_at=now)
    removed, _rows = future.exclude(id__in=taken_slots).delete()
    Assignment.objects.filter(id__in=[a.id for a in taken]).update(cancelled_at=now)
    for assignment in taken:
        _tell(
            assignment.person,
            "shifts.slot_cancelled",
            lambda a=assignment: (
                _("Your shift %(shift)s (%(committee)s) was cancelled.")
                % {"shift": slot_text(a.slot), "committee": a.slot.committee.name}
            ),
        )
    committee = block.template.committee
    audit.record(
        actor=_actor(actor),
        verb="shifts.block_removed",
        target=block,
        committee=committee.code,
        after={"slots_removed": removed, "slots_cancelled": len(taken_slots)},
    )
    return removed + len(taken_slots)


def extend_schedules(*, until: datetime | None = None) -> int:
    """Create the slots of every active block up to the horizon. Safe to repeat."""
    created = 0
    blocks = TimeBlock.objects.filter(
        removed_at__isnull=True, template__archived_at__isnull=True
    ).select_related("template__committee")
    for block in blocks:
        tz = tz_of(block.template.committee)
        today = timeutil.local_date(timezone.now(), tz)
        last = timeutil.local_date(until, tz) if until else today + HORIZON
        occurrences = _block_occurrences(block, tz, max(today, block.start_date), last)
        before = Slot.objects.filter(block=block).count()
        with transaction.atomic():
            _create_slots(block, occurrences)
        created += Slot.objects.filter(block=block).count() - before
    return created


def forget_old_shifts(*, now: datetime | None = None) -> int:
    """Who was on which shift is a record of people's movements: it is kept only as long as
    coordinators need it, then deleted with its slots. Returns how many slots went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DEFENSA_SHIFT_RETENTION_DAYS)
    _total, per_model = Slot.objects.filter(ends_at__lt=cutoff).delete()
    return int(per_model.get("shifts.Slot", 0))
