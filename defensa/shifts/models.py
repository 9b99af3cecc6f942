"""Shift schedules: templates per zone and role, time blocks, concrete slots and sign-ups.

Blocks are written in the committee's local wall-clock time ("Mondays 22:00–06:00"); slots are
the concrete UTC intervals they produce, computed once with the committee's time zone (so
daylight-saving changes are handled in one place, `timeutil`). Sign-ups copy their slot's
committee, zone, role and times, so "who is on now" is one indexed query on one table.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from defensa.network.models import Committee, Person, QualificationKind, Zone


class ShiftRole(models.TextChoices):
    DISPATCHER = "dispatcher", _("Dispatcher")
    BACKUP_DISPATCHER = "backup_dispatcher", _("Backup dispatcher")
    CONFIRMER = "confirmer", _("Confirmer")
    LEGAL_OBSERVER = "legal_observer", _("Legal observer")


# The qualification a person must hold, for the whole slot, to take a slot of each role.
QUALIFICATION_FOR = {
    ShiftRole.DISPATCHER: QualificationKind.DISPATCHER,
    ShiftRole.BACKUP_DISPATCHER: QualificationKind.DISPATCHER,
    ShiftRole.CONFIRMER: QualificationKind.CONFIRMER,
    ShiftRole.LEGAL_OBSERVER: QualificationKind.LEGAL_OBSERVER,
}


class BlockKind(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    ONCE = "once", _("Once")


class ShiftTemplate(models.Model):
    """What a committee needs covered: a role, in a zone (or the whole committee)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, choices=ShiftRole.choices)
    # How many people each slot needs (confirmers go in twos).
    needed = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "zone", "role"],
                condition=Q(archived_at__isnull=True, zone__isnull=False),
                name="shifttemplate_one_per_zone_role",
            ),
            models.UniqueConstraint(
                fields=["committee", "role"],
                condition=Q(archived_at__isnull=True, zone__isnull=True),
                name="shifttemplate_one_per_committee_role",
            ),
            models.CheckConstraint(
                condition=Q(needed__gte=1, needed__lte=20), name="shifttemplate_needed_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}@{self.zone_id or 'all'}"


class TimeBlock(models.Model):
    """A recurring weekly block, or a one-off block, in the committee's local time.

    Weekly: `weekday` (0 = Monday) from `start_time` to `end_time` (an end at or before the
    start is on the next day), from `start_date` until `end_date` (inclusive, open if empty).
    Once: from `start_date start_time` to `end_date end_time`.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    template = models.ForeignKey(ShiftTemplate, on_delete=models.CASCADE, related_name="blocks")
    kind = models.CharField(max_length=8, choices=BlockKind.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    start_time = models.TimeField()
    end_time = models.TimeField()
    created_at = models.DateTimeField(default=now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="weekly", weekday__gte=0, weekday__lte=6))
                | Q(kind="once", weekday__isnull=True, end_date__isnull=False),
                name="timeblock_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.weekday} {self.start_time}-{self.end_time}"


class Slot(models.Model):
    """One concrete occurrence of a block, in UTC."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    template = models.ForeignKey(ShiftTemplate, on_delete=models.CASCADE, related_name="slots")
    block = models.ForeignKey(TimeBlock, on_delete=models.CASCADE, related_name="slots")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, choices=ShiftRole.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    needed = models.PositiveSmallIntegerField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    gap_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["block", "starts_at"], name="slot_once_per_start"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [
            # The coverage grid and the gap warnings: a committee's slots in a time range.
            models.Index(fields=["committee", "starts_at"], name="slot_committee_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.starts_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """A person on a slot: signed up themselves, or assigned by a coordinator."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shift_assignments")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, choices=ShiftRole.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Went off call for the rest of this shift at this time (None: on call).
    off_call_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "person"],
                condition=Q(cancelled_at__isnull=True),
                name="assignment_once_per_slot",
            ),
        ]
        indexes = [
            # "Who is on now" for a committee, role and zone (phone menu, dispatch).
            models.Index(
                fields=["committee", "role", "zone", "ends_at", "starts_at"],
                name="assignment_on_now_idx",
                condition=Q(cancelled_at__isnull=True),
            ),
            # A volunteer's own schedule (limits, calendar feed).
            models.Index(
                fields=["person", "starts_at"],
                name="assignment_person_idx",
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.slot_id}"


class CareLimits(models.Model):
    """A committee's rules that protect its volunteers from burning out."""

    committee = models.OneToOneField(
        Committee, on_delete=models.CASCADE, related_name="care_limits"
    )
    max_hours_per_week = models.PositiveSmallIntegerField(default=36)
    max_consecutive_nights = models.PositiveSmallIntegerField(default=3)
    min_rest_hours = models.PositiveSmallIntegerField(default=10)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_hours_per_week__gte=1, max_hours_per_week__lte=168)
                & Q(max_consecutive_nights__lte=7)
                & Q(min_rest_hours__lte=48),
                name="carelimits_ranges",
            ),
        ]

    def __str__(self) -> str:
        return f"limits:{self.committee_id}"


class CalendarFeed(models.Model):
    """A member's secret calendar link. Only a keyed hash of its token is stored."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.code)


class SlotOffer(models.Model):
    """An open slot offered to one member by SMS or Signal, answered with its short code."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="offers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reply_code = models.CharField(max_length=8, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"offer:{self.slot_id}:{self.person_id}"
