"""Shift pages: bad input is refused with a clear message and writes nothing; coordinators see
who is on, off call, and each volunteer's load."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
from django.utils import timezone

from defensa.core.models import AuditEvent
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.shifts import actions
from defensa.shifts.models import Assignment, ShiftTemplate, Slot, TimeBlock
from defensa.shifts.tests.test_schedule import slot_of, weekly

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        ShiftTemplate.objects.count(),
        TimeBlock.objects.count(),
        Slot.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def client(coordinator):
    from defensa import testing

    return testing.staff_client(coordinator)


def test_block_ending_before_it_starts_is_refused_clearly(client, template) -> None:
    before = counts()
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        f"/staff/c/{template.committee.code}/shifts/templates/{template.code}/blocks/",
        {
            "kind": "once",
            "start_date": day,
            "end_date": day,
            "start_time": "18:00",
            "end_time": "17:00",
        },
    )
    assert response.status_code == 400
    assert "El final debe ser después del inicio." in response.content.decode()
    assert counts() == before


def test_overlapping_block_is_refused_clearly(client, template) -> None:
    weekly(template, weekday=2, start=time(18), end=time(22))
    before = counts()
    response = client.post(
        f"/staff/c/{template.committee.code}/shifts/templates/{template.code}/blocks/",
        {
            "kind": "weekly",
            "weekday": 2,
            "start_date": timezone.localdate().isoformat(),
            "start_time": "20:00",
            "end_time": "23:00",
        },
    )
    assert response.status_code == 400
    assert "se superpone" in response.content.decode()
    assert counts() == before


def test_unknown_zone_is_refused_clearly(client, committee) -> None:
    before = counts()
    response = client.post(
        f"/staff/c/{committee.code}/shifts/templates/",
        {"role": "confirmer", "zone": str(uuid.uuid4()), "needed": 2},
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        {
            "kind": "weekly",
            "weekday": 9,
            "start_date": "2026-12-01",
            "start_time": "18:00",
            "end_time": "20:00",
        },
        {
            "kind": "weekly",
            "weekday": 1,
            "start_date": "not a date",
            "start_time": "18:00",
            "end_time": "20:00",
        },
        {
            "kind": "weekly",
            "weekday": 1,
            "start_date": "2026-12-01",
            "start_time": "25:99",
            "end_time": "20:00",
        },
        {
            "kind": "yearly",
            "weekday": 1,
            "start_date": "2026-12-01",
            "start_time": "18:00",
            "end_time": "20:00",
        },
    ],
    ids=["weekday", "date", "time", "kind"],
)
def test_malformed_blocks_are_refused_without_writing(client, template, data) -> None:
    before = counts()
    response = client.post(
        f"/staff/c/{template.committee.code}/shifts/templates/{template.code}/blocks/", data
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert counts() == before


def current_slot(template) -> Slot:
    """A one-off slot that began an hour ago and runs three more hours."""
    tz = actions.tz_of(template.committee)
    starts = (timezone.now() - timedelta(hours=1)).astimezone(tz)
    ends = starts + timedelta(hours=4)
    block = actions.add_block(
        actor=None,
        template=template,
        kind="once",
        start_date=starts.date(),
        start_time=starts.time().replace(second=0, microsecond=0),
        end_date=ends.date(),
        end_time=ends.time().replace(second=0, microsecond=0),
    )
    return slot_of(block)


def test_coordinator_sees_who_is_on_and_who_went_off_call(client, template, confirmers) -> None:
    slot = current_slot(template)
    tavo, lupita = confirmers[0], confirmers[1]
    first = actions.sign_up(actor=tavo, person=tavo, slot=slot)
    actions.sign_up(actor=lupita, person=lupita, slot=slot)
    actions.set_on_call(actor=tavo, assignment=first, on_call=False)
    page = client.get(f"/staff/c/{template.committee.code}/shifts/now/").content.decode()
    assert "Tavo" in page
    assert "Lupita" in page
    assert page.count("fuera de guardia") == 1


def test_coordinator_sees_each_volunteers_load(client, template, confirmers) -> None:
    slot = slot_of(weekly(template, start=time(22), end=time(6)))
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=slot)
    tz = actions.tz_of(template.committee)
    monday = slot.starts_at.astimezone(tz).date()
    page = client.get(
        f"/staff/c/{template.committee.code}/shifts/load/?week={monday.isoformat()}"
    ).content.decode()
    row = page[page.index("Tavo") :]
    assert "<td>8,0</td><td>1</td><td>1</td>" in row  # 8 hours, 1 shift, 1 night


def test_offer_answered_over_signal(template, confirmers) -> None:
    from django.core.management import call_command

    from defensa.messaging import delivery
    from defensa.shifts.models import SlotOffer

    tavo = confirmers[0]
    network_actions.update_profile(
        actor=tavo, person=tavo, contacts=[{"kind": "signal", "value": "+13125550101"}]
    )
    slot = slot_of(weekly(template))
    with fakes.signal_cli() as signal:
        assert actions.offer_slot(actor=None, slot=slot) == 1
        delivery.deliver_due()
        code = SlotOffer.objects.get().reply_code
        signal.inbox.append(
            {"envelope": {"sourceNumber": "+13125550101", "dataMessage": {"message": f"Sí {code}"}}}
        )
        call_command("signal_receive", "--once")
    sent = [r.json()["params"]["message"] for r in signal.requests if r.json()["method"] == "send"]
    assert sent[0].startswith("Turno libre:")
    assert sent[-1].startswith("Listo:")
    assert Assignment.objects.get().person == tavo
