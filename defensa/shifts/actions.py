"""Every write to the shift schedules. Each action is atomic and leaves an audit event."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.messaging import actions as messaging
from defensa.network.models import Committee, Person, Role, Zone
from defensa.shifts import rules, timeutil
from defensa.shifts.feeds import feed_hash
from defensa.shifts.models import (
    Assignment,
    BlockKind,
    CalendarFeed,
    CareLimits,
    ShiftRole,
    ShiftTemplate,
    Slot,
    SlotOffer,
    TimeBlock,
)

# Slots exist this far ahead; a daily job keeps extending them.
HORIZON = timedelta(weeks=8)
MAX_ONE_OFF = timedelta(hours=24)
OFFER_TIME = timedelta(hours=48)


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


def tz_of(committee: Committee) -> ZoneInfo:
    return timeutil.committee_tz(committee)


def language_of(person: Person) -> str:
    """The first interface language the person speaks, else the site's."""
    interface = {code for code, _name in settings.LANGUAGES}
    for code in person.languages:
        if code in interface:
            return str(code)
    return str(settings.LANGUAGE_CODE)


# --- Templates and blocks ---------------------------------------------------------------------


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


# --- Signing up -------------------------------------------------------------------------------


def slot_text(slot: Slot) -> str:
    return _("%(role)s, %(shift)s") % {
        "role": ShiftRole(slot.role).label,
        "shift": rules.describe(slot.starts_at, slot.ends_at, tz_of(slot.committee)),
    }


@transaction.atomic
def sign_up(*, actor: Person | None, person: Person, slot: Slot) -> Assignment:
    """Put `person` on `slot`: themselves (actor is person) or by a coordinator."""
    # One sign-up per person at a time: limits are checked against a stable schedule.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    slot = Slot.objects.select_for_update().select_related("committee").get(pk=slot.pk)
    rules.check_sign_up(person, slot)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                slot=slot,
                person=person,
                committee_id=slot.committee_id,
                zone_id=slot.zone_id,
                role=slot.role,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                assigned_by=actor if actor is not None and actor.pk != person.pk else None,
            )
    except IntegrityError as exc:
        raise ActionRefused(_("You are already on this shift.")) from exc
    audit.record(
        actor=_actor(actor),
        verb="shifts.signed_up"
        if actor is not None and actor.pk == person.pk
        else "shifts.assigned",
        target=assignment,
        committee=slot.committee.code,
        after={"slot": str(slot.code), "person": str(person.code), "role": slot.role},
    )
    return assignment


@transaction.atomic
def cancel_assignment(*, actor: Person | None, assignment: Assignment) -> None:
    if assignment.cancelled_at is not None:
        return
    now = timezone.now()
    if assignment.ends_at <= now:
        raise ActionRefused(_("This shift is over."))
    assignment.cancelled_at = now
    assignment.save(update_fields=["cancelled_at"])
    audit.record(
        actor=_actor(actor),
        verb="shifts.sign_up_cancelled",
        target=assignment,
        committee=assignment.committee.code,
        before={"slot": str(assignment.slot.code), "person": str(assignment.person.code)},
    )


@transaction.atomic
def set_on_call(*, actor: Person | None, assignment: Assignment, on_call: bool) -> None:
    """Go off call for the rest of a shift (or back on), in one step."""
    now = timezone.now()
    if assignment.cancelled_at is not None or not assignment.starts_at <= now < assignment.ends_at:
        raise ActionRefused(_("You can go on or off call only during your shift."))
    if on_call == (assignment.off_call_at is None):
        return
    assignment.off_call_at = None if on_call else now
    assignment.save(update_fields=["off_call_at"])
    audit.record(
        actor=_actor(actor),
        verb="shifts.on_call" if on_call else "shifts.off_call",
        target=assignment,
        committee=assignment.committee.code,
        after={"person": str(assignment.person.code)},
    )


@transaction.atomic
def set_care_limits(
    *,
    actor: Person | None,
    committee: Committee,
    max_hours_per_week: int,
    max_consecutive_nights: int,
    min_rest_hours: int,
) -> CareLimits:
    if not 1 <= max_hours_per_week <= 168:
        raise ActionRefused(
            _("Hours per week must be between 1 and 168."), field="max_hours_per_week"
        )
    if not 0 <= max_consecutive_nights <= 7:
        raise ActionRefused(
            _("Nights in a row must be between 0 and 7."), field="max_consecutive_nights"
        )
    if not 0 <= min_rest_hours <= 48:
        raise ActionRefused(_("Rest must be between 0 and 48 hours."), field="min_rest_hours")
    limits = rules.limits_for(committee.id)
    before = {
        "max_hours_per_week": limits.max_hours_per_week,
        "max_consecutive_nights": limits.max_consecutive_nights,
        "min_rest_hours": limits.min_rest_hours,
    }
    limits.max_hours_per_week = max_hours_per_week
    limits.max_consecutive_nights = max_consecutive_nights
    limits.min_rest_hours = min_rest_hours
    limits.save()
    audit.record(
        actor=_actor(actor),
        verb="shifts.limits_changed",
        object_type="shifts.carelimits",
        object_code=str(committee.code),
        committee=committee.code,
        before=before,
        after={
            "max_hours_per_week": max_hours_per_week,
            "max_consecutive_nights": max_consecutive_nights,
            "min_rest_hours": min_rest_hours,
        },
    )
    return limits


