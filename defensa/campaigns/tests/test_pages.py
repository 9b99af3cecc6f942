"""What a coordinator sees: an upload shows what was read, added, ended and refused (in
Spanish by default, English on request); a hostile upload is a form error; policies are
recorded, listed for every committee, and removed only by the committee that recorded them.
Every write is audited."""

from __future__ import annotations

import io

import pytest

from defensa import testing
from defensa.campaigns.models import Agreement, Jurisdiction, Policy, SourceSheet
from defensa.campaigns.tests.test_hostile import good_body, xlsx
from defensa.core.models import AuditEvent
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee():
    return testing.committee("Comité de Pilsen")


@pytest.fixture
def coordinator(committee):
    return testing.member(committee, roles=[Role.COORDINATOR], username="coordi")


def _file(data: bytes, name: str = "participatingAgencies01022026am.xlsx") -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_an_upload_shows_what_was_read_and_is_audited(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    url = f"/staff/c/{committee.code}/campaigns/import/"
    response = client.post(url, {"upload": _file(xlsx(good_body()))})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Filas leídas" in page
    assert Agreement.objects.count() == 2
    event = AuditEvent.objects.get(verb="campaigns.sheet_imported")
    assert event.committee == committee.code
    assert event.actor == coordinator.code
    assert (event.after or {})["rows_read"] == 2
    again = client.post(url, {"upload": _file(xlsx(good_body()))})
    assert "ya se importó" in again.content.decode()
    assert SourceSheet.objects.count() == 1


def test_a_hostile_upload_is_a_form_error_in_english_too(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    client.cookies["django_language"] = "en"
    url = f"/staff/c/{committee.code}/campaigns/import/"
    response = client.post(url, {"upload": _file(b"PK\x03\x04 broken")})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert not SourceSheet.objects.exists()


def test_policies_are_recorded_listed_and_removed_by_their_committee(committee, coordinator):
    other = testing.committee("Comité de Aurora")
    other_coordinator = testing.member(other, roles=[Role.COORDINATOR], username="aurora")
    client = testing.staff_client(coordinator)
    url = f"/staff/c/{committee.code}/campaigns/policies/"
    response = client.post(
        url,
        {
            "name": "California Values Act (SB 54)",
            "level": "state",
            "state": "CA",
            "adopted": "2017-10-05",
            "summary": "Limits state and local police cooperation with ICE.",
            "source_url": "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml",
        },
    )
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert policy.jurisdiction == Jurisdiction.objects.get(fips="06")
    county = client.post(
        url, {"name": "Welcoming City Ordinance", "level": "county", "state": "IL", "place": "Cook"}
    )
    assert county.status_code == 302
    assert Policy.objects.get(name="Welcoming City Ordinance").jurisdiction.fips == "17031"
    wrong = client.post(url, {"name": "X", "level": "county", "state": "IL", "place": "Nowhere"})
    assert wrong.status_code == 400
    theirs = testing.staff_client(other_coordinator)
    listed = theirs.get(f"/staff/c/{other.code}/campaigns/policies/").content.decode()
    assert "California Values Act (SB 54)" in listed
    refused = theirs.post(f"/staff/c/{other.code}/campaigns/policies/{policy.code}/remove/")
    assert refused.status_code == 404
    removed = client.post(f"{url}{policy.code}/remove/")
    assert removed.status_code == 302
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="campaigns.").values_list("verb", flat=True)
    )
    assert verbs == [
        "campaigns.policy_recorded",
        "campaigns.policy_recorded",
        "campaigns.policy_removed",
    ]
