"""Building schedules, signing up, going off call, and the refusals that explain themselves."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.network import actions as network_actions
from defensa.shifts import access, actions, timeutil
from defensa.shifts.models import Assignment, BlockKind, ShiftRole, Slot, TimeBlock
from defensa.shifts.tests.conftest import qualify

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int) -> date:
    today = timezone.localdate()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def weekly(template, weekday=0, start=time(18), end=time(22)) -> TimeBlock:
    return actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.WEEKLY,
        weekday=weekday,
        start_date=timezone.localdate(),
        start_time=start,
        end_time=end,
    )


def slot_of(block: TimeBlock) -> Slot:
    """The block's first slot."""
    slot = block.slots.order_by("starts_at").first()
    assert slot is not None
    return slot


def writes() -> tuple[int, ...]:
    return (
        TimeBlock.objects.count(),
        Slot.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Templates and blocks ---------------------------------------------------------------------


def test_weekly_block_makes_eight_weeks_of_slots_in_local_time(template) -> None:
    block = weekly(template, weekday=0, start=time(22), end=time(6))
    slots = list(block.slots.order_by("starts_at"))
    assert len(slots) in (8, 9)
    tz = timeutil.committee_tz(template.committee)
    for slot in slots:
        local = slot.starts_at.astimezone(tz)
        assert local.weekday() == 0
        assert local.time() == time(22)
        assert slot.ends_at.astimezone(tz).time() == time(6)
        assert slot.needed == 2


def test_overlapping_blocks_are_refused_without_writing(template) -> None:
    weekly(template, weekday=2, start=time(18), end=time(22))
    before = writes()
    with pytest.raises(ActionRefused) as refused:
        weekly(template, weekday=2, start=time(21), end=time(23))
    assert "overlap" in refused.value.message.lower() or "superpon" in refused.value.message
    assert writes() == before


@pytest.mark.parametrize(
    ("kind", "start", "end", "days"),
    [
        (BlockKind.ONCE, time(18), time(17), 0),  # ends before it starts
        (BlockKind.ONCE, time(18), time(19), 2),  # longer than a day
        (BlockKind.WEEKLY, time(18), time(18), None),  # starts and ends at once
    ],
)
def test_impossible_blocks_are_refused_without_writing(template, kind, start, end, days) -> None:
    day = next_weekday(3)
    before = writes()
    with pytest.raises(ActionRefused):
        actions.add_block(
            actor=None,
            template=template,
            kind=kind,
            weekday=3 if kind == BlockKind.WEEKLY else None,
            start_date=day,
            end_date=day + timedelta(days=days) if days is not None else None,
            start_time=start,
            end_time=end,
        )
    assert writes() == before


def test_a_zone_of_another_committee_is_refused(committee) -> None:
    elsewhere = testing.committee("Otro")
    foreign_zone = network_actions.create_zone(actor=None, committee=elsewhere, name="Norte")
    with pytest.raises(ActionRefused):
        actions.create_template(
            actor=None, committee=committee, zone=foreign_zone, role=ShiftRole.CONFIRMER, needed=1
        )


def test_one_schedule_per_zone_and_role(template) -> None:
    with pytest.raises(ActionRefused):
        actions.create_template(
            actor=None,
            committee=template.committee,
            zone=template.zone,
            role=template.role,
            needed=1,
        )


# --- Signing up -------------------------------------------------------------------------------


def test_qualified_members_sign_up_until_the_slot_is_full(template, confirmers) -> None:
    slot = slot_of(weekly(template))
    assert slot is not None
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=slot)
    actions.sign_up(actor=confirmers[1], person=confirmers[1], slot=slot)
    with pytest.raises(ActionRefused) as full:
        actions.sign_up(actor=confirmers[2], person=confirmers[2], slot=slot)
    assert full.value.message == "Este turno ya está cubierto."


def test_unqualified_members_cannot_take_a_qualified_role(template, committee) -> None:
    untrained = testing.member(committee, name="Sin curso")
    slot = slot_of(weekly(template))
    with pytest.raises(ActionRefused) as refused:
        actions.sign_up(actor=untrained, person=untrained, slot=slot)
    assert "certificación" in refused.value.message
    assert not Assignment.objects.exists()


def test_a_qualification_that_expires_before_the_shift_ends_is_not_enough(
    template, committee
) -> None:
    person = testing.member(committee, name="Vence pronto")
    slot = weekly(template).slots.order_by("-starts_at").first()
    assert slot is not None
    network_actions.grant_qualification(
        actor=None,
        committee=committee,
        person=person,
        kind="confirmer",
        expires_at=slot.starts_at + timedelta(hours=1),
    )
    with pytest.raises(ActionRefused):
        actions.sign_up(actor=person, person=person, slot=slot)


def test_members_of_another_committee_cannot_take_slots(template) -> None:
    elsewhere = testing.committee("Otro")
    outsider = testing.member(elsewhere, name="De fuera")
    qualify(outsider, elsewhere)
    slot = slot_of(weekly(template))
    with pytest.raises(ActionRefused):
        actions.sign_up(actor=outsider, person=outsider, slot=slot)


