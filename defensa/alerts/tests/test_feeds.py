"""The public feeds: Atom, JSON Feed 1.1 and CAP 1.2, made from signed snapshots only. The CAP
alerts are checked against the structure CAP 1.2 requires (elements, order, values)."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from defensa.alerts import actions, feeds
from defensa.alerts.models import Alert, AlertKind
from defensa.alerts.tests.test_compose import Cast, approved, cast, verified
from defensa.core import signing

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")

# CAP 1.2 (OASIS, 2010), sections 3.2.1-3.2.4: the order of elements, which are required.
ALERT_ORDER = [
    "identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
    "addresses", "code", "note", "references", "incidents", "info",
]  # fmt: skip
ALERT_REQUIRED = {"identifier", "sender", "sent", "status", "msgType", "scope"}
INFO_ORDER = [
    "language", "category", "event", "responseType", "urgency", "severity", "certainty",
    "audience", "eventCode", "effective", "onset", "expires", "senderName", "headline",
    "description", "instruction", "web", "contact", "parameter", "resource", "area",
]  # fmt: skip
INFO_REQUIRED = {"category", "event", "urgency", "severity", "certainty"}
VALUES = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
    "category": {
        "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
        "Transport", "Infra", "CBRNE", "Other",
    },
    "responseType": {
        "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess",
        "AllClear", "None",
    },
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}  # fmt: skip


def parsed(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own feed, not untrusted input


def _local(element: ET.Element) -> str:
    assert element.tag.startswith(CAP), element.tag
    return element.tag[len(CAP) :]


def _in_order(children: list[ET.Element], order: list[str]) -> list[str]:
    names = [_local(e) for e in children]
    assert all(n in order for n in names), names
    positions = [order.index(n) for n in names]
    assert positions == sorted(positions), names
    return names


def check_cap(alert: ET.Element) -> None:
    """Fail unless `alert` has the structure CAP 1.2 requires."""
    assert alert.tag == f"{CAP}alert"
    names = _in_order(list(alert), ALERT_ORDER)
    assert set(names) >= ALERT_REQUIRED
    for name in ALERT_REQUIRED - {"sent"}:
        assert len(alert.findall(f"{CAP}{name}")) == 1
    for name in ("status", "msgType", "scope"):
        assert alert.findtext(f"{CAP}{name}") in VALUES[name]
    assert CAP_TIME.match(alert.findtext(f"{CAP}sent") or "")
    identifier = alert.findtext(f"{CAP}identifier") or ""
    sender = alert.findtext(f"{CAP}sender") or ""
    assert identifier
    assert not re.search(r"[\s,<&]", identifier)
    assert sender
    assert not re.search(r"[\s,<&]", sender)
    if alert.findtext(f"{CAP}msgType") in ("Update", "Cancel"):
        references = alert.findtext(f"{CAP}references") or ""
        assert references.count(",") == 2, references
        assert CAP_TIME.match(references.split(",")[2])
    infos = alert.findall(f"{CAP}info")
    assert infos
    for info in infos:
        names = _in_order(list(info), INFO_ORDER)
        assert set(names) >= INFO_REQUIRED, names
        for name in ("category", "responseType", "urgency", "severity", "certainty"):
            for element in info.findall(f"{CAP}{name}"):
                assert element.text in VALUES[name], (name, element.text)
        for name in ("effective", "expires"):
            assert CAP_TIME.match(info.findtext(f"{CAP}{name}") or "")
        areas = info.findall(f"{CAP}area")
        assert areas
        for area in areas:
            children = [_local(e) for e in area]
            assert children[0] == "areaDesc"
            assert area.findtext(f"{CAP}areaDesc")
            assert {"polygon", "geocode", "circle"} & set(children)
            for polygon in area.findall(f"{CAP}polygon"):
                points = (polygon.text or "").split(" ")
                assert len(points) >= 4
                assert points[0] == points[-1]
                for point in points:
                    lat, lng = (float(x) for x in point.split(","))
                    assert -90 <= lat <= 90
                    assert -180 <= lng <= 180


@pytest.fixture
def c() -> Cast:
    return cast()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def published(c) -> tuple[Alert, Alert]:
    """A confirmed alert corrected as a false alarm, and a know-your-rights reminder."""
    original = approved(c, verified(c.tavo))
    correction = actions.approve(
        actor=c.rosa,
        alert=actions.correct(actor=c.paty, alert=original, kind=AlertKind.FALSE_ALARM),
    )
    reminder = actions.approve(
        actor=c.rosa,
        alert=actions.compose_alert(
            actor=c.paty, committee=c.pilsen, kind=AlertKind.KNOW_YOUR_RIGHTS
        ),
    )
    return correction, reminder


def test_the_cap_feed_holds_valid_cap_alerts_in_spanish_and_english(c, published) -> None:
    correction, reminder = published
    response = Client().get("/alertas/cap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert "public" in response["Cache-Control"]
    root = parsed(response.content)
    assert root.tag == f"{ATOM}feed"
    alerts = [e.find(f"{ATOM}content/{CAP}alert") for e in root.findall(f"{ATOM}entry")]
    assert len(alerts) == 2
    for alert in alerts:
        assert alert is not None
        check_cap(alert)
        languages = [i.findtext(f"{CAP}language") for i in alert.findall(f"{CAP}info")]
        assert {"es-US", "en-US"} <= set(languages)
    by_id = {a.findtext(f"{CAP}identifier"): a for a in alerts if a is not None}
    cancel = by_id[feeds.identifier(str(correction.code))]
    assert cancel.findtext(f"{CAP}msgType") == "Cancel"
    assert correction.corrects is not None
    assert feeds.identifier(str(correction.corrects.code)) in (
        cancel.findtext(f"{CAP}references") or ""
    )
    rights = by_id[feeds.identifier(str(reminder.code))]
    assert rights.findtext(f"{CAP}msgType") == "Alert"
    assert rights.findtext(f"{CAP}info/{CAP}category") == "Safety"


def test_a_confirmed_alert_is_an_immediate_security_alert_with_its_area(c) -> None:
    alert = approved(c)
    root = parsed(Client().get("/alertas/cap.xml").content)
    cap = root.find(f"{ATOM}entry/{ATOM}content/{CAP}alert")
    assert cap is not None
    check_cap(cap)
    info = next(i for i in cap.findall(f"{CAP}info") if i.findtext(f"{CAP}language") == "en-US")
    assert info.findtext(f"{CAP}urgency") == "Immediate"
    assert info.findtext(f"{CAP}certainty") == "Observed"
    assert info.findtext(f"{CAP}area/{CAP}areaDesc") == "ZIP code 60608"
    assert info.findtext(f"{CAP}web", "").endswith(f"/alertas/v/{alert.verify_code}/")


def test_the_atom_feed_lists_current_alerts_in_the_asked_language(c, published) -> None:
    correction, reminder = published
    response = Client().get("/alertas/feed.atom?lang=en")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parsed(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids == [f"urn:uuid:{reminder.code}", f"urn:uuid:{correction.code}"]
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert "was a false alarm" in (titles[1] or "")
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}link").get("href", "").startswith("http")  # type: ignore[union-attr]


def test_the_json_feed_carries_snapshots_anyone_can_verify(c, published) -> None:
    response = Client().get("/alertas/feed.json?lang=es")
    assert response["Content-Type"] == "application/feed+json"
    body = json.loads(response.content)
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert body["language"] == "es"
    assert len(body["items"]) == 2
    for item in body["items"]:
        signed = item["_defensa"]
        key = signing.public_key(signed["key_id"])
        assert key is not None
        assert signing.verify_with(
            signed["snapshot"].encode(), key.raw, base64.b64decode(signed["signature"])
        )
        assert json.loads(signed["snapshot"])["alert"] == item["id"]
    corrected = next(i for i in body["items"] if i["_defensa"]["corrects"])
    assert corrected["_defensa"]["kind"] == AlertKind.FALSE_ALARM


def test_expired_alerts_leave_every_feed(c) -> None:
    approved(c, expires_in=timedelta(hours=1))
    actions.expire_due(at=timezone.now() + timedelta(hours=2))
    client = Client()
    assert json.loads(client.get("/alertas/feed.json").content)["items"] == []
    assert parsed(client.get("/alertas/feed.atom").content).find(f"{ATOM}entry") is None
    assert parsed(client.get("/alertas/cap.xml").content).find(f"{ATOM}entry") is None
