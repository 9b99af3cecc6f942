"""Offers answered by SMS or Signal, gap warnings, the handover text and calendar links."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensa import testing
from defensa.messaging import delivery
from defensa.messaging.models import OutgoingMessage
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.access import build_viewer
from defensa.shifts import access, actions
from defensa.shifts.handover import handover_text
from defensa.shifts.models import Assignment, BlockKind, SlotOffer
from defensa.shifts.tests.test_schedule import slot_of, weekly

pytestmark = pytest.mark.django_db


def reachable(person, number: str, kind: str = "phone", languages=("es",)) -> None:
    network_actions.update_profile(
        actor=person,
        person=person,
        languages=list(languages),
        contacts=[{"kind": kind, "value": number}],
    )


def reply(settings, sender: str, text: str) -> str:
    response = fakes.signed_twilio_post(
        Client(),
        "/hooks/twilio/sms/",
        fakes.sms_payload(sender, text),
        public_url=settings.DEFENSA_PUBLIC_URL,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_offer_by_sms_and_take_it_by_replying(settings, template, confirmers) -> None:
    tavo, lupita, _marisol = confirmers
    reachable(tavo, "+13125550101")
    reachable(lupita, "+13125550102", languages=("en",))
    slot = slot_of(weekly(template))
    assert slot is not None
    with fakes.twilio() as twilio:
        assert actions.offer_slot(actor=None, slot=slot) == 2
        delivery.deliver_due()
        bodies = {r.form()["To"]: r.form()["Body"] for r in twilio.requests}
        assert "responda: SÍ" in bodies["+13125550101"] or "responda" in bodies["+13125550101"]
        assert "reply: YES" in bodies["+13125550102"]
        code = SlotOffer.objects.get(person=tavo).reply_code
        answer = reply(settings, "+1 (312) 555-0101", f"sí {code}")
    assert "Listo" in answer
    assert Assignment.objects.get().person == tavo


def test_a_reply_code_from_someone_elses_number_is_refused(settings, template, confirmers) -> None:
    tavo = confirmers[0]
    reachable(tavo, "+13125550101")
    slot = slot_of(weekly(template))
    with fakes.twilio():
        actions.offer_slot(actor=None, slot=slot)
        code = SlotOffer.objects.get(person=tavo).reply_code
        answer = reply(settings, "+13125559999", f"YES {code}")
        unknown = reply(settings, "+13125550101", "YES 000000")
    assert "not valid" in answer
    assert answer == unknown
    assert not Assignment.objects.exists()


def test_a_reply_that_breaks_a_limit_says_why(settings, template, confirmers) -> None:
    tavo = confirmers[0]
    reachable(tavo, "+13125550101")
    actions.set_care_limits(
        actor=None,
        committee=template.committee,
        max_hours_per_week=2,
        max_consecutive_nights=3,
        min_rest_hours=0,
    )
    slot = slot_of(weekly(template))
    with fakes.twilio():
        # Nobody can take a 4-hour slot under a 2-hour limit: nobody is offered it.
        assert actions.offer_slot(actor=None, slot=slot) == 0


def test_coordinators_hear_about_gaps_48_hours_ahead_once(
    settings, committee, coordinator, template, confirmers
) -> None:
    reachable(coordinator, "+13125550100")
    tomorrow = timezone.localdate() + timedelta(days=1)
    actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.ONCE,
        start_date=tomorrow,
        end_date=tomorrow,
        start_time=time(18),
        end_time=time(22),
    )
    far = timezone.localdate() + timedelta(days=5)
    actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.ONCE,
        start_date=far,
        end_date=far,
        start_time=time(18),
        end_time=time(22),
    )
    with fakes.twilio() as twilio:
        assert actions.warn_about_gaps() == 1
        assert actions.warn_about_gaps() == 0
        delivery.deliver_due()
    [sent] = twilio.requests
    body = sent.form()["Body"]
    assert sent.form()["To"] == "+13125550100"
    assert "Comité de Pilsen" in body
    assert "18:00–22:00" in body
    assert "2 missing" in body or "faltan 2" in body


def test_handover_text_in_spanish_names_who_is_on_and_the_gaps(template, confirmers) -> None:
    block = weekly(template, weekday=0, start=time(22), end=time(6))
    slot = slot_of(block)
    assert slot is not None
    actions.sign_up(actor=confirmers[0], person=confirmers[0], slot=slot)
    committee = template.committee
    tz = actions.tz_of(committee)
    monday = slot.starts_at.astimezone(tz).date()
    coordinator = testing.member(committee, roles=["coordinator"], username="c")
    assert coordinator.user is not None
    viewer = build_viewer(coordinator.user)
    slots = access.week_slots(viewer, committee, monday)
    text = handover_text(committee, slots, monday, "es")
    assert text.startswith("Turnos: Comité de Pilsen\n")
    assert "Verificador/a en Pilsen Este" in text
    assert "22:00–06:00: Tavo (falta 1 más)" in text
    english = handover_text(committee, slots, monday, "en")
    assert "Confirmer in Pilsen Este" in english


def test_calendar_link_shows_my_shifts_and_stops_when_revoked(template, confirmers) -> None:
    tavo = confirmers[0]
    slot = slot_of(weekly(template))
    assert slot is not None
    actions.sign_up(actor=tavo, person=tavo, slot=slot)
    token = actions.create_calendar_feed(actor=tavo, person=tavo)
    feed = Client().get(f"/shifts/calendar/{token}.ics")
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Verificador/a · Comité de Pilsen" in body
    assert slot.starts_at.strftime("DTSTART:%Y%m%dT%H%M%SZ") in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "Lupita" not in body
    actions.revoke_calendar_feed(actor=tavo, person=tavo)
    gone = Client().get(f"/shifts/calendar/{token}.ics")
    assert gone.status_code == 404
    assert "revocado" in gone.content.decode() or "revoked" in gone.content.decode()
    assert Client().get("/shifts/calendar/nonsense.ics").content == gone.content


def test_a_new_calendar_link_replaces_the_old_one(confirmers) -> None:
    tavo = confirmers[0]
    old = actions.create_calendar_feed(actor=tavo, person=tavo)
    new = actions.create_calendar_feed(actor=tavo, person=tavo)
    assert Client().get(f"/shifts/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/shifts/calendar/{new}.ics").status_code == 200


def test_messages_name_no_one_they_should_not(template, confirmers) -> None:
    reachable(confirmers[0], "+13125550101")
    slot = slot_of(weekly(template))
    with fakes.twilio():
        actions.offer_slot(actor=None, slot=slot)
    body = OutgoingMessage.objects.get().body
    assert "Lupita" not in body
    assert "Marisol" not in body