# --- Calendar feeds ---------------------------------------------------------------------------


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


# --- Messages: offers, gap warnings -----------------------------------------------------------


def _tell(person: Person, purpose: str, text: object, *, replies: bool = False) -> bool:
    """Queue a message to `person` in their language; `text` is a callable rendering it."""
    with translation.override(language_of(person)):
        body = str(text() if callable(text) else text)
    return (
        messaging.queue_message(person=person, body=body, purpose=purpose, replies=replies)
        is not None
    )


def _new_reply_code() -> str:
    for _attempt in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        if not SlotOffer.objects.filter(reply_code=code).exists():
            return code
    raise ActionRefused(_("Too many open offers; try again later."))


@transaction.atomic
def offer_slot(*, actor: Person | None, slot: Slot) -> int:
    """Offer an open slot by SMS or Signal to every member who could take it. Returns how many.

    Each gets their own reply code; a reply is accepted only from that member's own number.
    """
    slot = Slot.objects.select_related("committee").get(pk=slot.pk)
    taken = slot.assignments.filter(cancelled_at__isnull=True).count()
    if slot.cancelled_at is not None or taken >= slot.needed:
        raise ActionRefused(_("This shift is already covered."))
    now = timezone.now()
    members = Person.objects.filter(
        memberships__committee_id=slot.committee_id, memberships__ended_at__isnull=True
    ).distinct()
    offered = 0
    for person in members:
        try:
            rules.check_sign_up(person, slot, now=now)
        except ActionRefused:
            continue
        if not messaging.channels_for(person, replies=True):
            continue
        offer = SlotOffer.objects.create(
            slot=slot,
            person=person,
            reply_code=_new_reply_code(),
            expires_at=min(slot.starts_at, now + OFFER_TIME),
        )
        sent = _tell(
            person,
            "shifts.offer",
            lambda o=offer: (
                _("Open shift: %(slot)s (%(committee)s). To take it, reply: YES %(code)s")
                % {
                    "slot": slot_text(o.slot),
                    "committee": o.slot.committee.name,
                    "code": o.reply_code,
                }
            ),
            replies=True,
        )
        offered += int(sent)
    audit.record(
        actor=_actor(actor),
        verb="shifts.slot_offered",
        target=slot,
        committee=slot.committee.code,
        after={"members": offered},
    )
    return offered


def forget_old_shifts(*, now: datetime | None = None) -> int:
    """Who was on which shift is a record of people's movements: it is kept only as long as
    coordinators need it, then deleted with its slots. Returns how many slots went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DEFENSA_SHIFT_RETENTION_DAYS)
    _total, per_model = Slot.objects.filter(ends_at__lt=cutoff).delete()
    return int(per_model.get("shifts.Slot", 0))


def forget_old_offers(*, now: datetime | None = None) -> int:
    deleted, _rows = SlotOffer.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def warn_about_gaps(*, now: datetime | None = None) -> int:
    """Tell each committee's coordinators about slots that start within 48 hours and still
    need people. Each gap is reported once. Returns how many slots were reported."""
    now = now or timezone.now()
    candidates = (
        Slot.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=48),
            cancelled_at__isnull=True,
            gap_warned_at__isnull=True,
        )
        .select_related("committee", "zone")
        .order_by("starts_at")
    )
    gaps: dict[int, list[Slot]] = defaultdict(list)
    for slot in candidates:
        if slot.assignments.filter(cancelled_at__isnull=True).count() < slot.needed:
            gaps[slot.committee_id].append(slot)
    reported = 0
    for slots in gaps.values():
        with transaction.atomic():
            committee = slots[0].committee
            coordinators = Person.objects.filter(
                memberships__committee=committee,
                memberships__ended_at__isnull=True,
                memberships__roles__role=Role.COORDINATOR,
            ).distinct()
            for coordinator in coordinators:
                _tell(
                    coordinator,
                    "shifts.coverage_warning",
                    lambda c=committee, s=slots: _gap_message(c, s),
                )
            Slot.objects.filter(id__in=[s.id for s in slots]).update(gap_warned_at=now)
            audit.record(
                actor=None,
                verb="shifts.gaps_warned",
                object_type="shifts.slot",
                committee=committee.code,
                after={"slots": len(slots), "coordinators": len(coordinators)},
            )
        reported += len(slots)
    return reported


def _gap_message(committee: Committee, slots: list[Slot]) -> str:
    lines = [
        _("%(committee)s: these shifts in the next 48 hours still need people:")
        % {"committee": committee.name}
    ]
    for slot in slots[:10]:
        values = {
            "slot": slot_text(slot),
            "missing": slot.needed - slot.assignments.filter(cancelled_at__isnull=True).count(),
        }
        if slot.zone:
            line = _("- %(slot)s in %(zone)s: %(missing)s missing") % {
                **values,
                "zone": slot.zone.name,
            }
        else:
            line = _("- %(slot)s: %(missing)s missing") % values
        lines.append(line)
    if len(slots) > 10:
        lines.append(_("…and %(count)s more.") % {"count": len(slots) - 10})
    return "\n".join(lines)
