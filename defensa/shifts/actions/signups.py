"""Signing up, cancelling, going off call, and the care limits that govern it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.models import Committee, Person
from defensa.shifts import rules
from defensa.shifts.actions._shared import _actor
from defensa.shifts.models import (
    Assignment,
    CareLimits,
    Slot,
)


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
