"""A coordinator starts "End 287(g) in Galveston County" with targets, asks and scripts in
Spanish, English and K'iche'; members count their calls and testimony, which are kept as
numbers with no person; the fact sheet prints the asks, the targets and the county's facts.
Every write is audited; refusals say why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from defensa import testing
from defensa.campaigns import campaign_actions as actions
from defensa.campaigns.campaign_models import ActionTally, CallScript, Campaign, Target
from defensa.campaigns.tests.conftest import load, research
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee():
    return testing.committee("Comité de Galveston")


@pytest.fixture
def coordinator(committee):
    return testing.member(committee, roles=[Role.COORDINATOR], username="coordi")


@pytest.fixture
def member(committee):
    return testing.member(committee, username="vecina", name="Doña Rosa")


def base(committee) -> str:
    return f"/staff/c/{committee.code}/campaigns"


def test_a_coordinator_starts_a_campaign_for_a_county(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    response = client.post(
        f"{base(committee)}/new/",
        {
            "title": "Fin del 287(g) en el condado de Galveston",
            "state": "TX",
            "county": "Galveston",
            "goal": "Que el sheriff termine sus tres acuerdos con ICE.",
            "asks": "Terminar el acuerdo de cárcel\n\nNo renovar la fuerza de tarea\n",
        },
    )
    item = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{base(committee)}/{item.code}/"
    assert (item.jurisdiction.fips, item.status, item.committee) == ("48167", "planning", committee)
    assert item.ask_list == ["Terminar el acuerdo de cárcel", "No renovar la fuerza de tarea"]
    page = client.get(response["Location"]).content.decode()
    assert "Fin del 287(g) en el condado de Galveston" in page
    assert "No renovar la fuerza de tarea" in page
    event = AuditEvent.objects.get(verb="campaigns.campaign_created")
    assert (event.actor, event.committee) == (coordinator.code, committee.code)
    wrong = client.post(
        f"{base(committee)}/new/", {"title": "X", "state": "TX", "county": "Nowhere"}
    )
    assert wrong.status_code == 400
    assert "no es un condado de este estado" in wrong.content.decode()


def test_targets_have_public_contacts_and_a_checked_phone_number(committee) -> None:
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    assert item.jurisdiction.fips == "48"  # no county: the whole state
    target = actions.add_target(
        actor=None,
        campaign=item,
        name="Henry Trochesset",
        office="Sheriff, Galveston County",
        phone="(409) 766-2300 ext. 12",
        email="sheriff@example.org",
        address="601 54th St, Galveston, TX 77551",
    )
    assert (target.phone, target.phone_extension) == ("+14097662300", "12")
    assert target.phone_display == "(409) 766-2300"
    assert target.phone_link == "tel:+14097662300;ext=12"
    with pytest.raises(ActionRefused) as refused:
        actions.add_target(actor=None, campaign=item, name="X", office="Y", phone="12")
    assert refused.value.field == "phone"
    actions.remove_target(actor=None, target=target)
    assert not Target.objects.exists()
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="campaigns.t").values_list("verb", flat=True)
    )
    assert verbs == ["campaigns.target_added", "campaigns.target_removed"]


def test_call_scripts_are_kept_per_spoken_language(committee, coordinator) -> None:
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    client = testing.staff_client(coordinator)
    url = f"{base(committee)}/{item.code}/scripts/"
    for language, text in (
        ("es", "Hola, soy vecina del condado y le pido que termine el 287(g)."),
        ("en", "Hello, I live in the county and I ask you to end 287(g)."),
        ("quc", "Saqarik. In aj Galveston."),
    ):
        assert client.post(url, {"language": language, "text": text}).status_code == 302
    assert set(CallScript.objects.values_list("language", flat=True)) == {"es", "en", "quc"}
    client.post(url, {"language": "en", "text": "Hello again."})
    assert CallScript.objects.get(language="en").text == "Hello again."
    client.post(url, {"language": "en", "text": ""})
    assert not CallScript.objects.filter(language="en").exists()
    assert client.post(url, {"language": "xx", "text": "?"}).status_code == 400
    page = client.get(f"{base(committee)}/{item.code}/").content.decode()
    assert "K&#x27;iche&#x27;" in page or "K'iche'" in page
    assert 'lang="quc"' in page


def test_members_count_actions_without_their_names(committee, coordinator, member) -> None:
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    client = testing.staff_client(member)
    url = f"{base(committee)}/{item.code}/actions/"
    today = actions.committee_today(committee)
    assert client.post(url, {"kind": "call", "count": 3, "day": today}).status_code == 302
    assert client.post(url, {"kind": "call", "count": 2, "day": today}).status_code == 302
    assert client.post(url, {"kind": "testimony", "count": 1, "day": today}).status_code == 302
    tallies = {t.kind: t.count for t in ActionTally.objects.all()}
    assert tallies == {"call": 5, "testimony": 1}
    # The tally table has no place for a person.
    fields = {f.name for f in ActionTally._meta.get_fields()}
    assert fields == {"id", "campaign", "day", "kind", "count"}
    page = client.get(f"{base(committee)}/{item.code}/").content.decode()
    assert "<strong>5</strong> Llamadas" in page
    assert "Doña Rosa" not in page
    # The audit log keeps who logged, as for every write (see the threat model).
    events = AuditEvent.objects.filter(verb="campaigns.actions_logged")
    assert [e.actor for e in events] == [member.code] * 3
    assert events[0].after == {"kind": "call", "day": today.isoformat(), "added": 3}


def test_counts_that_cannot_be_true_are_refused(committee, member) -> None:
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    client = testing.staff_client(member)
    url = f"{base(committee)}/{item.code}/actions/"
    today = actions.committee_today(committee)
    future = client.post(url, {"kind": "call", "count": 1, "day": today + timedelta(days=2)})
    assert future.status_code == 400
    assert "Ese día todavía no ha llegado." in future.content.decode()
    assert client.post(url, {"kind": "call", "count": 0, "day": today}).status_code == 400
    assert client.post(url, {"kind": "call", "count": 501, "day": today}).status_code == 400
    assert client.post(url, {"kind": "riot", "count": 1, "day": today}).status_code == 400
    item.status = "won"
    item.save(update_fields=["status"])
    with pytest.raises(ActionRefused):
        actions.log_actions(actor=None, campaign=item, kind="call", count=1, day=today)
    assert not ActionTally.objects.exists()


def test_a_coordinator_corrects_a_count_and_changes_the_status(committee, coordinator) -> None:
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    today = actions.committee_today(committee)
    actions.log_actions(actor=None, campaign=item, kind="meeting", count=40, day=today)
    client = testing.staff_client(coordinator)
    one = f"{base(committee)}/{item.code}"
    corrected = client.post(
        f"{one}/actions/correct/", {"kind": "meeting", "day": today, "count": 4}
    )
    assert corrected.status_code == 302
    assert ActionTally.objects.get().count == 4
    event = AuditEvent.objects.get(verb="campaigns.actions_corrected")
    assert (event.before or {})["count"] == 40
    assert (event.after or {})["count"] == 4
    saved = client.post(f"{one}/edit/", {"title": "Fin del 287(g)", "status": "active"})
    assert saved.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status) == ("Fin del 287(g)", "active")
    assert client.post(f"{one}/edit/", {"title": "", "status": "active"}).status_code == 400


def test_the_fact_sheet_prints_asks_targets_and_the_countys_facts(committee, member) -> None:
    load(research("ice-287g", "participatingAgencies05182026am.xlsx"))
    item = actions.create_campaign(
        actor=None,
        committee=committee,
        title="Fin del 287(g) en Galveston",
        state="TX",
        county="48167",
        asks="Terminar los tres acuerdos del sheriff",
    )
    actions.add_target(
        actor=None, campaign=item, name="Henry Trochesset", office="Sheriff", phone="4097662300"
    )
    actions.set_call_script(actor=None, campaign=item, language="es", text="Buenos días.")
    actions.log_actions(
        actor=None, campaign=item, kind="call", count=12, day=actions.committee_today(committee)
    )
    client = testing.staff_client(member)
    response = client.get(f"{base(committee)}/{item.code}/sheet/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for text in (
        "Terminar los tres acuerdos del sheriff",
        "Henry Trochesset",
        "(409) 766-2300",
        "Buenos días.",
        "<strong>12</strong> Llamadas",
        "11 acuerdos 287(g) vigentes",
        "Galveston County Sheriff",
        "participatingAgencies05182026am.xlsx",
        "/static/campaigns/facts.css",
        'class="shape-map"',
    ):
        assert text in page, text


def test_the_committee_page_links_to_campaigns(committee, member) -> None:
    page = testing.staff_client(member).get(f"/staff/c/{committee.code}/").content.decode()
    assert f'href="{base(committee)}/"' in page


def test_the_day_offered_for_counts_is_the_committees_day(committee, member) -> None:
    """At 03:00 UTC it is still the evening before in Chicago: that is the day offered, and
    it is accepted."""
    from freezegun import freeze_time

    committee.timezone = "America/Chicago"
    committee.save(update_fields=["timezone"])
    item = actions.create_campaign(actor=None, committee=committee, title="T", state="TX")
    client = testing.staff_client(member)
    assert client.get(f"{base(committee)}/{item.code}/").status_code == 200  # URLs loaded
    with freeze_time("2026-12-02T03:00:00Z"):
        page = client.get(f"{base(committee)}/{item.code}/").content.decode()
        assert 'value="2026-12-01"' in page
        assert 'value="2026-12-02"' not in page
        posted = client.post(
            f"{base(committee)}/{item.code}/actions/",
            {"kind": "call", "count": 1, "day": "2026-12-01"},
        )
        assert posted.status_code == 302