def test_own_overlapping_shifts_are_refused_with_the_other_shift_named(
    committee, template, confirmers
) -> None:
    other_zone = network_actions.create_zone(actor=None, committee=committee, name="Oeste")
    other = actions.create_template(
        actor=None, committee=committee, zone=other_zone, role=ShiftRole.CONFIRMER, needed=1
    )
    first = slot_of(weekly(template, weekday=4, start=time(18), end=time(22)))
    second = slot_of(weekly(other, weekday=4, start=time(20), end=time(23)))
    person = confirmers[0]
    actions.sign_up(actor=person, person=person, slot=first)
    with pytest.raises(ActionRefused) as refused:
        actions.sign_up(actor=person, person=person, slot=second)
    assert "18:00–22:00" in refused.value.message


def test_limits_explain_themselves(committee, template, confirmers) -> None:
    actions.set_care_limits(
        actor=None,
        committee=committee,
        max_hours_per_week=6,
        max_consecutive_nights=3,
        min_rest_hours=10,
    )
    block = weekly(template, weekday=1, start=time(9), end=time(14))
    person = confirmers[0]
    # The first Tuesday still to come (today's may be over, whatever day the suite runs).
    slots = list(block.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at"))
    actions.sign_up(actor=person, person=person, slot=slots[0])
    later_same_week = actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.ONCE,
        start_date=slots[0].starts_at.date(),
        end_date=slots[0].starts_at.date(),
        start_time=time(20),
        end_time=time(22),
    ).slots.get()
    with pytest.raises(ActionRefused) as refused:
        actions.sign_up(actor=person, person=person, slot=later_same_week)
    assert "como máximo 6 horas" in refused.value.message


def test_coordinator_assignment_obeys_the_same_rules(coordinator, template, committee) -> None:
    untrained = testing.member(committee, name="Sin curso")
    slot = slot_of(weekly(template))
    with pytest.raises(ActionRefused):
        actions.sign_up(actor=coordinator, person=untrained, slot=slot)
    trained = testing.member(committee, name="Con curso")
    qualify(trained, committee)
    assignment = actions.sign_up(actor=coordinator, person=trained, slot=slot)
    assert assignment.assigned_by == coordinator
    assert AuditEvent.objects.filter(verb="shifts.assigned").exists()


# --- On call ----------------------------------------------------------------------------------


def test_going_off_call_for_the_rest_of_a_shift(template, confirmers) -> None:
    slot = slot_of(weekly(template))
    assert slot is not None
    person = confirmers[0]
    assignment = actions.sign_up(actor=person, person=person, slot=slot)
    committee = template.committee
    during = slot.starts_at + timedelta(hours=1)
    with pytest.raises(ActionRefused):
        actions.set_on_call(actor=person, assignment=assignment, on_call=False)  # not yet
    with freeze_time(during):
        on = access.on_call_now(committee, ShiftRole.CONFIRMER, template.zone_id)
        assert list(on.values_list("person_id", flat=True)) == [person.id]
        actions.set_on_call(actor=person, assignment=assignment, on_call=False)
        assert not access.on_call_now(committee, ShiftRole.CONFIRMER, template.zone_id).exists()
        actions.set_on_call(actor=person, assignment=assignment, on_call=True)
        assert access.on_call_now(committee, ShiftRole.CONFIRMER, template.zone_id).exists()
    assert AuditEvent.objects.filter(verb="shifts.off_call").exists()


def test_whole_committee_shifts_cover_every_zone(committee, zone, confirmers) -> None:
    everywhere = actions.create_template(
        actor=None, committee=committee, zone=None, role=ShiftRole.DISPATCHER, needed=1
    )
    dispatcher = testing.member(committee, name="Despacho")
    qualify(dispatcher, committee, kind="dispatcher")
    slot = slot_of(weekly(everywhere))
    assert slot is not None
    actions.sign_up(actor=dispatcher, person=dispatcher, slot=slot)
    at = slot.starts_at + timedelta(minutes=5)
    assert access.on_call_now(committee, ShiftRole.DISPATCHER, zone.id, at=at).count() == 1
    assert access.on_call_now(committee, ShiftRole.DISPATCHER, at=at).count() == 1


def test_on_call_now_is_one_query(committee, template, confirmers, django_assert_num_queries):
    slot = slot_of(weekly(template))
    assert slot is not None
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=slot)
    at = slot.starts_at + timedelta(minutes=5)
    with django_assert_num_queries(1):
        list(access.on_call_now(committee, ShiftRole.CONFIRMER, template.zone_id, at=at))


# --- Removing blocks --------------------------------------------------------------------------


def test_removing_a_block_cancels_taken_slots_and_drops_the_rest(template, confirmers) -> None:
    block = weekly(template)
    first = slot_of(block)
    assert first is not None
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=first)
    total = block.slots.count()
    assert actions.remove_block(actor=None, block=block) == total
    first.refresh_from_db()
    assert first.cancelled_at is not None
    assert Assignment.objects.get().cancelled_at is not None
    assert block.slots.count() == 1


def test_past_shifts_and_who_was_on_them_are_forgotten(template, confirmers) -> None:
    slot = slot_of(weekly(template))
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=slot)
    assert actions.forget_old_shifts(now=slot.ends_at + timedelta(days=59)) == 0
    assert actions.forget_old_shifts(now=slot.ends_at + timedelta(days=61)) >= 1
    assert not Assignment.objects.exists()
