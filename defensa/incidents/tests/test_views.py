"""The dispatcher's incident pages: inbox by priority, why reports were grouped, merge and
split, priorities a committee tunes, and sharing with a neighbour without reporter data."""

from __future__ import annotations

import pytest

from defensa import testing
from defensa.hotline.models import Report
from defensa.incidents.models import Disposition, Incident, IncidentStatus, SharedIncident
from defensa.incidents.tests.conftest import place, report
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role

pytestmark = pytest.mark.django_db

SCHOOL = (41.8536, -87.6657)
NEAR = (41.8551, -87.6640)
FAR = (41.8010, -87.6900)


def base(committee) -> str:
    return f"/staff/c/{committee.code}/incidents"


def test_the_inbox_lists_incidents_by_priority_and_polls_cheaply(pilsen, dispatcher) -> None:
    place(report("una camioneta estacionada", point=FAR, minutes_ago=90))
    urgent = place(report("ICE arrestando a un papá en la escuela", point=SCHOOL))
    client = testing.staff_client(dispatcher)
    page = client.get(f"{base(pilsen)}/").content.decode()
    assert page.index("Arresto") < page.index("vigilando")
    version = page.split('data-version="')[1].split('"')[0]
    assert client.get(f"{base(pilsen)}/?partial=1&version={version}").status_code == 204
    place(report("ICE se llevó a un señor de la escuela", point=NEAR))
    fresh = client.get(f"{base(pilsen)}/?partial=1&version={version}")
    assert fresh.status_code == 200
    assert "2 reportes" in fresh.content.decode()
    detail = client.get(f"{base(pilsen)}/{urgent.code}/").content.decode()
    assert "Por qué está en este incidente" in detail
    assert "Palabras en común" in detail


def test_merge_and_split_through_the_page(pilsen, dispatcher) -> None:
    a = place(report("ICE en la escuela", point=SCHOOL))
    b = place(report("policía en la escuela", point=NEAR))
    client = testing.staff_client(dispatcher)
    response = client.post(f"{base(pilsen)}/{a.code}/merge/", {"other": str(b.code)})
    assert response.status_code == 302
    assert Incident.objects.count() == 1
    policia = Report.objects.get(agency="police")
    response = client.post(f"{base(pilsen)}/{a.code}/split/", {"report": [str(policia.code)]})
    assert Incident.objects.count() == 2
    refused = client.post(f"{base(pilsen)}/{a.code}/split/", {}, follow=True)
    assert "ni ninguno ni todos" in refused.content.decode()


def test_a_committee_tunes_its_priorities(pilsen) -> None:
    coordinator = testing.member(pilsen, roles=[Role.COORDINATOR], username="coord")
    item = place(report("ICE en la escuela", point=SCHOOL, minutes_ago=60))
    before = Incident.objects.get(pk=item.pk).priority
    client = testing.staff_client(coordinator)
    page = client.get(f"{base(pilsen)}/priorities/")
    assert "En o cerca de una escuela" in page.content.decode()
    from defensa.incidents import triage

    points = {**triage.DEFAULTS, "school": 90}
    assert client.post(f"{base(pilsen)}/priorities/", points).status_code == 302
    assert Incident.objects.get(pk=item.pk).priority == before - 25 + 90
    wrong = client.post(f"{base(pilsen)}/priorities/", {**points, "school": 500})
    assert wrong.status_code == 400
    assert Incident.objects.get(pk=item.pk).priority == before - 25 + 90


def test_a_verified_incident_is_shared_with_a_neighbour_without_its_reports(pilsen) -> None:
    villita = testing.committee("Comité de La Villita", reg=pilsen.region)
    network_actions.add_area_unit(actor=None, committee=villita, kind=AreaKind.ZIP, value="60623")
    far_away = testing.committee("Comité lejano")
    network_actions.add_area_unit(actor=None, committee=far_away, kind=AreaKind.ZIP, value="80010")
    dispatcher = testing.member(pilsen, roles=[Role.DISPATCHER], username="d1")
    theirs = testing.member(villita, roles=[Role.DISPATCHER], username="d2")
    item = place(report("ICE arrestando en la escuela de la 18", point=SCHOOL))
    client = testing.staff_client(dispatcher)
    refused = client.post(f"{base(pilsen)}/{item.code}/share/", {"committee": str(villita.code)})
    assert refused.status_code == 302
    assert not SharedIncident.objects.exists()  # not verified yet
    Incident.objects.filter(pk=item.pk).update(
        status=IncidentStatus.VERIFIED, disposition=Disposition.CONFIRMED
    )
    page = client.get(f"{base(pilsen)}/{item.code}/").content.decode()
    assert "La Villita" in page
    assert "Comité lejano" not in page  # not a neighbour
    assert (
        client.post(
            f"{base(pilsen)}/{item.code}/share/", {"committee": str(far_away.code)}
        ).status_code
        == 404
    )
    client.post(f"{base(pilsen)}/{item.code}/share/", {"committee": str(villita.code)})
    assert SharedIncident.objects.filter(committee=villita).exists()
    other = testing.staff_client(theirs)
    summary = other.get(f"{base(villita)}/shared/{item.code}/").content.decode()
    assert "Confirmado" in summary
    assert "escuela" not in summary  # no words of any report
    assert other.get(f"{base(pilsen)}/{item.code}/").status_code == 404


def test_a_verified_incident_reaches_committees_whose_area_it_is_in(pilsen) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from defensa.incidents import confirmers, field
    from defensa.incidents.models import Dispatch, DispatchStatus

    overlapping = testing.committee("Comité del condado", reg=pilsen.region)
    network_actions.add_area_unit(
        actor=None, committee=overlapping, kind=AreaKind.COUNTY, value="17031"
    )
    other_network = testing.committee(
        "Otra red", reg=testing.region("Illinois", net=testing.network("Red B"))
    )
    network_actions.add_area_unit(
        actor=None, committee=other_network, kind=AreaKind.ZIP, value="60608"
    )
    item = place(report("ICE arrestando en la escuela de la 18", zip_code="60608"))
    tavo = testing.member(pilsen, roles=[Role.CONFIRMER], username="tavo")
    sent = Dispatch.objects.create(
        incident=item,
        person=tavo,
        status=DispatchStatus.ACCEPTED,
        answer_by=timezone.now() + timedelta(minutes=5),
        token_hash=confirmers.link_hash("x" * 43),
    )
    assert not SharedIncident.objects.exists()
    field.record_finding(
        actor=tavo, dispatch=sent, disposition=Disposition.FALSE_ALARM, observations={}
    )
    assert list(SharedIncident.objects.values_list("committee__name", flat=True)) == [
        "Comité del condado"
    ]
