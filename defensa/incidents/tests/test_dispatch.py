"""Dispatch: the nearest on-call, qualified confirmers are asked, two at least; they answer by
link, by SMS or signed in; silence and a no pass the request on; a dispatcher watches it live
and can ask someone by hand.

The cast, in Pilsen (ZIP 60608): Ana and Beto on call in the Pilsen zone, Chuy in Back of the
Yards (60609, ~5 km), Dora in Clearing (60638, ~11 km); Eva qualified but off shift; Lalo on
call in the Pilsen zone with a lapsed qualification; Memo with no qualification at all; and
Aurora's own confirmer, on call there.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.incidents import actions, dispatching, inbound, tasks
from defensa.incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from defensa.incidents.tests.conftest import place, report
from defensa.messaging.inbound import Inbound
from defensa.messaging.models import OutgoingMessage
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Person, Qualification, Role
from defensa.shifts import actions as shifts
from defensa.shifts import timeutil
from defensa.shifts.models import BlockKind, ShiftRole

pytestmark = pytest.mark.django_db

SCHOOL = (41.8536, -87.6657)  # a school in Pilsen, ZIP 60608
WORDS = "ICE arrestando a un papá afuera de la escuela Benito Juárez"
LINK = re.compile(r"/d/([A-Za-z0-9_-]{16,64})/")


# --- The cast ----------------------------------------------------------------------------------


def confirmer(
    committee, name: str, number: str, *, kind: str = "phone", qualified=True, language="es"
) -> Person:
    roles = [Role.CONFIRMER] if qualified else []
    person = testing.member(
        committee, roles=roles, name=name, username=name.lower(), languages=[language]
    )
    network_actions.update_profile(
        actor=person, person=person, contacts=[{"kind": kind, "value": number}]
    )
    return person


def on_call(committee, zone, people: list[Person]) -> None:
    """Put `people` on a confirmer shift in `zone` (None: the whole committee) running now."""
    template = shifts.create_template(
        actor=None, committee=committee, zone=zone, role=ShiftRole.CONFIRMER, needed=len(people)
    )
    tz = timeutil.committee_tz(committee)
    start = timezone.now().astimezone(tz).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=4)
    block = shifts.add_block(
        actor=None,
        template=template,
        kind=BlockKind.ONCE,
        start_date=start.date(),
        end_date=end.date(),
        start_time=start.time(),
        end_time=end.time(),
    )
    slot = block.slots.get()
    for person in people:
        shifts.sign_up(actor=person, person=person, slot=slot)


def zone(committee, name: str, zip_code: str):
    made = network_actions.create_zone(actor=None, committee=committee, name=name)
    network_actions.add_area_unit(
        actor=None, committee=committee, kind=AreaKind.ZIP, value=zip_code, zone=made
    )
    return made


@pytest.fixture
def twilio():
    with fakes.twilio() as fake:
        yield fake


@pytest.fixture
def cast(pilsen, aurora, twilio) -> dict[str, Person]:
    people = {
        "ana": confirmer(pilsen, "Ana", "+13125550101"),
        "beto": confirmer(pilsen, "Beto", "+13125550102"),
        "chuy": confirmer(pilsen, "Chuy", "+13125550103"),
        "dora": confirmer(pilsen, "Dora", "+13125550104"),
        "eva": confirmer(pilsen, "Eva", "+13125550105"),
        "lalo": confirmer(pilsen, "Lalo", "+13125550106"),
        "memo": confirmer(pilsen, "Memo", "+13125550107", qualified=False),
        "aurora": confirmer(aurora, "Rocío", "+17205550101"),
    }
    pilsen_zone = zone(pilsen, "Pilsen", "60608")
    on_call(pilsen, pilsen_zone, [people["lalo"], people["beto"], people["ana"]])
    on_call(pilsen, zone(pilsen, "Back of the Yards", "60609"), [people["chuy"]])
    on_call(pilsen, zone(pilsen, "Clearing", "60638"), [people["dora"]])
    on_call(aurora, None, [people["aurora"]])
    # Lalo's training lapsed after he signed up: he is on call, but may not be sent.
    Qualification.objects.filter(person=people["lalo"]).update(
        granted_at=timezone.now() - timedelta(days=400),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    return people


@pytest.fixture
def incident(pilsen) -> Incident:
    return place(report(WORDS, point=SCHOOL))


def asked(item: Incident, status: str = DispatchStatus.OFFERED) -> set[str]:
    return set(
        Dispatch.objects.filter(incident=item, status=status).values_list(
            "person__display_name", flat=True
        )
    )


def body_to(person: Person) -> str:
    return OutgoingMessage.objects.filter(person=person).latest("created_at").body


def code_for(item: Incident, person: Person) -> str:
    return Dispatch.objects.get(incident=item, person=person).reply_code


def token_for(person: Person) -> str:
    match = LINK.search(body_to(person))
    assert match is not None
    return match.group(1)


def sms(settings, sender: str, text: str) -> str:
    response = fakes.signed_twilio_post(
        Client(),
        "/hooks/twilio/sms/",
        fakes.sms_payload(sender, text),
        public_url=settings.DEFENSA_PUBLIC_URL,
    )
    assert response.status_code == 200
    return response.content.decode()


def base(committee, item: Incident) -> str:
    return f"/staff/c/{committee.code}/incidents/{item.code}"


# --- Who is asked ------------------------------------------------------------------------------


def test_dispatch_asks_the_two_nearest_on_call_qualified_confirmers(
    pilsen, dispatcher, cast, incident
) -> None:
    ranked = dispatching.candidates(incident)
    assert [c.person.display_name for c in ranked] == ["Ana", "Beto", "Chuy", "Dora"]
    assert ranked[0].km is not None
    assert ranked[0].km < 1
    assert ranked[2].km is not None
    assert 4 < ranked[2].km < 6
    client = testing.staff_client(dispatcher)
    page = client.post(f"{base(pilsen, incident)}/dispatch/", follow=True).content.decode()
    assert "Ana" in page
    assert "Beto" in page
    assert asked(incident) == {"Ana", "Beto"}  # not off-shift Eva, lapsed Lalo, Memo, Rocío
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DISPATCHED
    offers = list(Dispatch.objects.filter(incident=incident))
    assert {len(d.reply_code) for d in offers} == {6}
    assert offers[0].reply_code != offers[1].reply_code
    minutes = (offers[0].answer_by - offers[0].offered_at) / timedelta(minutes=1)
    assert minutes == 5
    assert AuditEvent.objects.filter(verb="dispatch.offered").count() == 2
    assert AuditEvent.objects.filter(verb="incident.dispatched").count() == 1


def test_fewer_open_requests_break_a_tie(pilsen, cast, incident) -> None:
    other = place(report("policía en el parque Cornell Square", point=(41.8097, -87.6533)))
    assert other.pk != incident.pk
    dispatching.dispatch_by_hand(actor=None, incident=other, person=cast["ana"])
    ranked = dispatching.candidates(incident)
    assert [c.person.display_name for c in ranked[:2]] == ["Beto", "Ana"]
    assert ranked[1].open_requests == 1


def test_a_committee_wide_shift_is_measured_from_the_committee_area(pilsen, twilio) -> None:
    wide = confirmer(pilsen, "Fer", "+13125550120")
    on_call(pilsen, None, [wide])
    item = place(report(WORDS, point=SCHOOL))
    [only] = dispatching.candidates(item)
    # Pilsen's area is 60608 and 60609: its centre is between the two, about 2 km away.
    assert only.zone is None
    assert only.km is not None
    assert 1 < only.km < 4


def test_only_one_on_call_is_asked_and_the_dispatcher_is_told(pilsen, dispatcher, twilio) -> None:
    alone = confirmer(pilsen, "Gabi", "+13125550121")
    on_call(pilsen, zone(pilsen, "Pilsen", "60608"), [alone])
    item = place(report(WORDS, point=SCHOOL))
    client = testing.staff_client(dispatcher)
    page = client.post(f"{base(pilsen, item)}/dispatch/", follow=True).content.decode()
    assert asked(item) == {"Gabi"}
    assert "Solo se pudo pedir a un/a verificador/a" in page


def test_nobody_on_call_is_refused_and_changes_nothing(pilsen, dispatcher, twilio) -> None:
    confirmer(pilsen, "Eva", "+13125550105")  # qualified, but not on call
    item = place(report(WORDS, point=SCHOOL))
    events = AuditEvent.objects.count()
    client = testing.staff_client(dispatcher)
    response = client.post(f"{base(pilsen, item)}/dispatch/", follow=True)
    assert "no se pidió a nadie" in response.content.decode()
    assert not Dispatch.objects.exists()
    assert not OutgoingMessage.objects.exists()
    assert Incident.objects.get(pk=item.pk).status == IncidentStatus.OPEN
    assert AuditEvent.objects.count() == events
    with pytest.raises(ActionRefused):
        dispatching.dispatch(actor=None, incident=item)


# --- Messages ----------------------------------------------------------------------------------


def test_requests_go_over_each_preferred_channel_with_the_code_and_the_link(
    settings, pilsen, incident
) -> None:
    from defensa.messaging import delivery

    with fakes.twilio() as twilio, fakes.signal_cli() as signal:
        by_signal = confirmer(pilsen, "Ana", "+13125550101", kind="signal")
        by_sms = confirmer(pilsen, "Beto", "+13125550102", language="en")
        on_call(pilsen, zone(pilsen, "Pilsen", "60608"), [by_signal, by_sms])
        dispatching.dispatch(actor=None, incident=incident)
        assert delivery.deliver_due() == 2
    [text] = [r.form() for r in twilio.requests]
    assert text["To"] == "+13125550102"
    sent = [r.json()["params"] for r in signal.requests if r.json()["method"] == "send"]
    assert [s["recipient"] for s in sent] == [["+13125550101"]]
    assert f"Reply YES {code_for(incident, by_sms)} or NO" in text["Body"]  # in English
    assert f"Responda SI {code_for(incident, by_signal)} o NO" in sent[0]["message"]
    for body in (text["Body"], sent[0]["message"]):
        assert f"{settings.DEFENSA_PUBLIC_URL}/d/" in body
        assert "60608" in body
        for word in ("papá", "escuela", "Juárez", "Arresto"):
            assert word not in body  # nothing a report said goes to the providers
    assert not OutgoingMessage.objects.filter(body__contains="+1312").exists()
    stored = Dispatch.objects.get(person=by_sms)
    assert token_for(by_sms) not in str(stored.__dict__)  # only the token's keyed hash


# --- Answers -----------------------------------------------------------------------------------


def test_accept_by_link_shows_only_what_a_confirmer_needs(cast, incident) -> None:
    dispatching.dispatch(actor=None, incident=incident)
    token = token_for(cast["ana"])
    page = Client().get(f"/d/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "60608" in html
    assert "Comité de Pilsen" in html
    assert "Arresto" in html
    for word in ("papá", "escuela", "Juárez"):
        assert word not in html
    assert "<script" not in html  # works without JavaScript
    assert len(page.content) < 4000
    done = Client().post(f"/d/{token}/answer/", {"answer": "yes"})
    assert done.status_code == 200
    assert "va en camino" in done.content.decode()
    assert asked(incident, DispatchStatus.ACCEPTED) == {"Ana"}
    assert Client().get(f"/d/{token}/").status_code == 404  # used
    assert Client().post(f"/d/{token}/answer/", {"answer": "no"}).status_code == 404
    assert Client().get("/d/not-a-real-token-at-all/").status_code == 404


def test_decline_by_link_asks_the_next_nearest_at_once(cast, incident) -> None:
    dispatching.dispatch(actor=None, incident=incident)
    Client().post(f"/d/{token_for(cast['beto'])}/answer/", {"answer": "no"})
    assert asked(incident, DispatchStatus.DECLINED) == {"Beto"}
    assert asked(incident) == {"Ana", "Chuy"}


def test_answers_by_sms_through_the_signed_webhook(settings, cast, incident) -> None:
    dispatching.dispatch(actor=None, incident=incident)
    ana, beto = cast["ana"], cast["beto"]
    stranger = sms(settings, "+13125559999", f"SI {code_for(incident, ana)}")
    unknown = sms(settings, "+13125550101", "SI 000000")
    assert "no es válido" in stranger
    assert stranger == unknown
    assert asked(incident) == {"Ana", "Beto"}
    yes = sms(settings, "+1 (312) 555-0101", f"sí {code_for(incident, ana)}")
    assert "en camino" in yes
    no = sms(settings, "+13125550102", f"No {code_for(incident, beto)}")
    assert "alguien más" in no
    assert asked(incident, DispatchStatus.ACCEPTED) == {"Ana"}
    assert asked(incident) == {"Chuy"}
    again = sms(settings, "+13125550102", f"SI {code_for(incident, beto)}")
    assert "no es válido" in again  # answered already: the code is closed
    bare = sms(settings, "+13125550103", code_for(incident, cast["chuy"]))
    assert "escriba SI" in bare
    assert asked(incident) == {"Chuy"}


def test_a_shift_offer_and_a_dispatch_are_answered_side_by_side(settings, cast, incident) -> None:
    from defensa.shifts.models import Assignment, SlotOffer
    from defensa.shifts.tests.test_schedule import slot_of, weekly

    eva = cast["eva"]
    later = shifts.create_template(
        actor=None, committee=incident.committee, zone=None, role=ShiftRole.DISPATCHER, needed=1
    )
    network_actions.grant_qualification(
        actor=None,
        committee=incident.committee,
        person=eva,
        kind="dispatcher",
        expires_at=timezone.now() + timedelta(days=300),
    )
    not_today = (timezone.localdate().weekday() + 2) % 7  # an offer for a slot not started
    shifts.offer_slot(actor=None, slot=slot_of(weekly(later, weekday=not_today)))
    dispatching.dispatch_by_hand(actor=None, incident=incident, person=eva)
    shift_code = SlotOffer.objects.get(person=eva).reply_code
    dispatch_code = code_for(incident, eva)
    assert shift_code != dispatch_code
    took = sms(settings, "+13125550105", f"SI {shift_code}")
    assert "Listo" in took
    assert Assignment.objects.filter(person=eva, role=ShiftRole.DISPATCHER).exists()
    going = sms(settings, "+13125550105", f"SI {dispatch_code}")
    assert "en camino" in going
    assert asked(incident, DispatchStatus.ACCEPTED) == {"Eva"}
    # Words that are no answer go on to the hotline, as a report.
    for text in ("hay migra en la 18", "no 12345", "sí", "NO 1234567"):
        assert inbound.handle(Inbound(channel="sms", sender="+13125550105", text=text)) is None


def test_no_answer_in_time_passes_the_request_on(settings, cast, incident) -> None:
    settings.DEFENSA_DISPATCH_ANSWER_MINUTES = 3
    start = timezone.now()
    dispatching.dispatch(actor=None, incident=incident, now=start)
    assert dispatching.escalate_due(now=start + timedelta(minutes=2)) == 0
    assert asked(incident) == {"Ana", "Beto"}
    Client().post(f"/d/{token_for(cast['ana'])}/answer/", {"answer": "yes"})
    assert dispatching.escalate_due(now=start + timedelta(minutes=3, seconds=1)) == 1
    assert asked(incident, DispatchStatus.EXPIRED) == {"Beto"}
    assert asked(incident) == {"Chuy"}
    assert "alguien más" in body_to(cast["beto"])
    assert tasks.escalate_dispatches.call() == 0  # the periodic task runs the same action


def test_requests_go_on_until_two_accept_or_nobody_is_left(pilsen, dispatcher, cast, incident):
    dispatching.dispatch(actor=None, incident=incident)
    for name in ("ana", "beto", "chuy"):
        dispatching.answer(
            dispatch=Dispatch.objects.get(incident=incident, person=cast[name]),
            accept=False,
            via="test",
        )
    assert asked(incident) == {"Dora"}  # nobody else qualified is on call
    client = testing.staff_client(dispatcher)
    page = client.get(f"{base(pilsen, incident)}/").content.decode()
    assert "Nadie más calificado está de guardia" in page
    assert "No puede ir" in page  # who declined is shown


def test_dispatch_by_hand_on_call_or_not(pilsen, dispatcher, cast, incident) -> None:
    client = testing.staff_client(dispatcher)
    page = client.get(f"{base(pilsen, incident)}/").content.decode()
    assert "Eva (fuera de guardia)" in page
    assert "Ana (de guardia)" in page
    assert "Lalo" not in page.split('id="dispatch-member"')[1].split("</select>")[0]
    eva = testing.membership_of(cast["eva"], pilsen)
    done = client.post(f"{base(pilsen, incident)}/dispatch/hand/", {"member": str(eva.code)})
    assert done.status_code == 302
    offer = Dispatch.objects.get(incident=incident, person=cast["eva"])
    assert offer.by_hand
    assert offer.km is None
    again = client.post(
        f"{base(pilsen, incident)}/dispatch/hand/", {"member": str(eva.code)}, follow=True
    )
    assert "ya se le pidió" in again.content.decode()
    memo = testing.membership_of(cast["memo"], pilsen)
    refused = client.post(f"{base(pilsen, incident)}/dispatch/hand/", {"member": str(memo.code)})
    assert refused.status_code == 404  # not qualified: not in the list at all
    assert Dispatch.objects.filter(incident=incident).count() == 1


def test_closing_an_incident_tells_everyone_asked(cast, incident) -> None:
    dispatching.dispatch(actor=None, incident=incident)
    dispatching.answer(
        dispatch=Dispatch.objects.get(incident=incident, person=cast["ana"]),
        accept=True,
        via="test",
    )
    actions.close(actor=None, incident=incident)
    assert asked(incident, DispatchStatus.CANCELLED) == {"Ana", "Beto"}
    assert "ya no necesita ir" in body_to(cast["ana"])
    assert "ya no se necesita" in body_to(cast["beto"])
    with pytest.raises(ActionRefused):
        dispatching.dispatch(actor=None, incident=incident)
    # A new report reopens it: the same confirmers can be asked again.
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.OPEN)
    dispatching.dispatch(actor=None, incident=incident)
    assert asked(incident) == {"Ana", "Beto"}


def test_a_signed_in_confirmer_answers_from_their_list(pilsen, cast, incident) -> None:
    dispatching.dispatch(actor=None, incident=incident)
    client = testing.staff_client(cast["ana"])
    page = client.get("/staff/dispatches/").content.decode()
    assert "60608" in page
    assert "papá" not in page
    mine = Dispatch.objects.get(incident=incident, person=cast["ana"])
    theirs = Dispatch.objects.get(incident=incident, person=cast["beto"])
    answer = client.post(f"/staff/dispatches/{theirs.code}/answer/", {"answer": "yes"})
    assert answer.status_code == 404
    assert Dispatch.objects.get(pk=theirs.pk).status == DispatchStatus.OFFERED
    client.post(f"/staff/dispatches/{mine.code}/answer/", {"answer": "yes"})
    assert Dispatch.objects.get(pk=mine.pk).status == DispatchStatus.ACCEPTED


# --- The dispatcher's panel, and who may use it -----------------------------------------------


def test_the_panel_is_live_and_cheap_when_nothing_changed(pilsen, dispatcher, cast, incident):
    client = testing.staff_client(dispatcher)
    dispatching.dispatch(actor=None, incident=incident)
    page = client.get(f"{base(pilsen, incident)}/").content.decode()
    version = page.split('id="dispatch-status" data-version="')[1].split('"')[0]
    panel = f"{base(pilsen, incident)}/dispatch/panel/?version={version}"
    assert client.get(panel).status_code == 204
    Client().post(f"/d/{token_for(cast['ana'])}/answer/", {"answer": "yes"})
    fresh = client.get(panel)
    assert fresh.status_code == 200
    assert "En camino" in fresh.content.decode()
    assert "En camino: 1 de 2" in fresh.content.decode()


def test_who_may_dispatch_and_watch(pilsen, aurora, dispatcher, cast, incident) -> None:
    url = base(pilsen, incident)
    theirs = testing.member(aurora, roles=[Role.DISPATCHER], username="aurora-dispatcher")
    outsider = testing.staff_client(theirs)
    assert outsider.post(f"{url}/dispatch/").status_code == 404
    assert outsider.get(f"{url}/dispatch/panel/").status_code == 404
    assert not Dispatch.objects.exists()
    own = testing.staff_client(cast["ana"])  # a confirmer of this committee
    assert own.get(f"{url}/").status_code == 404
    assert own.get(f"{url}/dispatch/panel/").status_code == 404
    assert own.post(f"{url}/dispatch/").status_code == 404
    dispatching.dispatch(actor=None, incident=incident)
    documentarian = testing.member(pilsen, roles=[Role.DOCUMENTARIAN], username="docu")
    reader = testing.staff_client(documentarian)
    page = reader.get(f"{url}/").content.decode()
    section = page.split('<section id="dispatch"')[1].split("</section>")[0]
    assert "Verificador/a 1" in section  # who is on the way, not by name
    assert "Ana" not in section
    assert "Enviar verificadores" not in section
    assert reader.post(f"{url}/dispatch/").status_code == 404
    assert Client().get(f"{url}/dispatch/panel/").status_code == 302  # sign in first
