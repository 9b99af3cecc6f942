"""Field verification: only a qualified confirmer who was sent and said yes records what they
found; their photos are cleaned and sealed, their words sealed; the incident follows them, and
when two disagree the dispatcher sees both and settles on what one of them found."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone, translation

from defensa import testing
from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.hotline import media_store
from defensa.hotline.media import MediaRefused
from defensa.hotline.tests.test_media import IDENTIFYING, exiftool, leaky_jpeg
from defensa.incidents import actions, field, timeline
from defensa.incidents.models import (
    Dispatch,
    DispatchStatus,
    Disposition,
    Finding,
    FindingMedia,
    Incident,
    IncidentStatus,
)
from defensa.incidents.tests.conftest import place, report
from defensa.network import actions as network_actions
from defensa.network.models import Person, Qualification, Role

pytestmark = pytest.mark.django_db

SCHOOL = (41.8536, -87.6657)
NEAR = (41.8551, -87.6640)
SEEN = "tres camionetas grises frente a la escuela Whittier"


@pytest.fixture(autouse=True)
def _english():
    """Refusals and labels are read in English here; pages answer in Spanish (the default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def tavo(pilsen) -> Person:
    return testing.member(pilsen, roles=[Role.CONFIRMER], name="Tavo", username="tavo")


@pytest.fixture
def lupita(pilsen) -> Person:
    return testing.member(pilsen, roles=[Role.CONFIRMER], name="Lupita", username="lupita")


@pytest.fixture
def incident(pilsen) -> Incident:
    return place(report("ICE arrestando a un papá en la escuela", point=SCHOOL))


def send(incident: Incident, person: Person, status: str = DispatchStatus.ACCEPTED) -> Dispatch:
    """A request to go and look, with the events dispatching writes (dispatch is built apart)."""
    now = timezone.now()
    item = Dispatch.objects.create(
        incident=incident,
        person=person,
        status=status,
        answer_by=now + timedelta(minutes=10),
        answered_at=None if status == DispatchStatus.OFFERED else now,
        token_hash=secrets.token_hex(32),
    )
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.DISPATCHED)
    chain = incident.committee.code
    audit.record(
        actor=None,
        verb="dispatch.offered",
        target=item,
        committee=chain,
        after={"incident": str(incident.code), "person": str(person.code)},
    )
    if status != DispatchStatus.OFFERED:
        verb = "dispatch.accepted" if status == DispatchStatus.ACCEPTED else f"dispatch.{status}"
        audit.record(actor=person.code, verb=verb, target=item, committee=chain)
    return item


def record(person: Person, item: Dispatch, disposition: str = Disposition.CONFIRMED, **kw):
    values = {
        "agency": "ice",
        "activity": "arrest",
        "size": 6,
        "observations": {"equipment": SEEN, "uniform": "chalecos con POLICE ICE"},
        "notes": "Una vecina dice que llegaron a las 7:40.",
        **kw,
    }
    return field.record_finding(actor=person, dispatch=item, disposition=disposition, **values)


