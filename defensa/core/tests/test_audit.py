"""The audit log: every action leaves a hash-chained event; tampering is detected."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from defensa import testing
from defensa.core import audit
from defensa.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

COMMITTEE = uuid.uuid4()


def events(count: int = 5) -> list[AuditEvent]:
    return [
        audit.record(
            actor=None,
            verb="test.happened",
            object_type="test",
            object_code=str(i),
            committee=COMMITTEE,
            after={"n": i, "text": "ñandú"},
        )
        for i in range(count)
    ]


def drop_append_only_trigger() -> None:
    """What an attacker with database access would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_auditevent_no_update ON core_auditevent")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")


def test_untouched_chain_verifies() -> None:
    events()
    assert audit.verify() == []
    call_command("verify_audit")


def test_chains_are_per_committee_and_numbered_from_one() -> None:
    first = events(2)
    other = audit.record(actor=None, verb="x", object_type="t", committee=uuid.uuid4())
    assert [e.seq for e in first] == [1, 2]
    assert other.seq == 1
    assert first[1].prev_hash == first[0].hash


def test_database_refuses_to_update_an_event() -> None:
    event = events(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="nothing.happened")


def test_edited_event_is_detected() -> None:
    target = events()[2]
    drop_append_only_trigger()
    AuditEvent.objects.filter(pk=target.pk).update(after={"n": 99, "text": "ñandú"})
    breaks = audit.verify()
    assert [(b.seq, b.reason) for b in breaks] == [(3, "contents do not match its hash")]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_edit_with_recomputed_hash_is_detected_by_the_next_event() -> None:
    target = events()[1]
    drop_append_only_trigger()
    target.verb = "forged"
    target.hash = audit._digest(target)
    AuditEvent.objects.filter(pk=target.pk).update(verb="forged", hash=target.hash)
    assert [b.seq for b in audit.verify()] == [3]


def test_removed_event_is_detected() -> None:
    target = events()[2]
    drop_append_only_trigger()
    AuditEvent.objects.filter(pk=target.pk).delete()
    reasons = {b.reason for b in audit.verify()}
    assert "expected #3: rows missing" in reasons


def test_removed_tail_is_detected_by_the_chain_head() -> None:
    last = events()[-1]
    drop_append_only_trigger()
    AuditEvent.objects.filter(pk=last.pk).delete()
    assert [b.reason for b in audit.verify()] == ["events after this one were removed"]
    assert AuditChainHead.objects.get(chain=str(COMMITTEE)).seq == 5


def test_actions_write_events_without_sealed_values() -> None:
    committee = testing.committee()
    person = testing.member(committee)
    from defensa.network import actions

    actions.update_profile(
        actor=person, person=person, contacts=[{"kind": "phone", "value": "+13125550142"}]
    )
    event = AuditEvent.objects.filter(verb="person.updated").get()
    assert event.actor == person.code
    assert event.committee == committee.code
    assert "5550142" not in str(event.before) + str(event.after)
    assert event.after is not None
    assert event.after["contact_sealed"] == "<sealed:replaced>"


def test_events_appended_during_a_walk_are_not_mistaken_for_tampering() -> None:
    events(3)
    head = AuditChainHead.objects.get(chain=str(COMMITTEE))
    seen_by_walk = (head.seq, head.hash)
    events(1)  # appended after the walk read the heads
    AuditChainHead.objects.filter(chain=str(COMMITTEE)).update(
        seq=seen_by_walk[0], hash=seen_by_walk[1]
    )
    assert audit.verify() == []


def test_floats_are_refused_in_audit_payloads() -> None:
    with pytest.raises(TypeError):
        audit.record(actor=None, verb="x", object_type="t", after={"latitude": 41.85})
