"""The evidence packet: only coordinators and legal partners take it; it holds the original
media with hashes that match, what the reports said and what the confirmers found, the
timeline, and a signature that verifies with the published key, fails on any change, and
survives a master-key rotation."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import zipfile

import pytest
from django.test import Client

from defensa import testing
from defensa.core import signing
from defensa.core.models import AuditEvent
from defensa.core.tests.test_signing import master_keys, spec_of
from defensa.hotline import actions as hotline
from defensa.hotline.models import ReportMedia
from defensa.hotline.tests.test_media import leaky_jpeg
from defensa.incidents import field
from defensa.incidents.models import Disposition, FindingMedia
from defensa.incidents.tests.conftest import place, report
from defensa.incidents.tests.test_field import SCHOOL, SEEN, record, send
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

SAID = "ICE arrestando a un papá frente a la escuela"
CALLBACK = "+13125550148"


@pytest.fixture
def cast(pilsen, aurora):
    return {
        "coordinator": testing.member(pilsen, roles=[Role.COORDINATOR], username="chela"),
        "legal": testing.member(pilsen, roles=[Role.LEGAL_PARTNER], username="abogada"),
        "dispatcher": testing.member(pilsen, roles=[Role.DISPATCHER], username="paty"),
        "confirmer": testing.member(pilsen, roles=[Role.CONFIRMER], name="Tavo", username="tavo"),
        "documentarian": testing.member(pilsen, roles=[Role.DOCUMENTARIAN], username="doc"),
        "outsider": testing.member(aurora, roles=[Role.COORDINATOR], username="otra"),
    }


@pytest.fixture
def verified(pilsen, cast):
    first = report(SAID, point=SCHOOL, callback=CALLBACK)
    incident = place(first)
    hotline.attach_media(report=first, data=leaky_jpeg(), claimed_type="image/jpeg")
    photo = leaky_jpeg().replace(b"Maria Lopez", b"Rosa Perez!")
    record(
        cast["confirmer"],
        send(incident, cast["confirmer"]),
        files=[field.FieldFile(photo, "image/jpeg")],
    )
    return incident


def url(incident) -> str:
    return f"/staff/c/{incident.committee.code}/incidents/{incident.code}/evidence/"


def download(person, incident) -> zipfile.ZipFile:
    response = testing.staff_client(person).get(url(incident))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.getvalue()))


def test_only_coordinators_and_legal_partners_take_the_packet(verified, cast) -> None:
    for name in ("coordinator", "legal"):
        assert testing.staff_client(cast[name]).get(url(verified)).status_code == 200, name
    for name in ("dispatcher", "confirmer", "documentarian", "outsider"):
        assert testing.staff_client(cast[name]).get(url(verified)).status_code == 404, name
    anonymous = Client().get(url(verified))
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    exports = AuditEvent.objects.filter(verb="incident.evidence_exported")
    assert exports.count() == 2
    assert {e.actor for e in exports} == {cast["coordinator"].code, cast["legal"].code}


def test_the_manifest_hashes_match_the_original_media_in_the_zip(verified, cast, tmp_path) -> None:
    packet = download(cast["legal"], verified)
    (tmp_path / "manifest.json").write_bytes(packet.read("manifest.json"))
    names = set(packet.namelist())
    assert {"manifest.json", "manifest.sig", "timeline.json", "public-key.txt"} <= names
    manifest = json.loads(packet.read("manifest.json"))
    originals = {m.sha256 for m in ReportMedia.objects.all()} | {
        m.sha256 for m in FindingMedia.objects.all()
    }
    media = [f for f in manifest["files"] if f["path"].startswith("media/")]
    assert len(media) == 2
    for entry in manifest["files"]:
        data = packet.read(entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
    for entry in media:
        assert entry["sha256"] == entry["recorded_sha256"]
        assert entry["matches_record"]
        assert entry["content_type"] == "image/jpeg"
    assert {e["sha256"] for e in media} == originals
    # The originals, untouched: the metadata the cleaned copies lose is still there.
    assert all(b"PhoneMaker" in packet.read(e["path"]) for e in media)
    assert manifest["incident"]["disposition"] == Disposition.CONFIRMED
    (said,) = manifest["reports"]
    assert said["said"]["parts"][0]["text"] == SAID
    assert said["channel"] == "web"
    assert said["language"] == "es"
    (found,) = manifest["findings"]
    assert found["observations"]["equipment"] == SEEN
    assert found["confirmer"]["name"] == "Tavo"
    assert found["media"]
    assert said["media"]
    raw = packet.read("manifest.json").decode()
    assert CALLBACK not in raw
    assert "5550148" not in raw
    timeline = json.loads(packet.read("timeline.json"))
    verbs = [e["verb"] for e in timeline]
    assert verbs[0] == "report.received"
    assert "finding.recorded" in verbs
    after = AuditEvent.objects.get(verb="incident.evidence_exported").after or {}
    assert after["manifest_sha256"] == hashlib.sha256(packet.read("manifest.json")).hexdigest()


def test_the_signature_verifies_with_the_published_key_and_fails_on_one_changed_byte(
    verified, cast
) -> None:
    packet = download(cast["coordinator"], verified)
    manifest, signature = packet.read("manifest.json"), packet.read("manifest.sig")
    key_id = json.loads(manifest)["signature"]["key_id"]
    assert key_id in packet.read("public-key.txt").decode()
    published = Client().get("/.well-known/defensa-signing-keys.json").json()
    key = next(base64.b64decode(k["public_key"]) for k in published["keys"] if k["id"] == key_id)
    assert signing.verify_with(manifest, key, signature)
    changed = bytearray(manifest)
    changed[len(changed) // 2] ^= 0x01
    assert not signing.verify_with(bytes(changed), key, signature)
    assert not signing.verify(bytes(changed), key_id, signature)


def test_an_old_packet_still_verifies_after_a_master_key_rotation(verified, cast) -> None:
    from defensa.core import crypto

    packet = download(cast["coordinator"], verified)
    manifest, signature = packet.read("manifest.json"), packet.read("manifest.sig")
    old_id = json.loads(manifest)["signature"]["key_id"]
    rotated = {"m-2027": secrets.token_bytes(32), **crypto.master_ring().keys}
    with master_keys(spec_of(rotated)):
        assert signing.verify(manifest, old_id, signature)
        published = Client().get("/.well-known/defensa-signing-keys.json").json()
        assert [k["id"] for k in published["keys"]][:2] == ["m-2027", old_id]
        fresh = download(cast["coordinator"], verified)
        fresh_manifest = fresh.read("manifest.json")
        assert json.loads(fresh_manifest)["signature"]["key_id"] == "m-2027"
        assert signing.verify(fresh_manifest, "m-2027", fresh.read("manifest.sig"))