def test_a_confirmed_finding_with_a_gps_photo_verifies_and_keeps_no_gps(
    incident, tavo, tmp_path: Path
) -> None:
    item = send(incident, tavo)
    photo = leaky_jpeg()
    found = record(tavo, item, files=[field.FieldFile(photo, "image/jpeg")])
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.VERIFIED
    assert incident.disposition == Disposition.CONFIRMED
    assert incident.verified_at is not None
    item.refresh_from_db()
    assert item.status == DispatchStatus.REPORTED
    stored = FindingMedia.objects.get(finding=found)
    clean = media_store.load(stored, "clean", committee=incident.committee)
    leaks = [key for key in exiftool(clean, tmp_path, ".jpg") if any(w in key for w in IDENTIFYING)]
    assert leaks == []
    assert media_store.load(stored, "original", committee=incident.committee) == photo
    for which in ("original", "clean"):
        raw = (Path(media_store._root()) / f"{stored.code}.{which}").read_bytes()
        assert b"GPS" not in raw
        assert b"\xff\xd8\xff" not in raw[:64]
    # What the confirmer saw is sealed: not in any row in clear, not in the audit log.
    assert field.read_observations(found)["observations"]["equipment"] == SEEN
    with connection.cursor() as cursor:
        for table in ("incidents_finding", "core_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = repr(cursor.fetchall())
            assert "camionetas" not in dump
            assert "vecina" not in dump
    after = AuditEvent.objects.get(verb="finding.recorded").after or {}
    assert after["observations"] == audit.SEALED
    assert after["media"] == [stored.sha256]


@pytest.mark.parametrize(
    "status", [DispatchStatus.OFFERED, DispatchStatus.DECLINED, DispatchStatus.EXPIRED]
)
def test_a_request_not_accepted_is_refused_and_writes_nothing(incident, tavo, status) -> None:
    item = send(incident, tavo, status=status)
    events = AuditEvent.objects.count()
    with pytest.raises(ActionRefused):
        record(tavo, item)
    assert not Finding.objects.exists()
    assert AuditEvent.objects.count() == events
    assert Dispatch.objects.get(pk=item.pk).status == status
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISPATCHED


def test_only_the_person_sent_records_a_finding(incident, tavo, lupita) -> None:
    item = send(incident, tavo)
    with pytest.raises(ActionRefused, match="Only the confirmer who was sent"):
        record(lupita, item)
    with pytest.raises(ActionRefused):
        field.record_finding(
            actor=None, dispatch=item, disposition=Disposition.CONFIRMED, observations={}
        )
    assert not Finding.objects.exists()


def test_without_a_valid_confirmer_qualification_it_is_refused(pilsen, incident, tavo) -> None:
    untrained = testing.member(pilsen, name="Beto", username="beto")
    with pytest.raises(ActionRefused, match="valid qualification"):
        record(untrained, send(incident, untrained))
    # Tavo's training lapsed after he was sent (and the role stays, as in the roster).
    item = send(incident, tavo)
    past = timezone.now() - timedelta(days=1)
    Qualification.objects.filter(person=tavo).update(
        granted_at=past - timedelta(days=365), expires_at=past
    )
    with pytest.raises(ActionRefused, match="valid qualification"):
        record(tavo, item)
    assert not Finding.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISPATCHED


def test_a_revoked_qualification_or_an_ended_membership_is_refused(
    pilsen, incident, tavo, lupita
) -> None:
    item = send(incident, tavo)
    coordinator = testing.member(pilsen, roles=[Role.COORDINATOR])
    network_actions.revoke_qualification(
        actor=coordinator, committee=pilsen, qualification=tavo.qualifications.get()
    )
    with pytest.raises(ActionRefused, match="valid qualification"):
        record(tavo, item)
    other = send(incident, lupita)
    network_actions.end_membership(
        actor=coordinator, membership=testing.membership_of(lupita, pilsen)
    )
    with pytest.raises(ActionRefused, match="no longer a member"):
        record(lupita, other)
    assert not Finding.objects.exists()


def test_a_refused_file_refuses_the_finding_and_writes_nothing(incident, tavo) -> None:
    item = send(incident, tavo)
    with pytest.raises(MediaRefused) as refused:
        record(tavo, item, files=[field.FieldFile(b"%PDF-1.4 not a photo", "image/jpeg")])
    assert refused.value.field == "photos"
    assert not Finding.objects.exists()
    assert not FindingMedia.objects.exists()
    assert Dispatch.objects.get(pk=item.pk).status == DispatchStatus.ACCEPTED


def test_two_confirmers_who_disagree_leave_it_unsettled_until_a_dispatcher_settles(
    incident, tavo, lupita, dispatcher
) -> None:
    first, second = send(incident, tavo), send(incident, lupita)
    record(tavo, first, Disposition.CONFIRMED)
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.VERIFIED
    record(lupita, second, Disposition.OTHER_AGENCY, agency="police")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DISPATCHED
    assert incident.disposition == ""
    assert incident.verified_at is None
    assert field.dispositions(incident) == [Disposition.CONFIRMED, Disposition.OTHER_AGENCY]
    with pytest.raises(ActionRefused, match="one of the confirmers"):
        field.settle(actor=dispatcher, incident=incident, disposition=Disposition.FALSE_ALARM)
    with pytest.raises(ActionRefused, match="dispatcher or coordinator"):
        field.settle(actor=tavo, incident=incident, disposition=Disposition.CONFIRMED)
    assert Incident.objects.get(pk=incident.pk).disposition == ""
    field.settle(actor=dispatcher, incident=incident, disposition=Disposition.OTHER_AGENCY)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.VERIFIED
    assert incident.disposition == Disposition.OTHER_AGENCY
    # Lupita looks again and says the same: the settled answer stands.
    record(lupita, Dispatch.objects.get(pk=second.pk), Disposition.OTHER_AGENCY)
    assert Incident.objects.get(pk=incident.pk).disposition == Disposition.OTHER_AGENCY
    # Tavo insists: they disagree again, and it waits for a dispatcher.
    record(tavo, Dispatch.objects.get(pk=first.pk), Disposition.CONFIRMED)
    assert Incident.objects.get(pk=incident.pk).disposition == ""


def test_a_second_look_replaces_the_same_confirmers_first(incident, tavo) -> None:
    item = send(incident, tavo)
    record(tavo, item, Disposition.PROBABLE)
    record(tavo, Dispatch.objects.get(pk=item.pk), Disposition.CONFIRMED)
    incident.refresh_from_db()
    assert incident.disposition == Disposition.CONFIRMED
    assert Finding.objects.filter(incident=incident).count() == 2  # nothing is overwritten


def test_a_report_that_reopens_a_closed_incident_keeps_its_findings(
    incident, tavo, dispatcher
) -> None:
    record(tavo, send(incident, tavo))
    actions.close(actor=dispatcher, incident=Incident.objects.get(pk=incident.pk))
    again = place(report("otra vez ICE en la escuela", point=NEAR))
    assert again.pk == incident.pk
    again.refresh_from_db()
    assert again.reopened == 1
    assert again.findings.count() == 1
    assert again.disposition == Disposition.CONFIRMED


def test_nothing_is_verified_without_a_finding(incident, dispatcher) -> None:
    with pytest.raises(ActionRefused, match="No confirmer"):
        field.settle(actor=dispatcher, incident=incident, disposition=Disposition.CONFIRMED)
    assert Incident.objects.get(pk=incident.pk).status != IncidentStatus.VERIFIED


def test_the_timeline_tells_the_story_in_order_with_labels(incident, tavo, lupita, dispatcher):
    first, second = send(incident, tavo), send(incident, lupita)
    record(tavo, first, Disposition.CONFIRMED)
    record(lupita, second, Disposition.FALSE_ALARM)
    field.settle(actor=dispatcher, incident=incident, disposition=Disposition.CONFIRMED)
    # A verb this module was never taught is shown, not dropped.
    audit.record(
        actor=None,
        verb="incident.something_new",
        target=incident,
        committee=incident.committee.code,
    )
    with translation.override("en"):
        entries = timeline.build(Incident.objects.get(pk=incident.pk))
    verbs = [e.verb for e in entries]
    assert verbs[:2] == ["report.received", "incident.opened"]
    assert verbs.index("dispatch.offered") < verbs.index("dispatch.accepted")
    assert verbs.index("dispatch.accepted") < verbs.index("finding.recorded")
    assert verbs[-2:] == ["incident.settled", "incident.something_new"]
    labels: dict = {}
    for e in entries:
        labels.setdefault(e.verb, e)  # the first of each
    assert labels["dispatch.accepted"].label == "Tavo accepted and is on the way"
    assert labels["dispatch.accepted"].who == "Tavo"
    assert labels["incident.opened"].who == "the system"
    assert labels["incident.settled"].who == "Paty"
    assert labels["incident.settled"].label == "The confirmers disagreed; settled as Confirmed"
    findings = [e.label for e in entries if e.verb == "finding.recorded"]
    assert findings == [
        "Tavo recorded a finding: Confirmed. The incident is verified.",
        "Lupita recorded a finding: False alarm. The confirmers disagree.",
    ]
    assert labels["incident.something_new"].label == "Recorded: incident.something_new"
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_the_timeline_follows_merges_and_splits(incident, dispatcher) -> None:
    from defensa.incidents import clustering

    other = place(report("policía en la escuela", point=(41.80, -87.69), minutes_ago=5))
    assert other.pk != incident.pk
    moved = other.links.get().report
    clustering.merge(actor=dispatcher, into=incident, other=other)
    entries = timeline.build(Incident.objects.get(pk=incident.pk))
    merged = [e for e in entries if e.verb == "incident.merged"]
    assert [e.label for e in merged] == ["Another incident was merged into this one (1 report)"]
    assert merged[0].who == "Paty"
    # The merged incident's own history comes along: its report, and its opening.
    assert str(moved.code) in {e.object_code for e in entries if e.verb == "report.received"}
    assert [e.verb for e in entries].count("incident.opened") == 2
    fresh = clustering.split(actor=dispatcher, incident=incident, reports=[moved])
    born = timeline.build(fresh)
    assert "This incident was separated from another one" in [e.label for e in born]
    assert "1 report was separated into a new incident" in [
        e.label for e in timeline.build(Incident.objects.get(pk=incident.pk))
    ]


def test_the_timeline_is_translated(incident, tavo) -> None:
    record(tavo, send(incident, tavo))
    with translation.override("es"):
        labels = [e.label for e in timeline.build(incident)]
        who = {e.who for e in timeline.build(incident)}
    assert any(label.startswith("Reporte recibido") for label in labels)
    assert "el sistema" in who


# --- Pages ------------------------------------------------------------------------------------


def page_of(item: Dispatch) -> str:
    return f"/staff/dispatches/{item.code}/finding/"


def test_the_confirmers_page_is_small_shows_only_what_they_need_and_keeps_a_draft(
    incident, tavo
) -> None:
    item = send(incident, tavo)
    client = testing.staff_client(tavo)
    response = client.get(page_of(item))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Arresto" in html  # what is happening
    assert "papá" not in html
    assert "escuela" not in html
    assert "htmx" not in html  # nothing big to load on a slow connection
    assert len(response.content) < 12_000
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script src="/static/incidents/finding.js" nonce="{nonce}"></script>' in html
    assert f'data-draft="defensa:finding:{item.code}"' in html
    assert 'enctype="multipart/form-data"' in html
    from django.contrib.staticfiles import finders

    script = Path(str(finders.find("incidents/finding.js"))).read_text()
    assert "localStorage" in script
    assert "removeItem" in script


def test_the_form_posts_without_javascript(incident, tavo, tmp_path: Path) -> None:
    item = send(incident, tavo)
    client = testing.staff_client(tavo)
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(leaky_jpeg())
    with photo.open("rb") as upload:
        response = client.post(
            page_of(item),
            {
                "disposition": "confirmed",
                "activity": "arrest",
                "agency": "ice",
                "size": "4",
                "seen_equipment": SEEN,
                "notes": "Se fueron hacia la calle 18.",
                "photos": upload,
            },
        )
    assert response.status_code == 302
    assert response["Location"].endswith("?sent=1")
    done = client.get(response["Location"]).content.decode()
    assert 'data-sent="1"' in done  # the script removes the draft
    found = Finding.objects.get()
    assert found.media.count() == 1
    assert field.read_observations(found)["notes"] == "Se fueron hacia la calle 18."
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.VERIFIED


def test_the_page_refuses_what_the_action_refuses(pilsen, incident, tavo, lupita) -> None:
    declined = send(incident, tavo, status=DispatchStatus.DECLINED)
    client = testing.staff_client(tavo)
    page = client.get(page_of(declined)).content.decode()
    assert 'id="refusal"' in page
    assert "finding-form" not in page
    response = client.post(page_of(declined), {"disposition": "confirmed"})
    assert response.status_code == 400
    assert not Finding.objects.exists()
    # Someone else's request does not exist for them.
    theirs = send(incident, lupita)
    assert client.get(page_of(theirs)).status_code == 404
    assert client.post(page_of(theirs), {"disposition": "confirmed"}).status_code == 404
    assert not Finding.objects.exists()


def test_the_dispatcher_sees_both_findings_and_settles(
    pilsen, incident, tavo, lupita, dispatcher, tmp_path: Path
) -> None:
    record(tavo, send(incident, tavo), files=[field.FieldFile(leaky_jpeg(), "image/jpeg")])
    record(lupita, send(incident, lupita), Disposition.FALSE_ALARM, agency="", notes="Nada.")
    documentarian = testing.member(pilsen, roles=[Role.DOCUMENTARIAN], username="doc")
    base = f"/staff/c/{pilsen.code}/incidents/{incident.code}"
    client = testing.staff_client(dispatcher)
    page = client.get(f"{base}/").content.decode()
    assert 'id="disagreement"' in page
    assert page.count('id="finding-') == 2
    assert SEEN in page
    assert "Nada." in page
    assert "settle-disposition" in page
    assert 'id="timeline"' in page
    assert "evidence-link" not in page  # dispatchers do not take evidence packets
    media = FindingMedia.objects.get()
    served = client.get(f"/staff/c/{pilsen.code}/incidents/finding-media/{media.code}/")
    assert served.status_code == 200
    assert served["Content-Security-Policy"].startswith("sandbox")
    leaks = [k for k in exiftool(served.content, tmp_path, ".jpg") if "GPS" in k]
    assert leaks == []
    reader = testing.staff_client(documentarian)
    read = reader.get(f"{base}/").content.decode()
    assert 'id="disagreement"' in read
    assert "settle-disposition" not in read
    assert reader.post(f"{base}/settle/", {"disposition": "confirmed"}).status_code == 404
    nobody = client.post(f"{base}/settle/", {"disposition": "other_agency"}, follow=True)
    assert Incident.objects.get(pk=incident.pk).disposition == ""
    assert nobody.status_code == 200
    assert client.post(f"{base}/settle/", {"disposition": "confirmed"}).status_code == 302
    assert Incident.objects.get(pk=incident.pk).disposition == Disposition.CONFIRMED


def test_other_committees_see_no_findings_or_photos(pilsen, aurora, incident, tavo) -> None:
    record(tavo, send(incident, tavo), files=[field.FieldFile(leaky_jpeg(), "image/jpeg")])
    theirs = testing.member(aurora, roles=[Role.DISPATCHER, Role.COORDINATOR], username="otra")
    client = testing.staff_client(theirs)
    media = FindingMedia.objects.get()
    assert (
        client.get(f"/staff/c/{pilsen.code}/incidents/finding-media/{media.code}/").status_code
        == 404
    )
    assert (
        client.get(f"/staff/c/{aurora.code}/incidents/finding-media/{media.code}/").status_code
        == 404
    )


# --- In a browser -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_loses_nothing_typed_and_a_sent_draft_is_gone(
    live_server, browser
) -> None:
    from playwright.sync_api import expect

    from defensa.network import actions as network_actions
    from defensa.network.models import AreaKind
    from defensa.shifts.tests.test_browser import sign_in

    pilsen = testing.committee("Comité de Pilsen")
    network_actions.add_area_unit(actor=None, committee=pilsen, kind=AreaKind.ZIP, value="60608")
    tavo = testing.member(pilsen, roles=[Role.CONFIRMER], name="Tavo", username="tavo")
    incident = place(report("ICE arrestando a un papá en la escuela", point=SCHOOL))
    item = send(incident, tavo)
    base = live_server.url
    address = f"{base}{page_of(item)}"

    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
    page = context.new_page()
    sign_in(page, base, tavo)
    page.goto(address)
    expect(page.get_by_role("heading", name="¿Qué encontró?")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Confirmado").check()
    page.get_by_label("Dónde exactamente, como usted lo vio").fill("Frente a la escuela, calle 18")
    page.get_by_label("Notas (lo que dijeron los vecinos, cualquier otra cosa)").fill(
        "Dos camionetas sin placas 🚐"
    )
    # The connection drops as they send: the browser shows its own error page.
    context.set_offline(True)
    page.get_by_role("button", name="Enviar lo que encontré").click()
    page.wait_for_load_state()
    context.set_offline(False)
    assert not Finding.objects.exists()
    # Back online, they open the page again: everything typed is there.
    page.goto(f"{base}/staff/")
    page.goto(address)
    expect(page.get_by_label("Confirmado")).to_be_checked()
    expect(page.get_by_label("Dónde exactamente, como usted lo vio")).to_have_value(
        "Frente a la escuela, calle 18"
    )
    expect(
        page.get_by_label("Notas (lo que dijeron los vecinos, cualquier otra cosa)")
    ).to_have_value("Dos camionetas sin placas 🚐")
    expect(page.locator("#draft-status")).to_be_visible()
    key = f"defensa:finding:{item.code}"
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None
    page.get_by_role("button", name="Enviar lo que encontré").click()
    expect(page.get_by_text("Enviado. El despachador ya ve lo que usted encontró.")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    assert "sent=" not in page.url  # opening it again later keeps a new draft
    found = Finding.objects.get()
    assert found.disposition == Disposition.CONFIRMED
    assert field.read_observations(found)["notes"] == "Dos camionetas sin placas 🚐"
    page.goto(address)
    expect(
        page.get_by_label("Notas (lo que dijeron los vecinos, cualquier otra cosa)")
    ).to_have_value("")
