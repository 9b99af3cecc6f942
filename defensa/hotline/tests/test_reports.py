"""Reports: stored sealed, routed to the right committee, read only by its dispatchers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from defensa import testing
from defensa.core import actions as core_actions
from defensa.hotline import actions, salute
from defensa.hotline.actions import Incoming
from defensa.hotline.models import Activity, Agency, Report, RoutedBy
from defensa.hotline.tests.conftest import AURORA_NUMBER
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


def web(text: str, **kw) -> Report:
    return actions.receive_report(Incoming(channel="web", language="es", text=text, **kw))


def test_report_is_routed_by_zip_then_county_then_number(pilsen, aurora) -> None:
    assert web("migra en 60608").committee == pilsen
    by_county = web("ICE at 80010 right now")  # Aurora's area is Arapahoe County
    assert (by_county.committee, by_county.routed_by) == (aurora, RoutedBy.AREA)
    by_number = actions.receive_report(
        Incoming(channel="sms", language="es", text="hay agentes", number=AURORA_NUMBER)
    )
    assert (by_number.committee, by_number.routed_by) == (aurora, RoutedBy.NUMBER)
    nowhere = web("algo raro")
    assert nowhere.routed_by == RoutedBy.DEFAULT


def test_a_map_point_routes_through_the_committees_cells(pilsen) -> None:
    from defensa.core import geo
    from defensa.network import actions as network_actions

    point = (39.7294, -104.8319)  # Aurora, Colorado
    cell = geo.coarse_cell(*point)
    coarse = geo.parent_cells(cell)[2]  # a resolution-5 area cell
    network_actions.add_area_unit(actor=None, committee=pilsen, kind="cell", value=coarse)
    report = web("agentes", point=point)
    assert report.committee == pilsen
    assert report.cell == cell


def test_what_a_report_says_is_sealed(pilsen) -> None:
    report = web("Tres agentes de ICE en la Calle 18, 60608", callback="+13125550142")
    stored = Report.objects.get(pk=report.pk)
    assert b"Calle 18" not in bytes(stored.content_sealed or b"")
    assert b"5550142" not in bytes(stored.callback_sealed or b"")
    content = actions.read_content(stored)
    assert content["parts"][0]["text"] == "Tres agentes de ICE en la Calle 18, 60608"
    assert actions.callback_of(stored) == "+13125550142"


def test_callback_contact_is_shredded_after_seven_days(pilsen) -> None:
    report = web("agentes", callback="+13125550142")
    core_actions.shred_expired_keys(now=timezone.now() + timedelta(days=9))
    stored = Report.objects.get(pk=report.pk)
    assert actions.callback_of(stored) == ""
    assert actions.read_content(stored)["parts"]  # the report itself stays


def test_the_same_provider_id_makes_one_report(pilsen) -> None:
    incoming = Incoming(channel="sms", language="es", text="migra", external_id="SM" + "1" * 32)
    first = actions.receive_report(incoming)
    for _ in range(4):
        assert actions.receive_report(incoming) == first
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "activity", "agency", "size", "now"),
    [
        (
            "La migra se llevaron a un señor ahorita en la 18",
            Activity.ARREST,
            Agency.ICE,
            None,
            True,
        ),
        (
            "3 camionetas de ICE estacionadas frente a la escuela",
            Activity.SURVEILLANCE,
            Agency.ICE,
            3,
            None,
        ),
        (
            "Border patrol checkpoint on Cermak, two agents",
            Activity.CHECKPOINT,
            Agency.CBP,
            2,
            None,
        ),
        ("Redada en la fábrica ayer, muchos agentes", Activity.RAID, Agency.UNKNOWN, 10, False),
        ("Imigrasyon arete yon moun kounye a", Activity.ARREST, Agency.ICE, None, True),
    ],
)
def test_salute_reads_what_the_words_say(text, activity, agency, size, now) -> None:
    reading = salute.read(text)
    assert (reading.activity, reading.agency, reading.size, reading.now) == (
        activity,
        agency,
        size,
        now,
    )
    assert reading.because  # always explained


def test_urgency_puts_arrests_at_schools_first() -> None:
    arrest = salute.read("arrestando a alguien en la escuela ahora").urgency()
    parked = salute.read("una camioneta estacionada").urgency()
    past = salute.read("ayer hubo un retén").urgency()
    assert arrest > parked > past


def test_later_messages_add_and_never_remove(pilsen) -> None:
    report = web("hay agentes")
    actions.add_to_report(report=report, text="en la escuela de la 18, 60608")
    stored = Report.objects.get(pk=report.pk)
    assert [p["text"] for p in actions.read_content(stored)["parts"]] == [
        "hay agentes",
        "en la escuela de la 18, 60608",
    ]
    assert stored.zip_code == "60608"
    assert stored.urgency >= report.urgency


def test_dispatchers_of_the_committee_read_its_inbox_and_nobody_else(pilsen, aurora) -> None:
    report = web("migra en 60608 ahora")
    dispatcher = testing.member(pilsen, roles=[Role.DISPATCHER], username="paty")
    documentarian = testing.member(pilsen, roles=[Role.DOCUMENTARIAN], username="doc")
    confirmer = testing.member(pilsen, roles=[Role.CONFIRMER], username="conf")
    elsewhere = testing.member(aurora, roles=[Role.DISPATCHER], username="otro")
    inbox = f"/staff/c/{pilsen.code}/reports/"
    detail = f"{inbox}{report.code}/"
    for person in (dispatcher, documentarian):
        client = testing.staff_client(person)
        assert "migra en 60608 ahora" in client.get(inbox).content.decode()
        assert client.get(detail).status_code == 200
    for person in (confirmer, elsewhere):
        client = testing.staff_client(person)
        assert client.get(inbox).status_code == 404
        assert client.get(detail).status_code == 404
    assert (
        testing.staff_client(elsewhere)
        .get(f"/staff/c/{aurora.code}/reports/{report.code}/")
        .status_code
        == 404
    )


def test_inbox_polling_costs_nothing_when_nothing_is_new(pilsen, dispatcher) -> None:
    web("migra")
    client = testing.staff_client(dispatcher)
    page = client.get(f"/staff/c/{pilsen.code}/reports/").content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    same = client.get(f"/staff/c/{pilsen.code}/reports/?partial=1&version={version}")
    assert same.status_code == 204
    web("otro reporte")
    fresh = client.get(f"/staff/c/{pilsen.code}/reports/?partial=1&version={version}")
    assert fresh.status_code == 200
    assert "otro reporte" in fresh.content.decode()


def test_inbox_is_most_urgent_then_newest(pilsen, dispatcher) -> None:
    web("una camioneta estacionada en 60608")
    web("arrestando a alguien ahora en 60608")
    web("otra camioneta estacionada en 60608")
    page = testing.staff_client(dispatcher).get(f"/staff/c/{pilsen.code}/reports/")
    html = page.content.decode()
    assert html.index("arrestando") < html.index("otra camioneta") < html.index("una camioneta")


def test_bidi_controls_are_neutralized_and_everything_else_kept(pilsen) -> None:
    text = "Rosa \u202egnp.exe\u202c e\u0301 👩🏽\u200d🌾 مرحبا 你好"
    report = web(text)
    said = actions.read_content(Report.objects.get(pk=report.pk))["parts"][0]["text"]
    assert said == "Rosa <U+202E>gnp.exe<U+202C> e\u0301 👩🏽\u200d🌾 مرحبا 你好"
