"""The evidence packet: what the committee's lawyers need about one incident, in one signed ZIP.

It holds `manifest.json` (the incident, what each report said, what each confirmer found, and
for every original photo, video or recording its path, size, type and SHA-256), `timeline.json`
(the audit log's events about it, with their chain position and hash), the original media files
(never the cleaned copies: the originals are what a court may ask for), `manifest.sig` (an
Ed25519 signature over the exact bytes of manifest.json, which names the SHA-256 of every other
file) and `public-key.txt`. Checking the signature and then the hashes proves nothing in the
packet changed since Defensa made it.

It carries everything unsealed, so only coordinators and legal partners may take it
(`access.evidence`), and taking it is audited. It never holds a reporter's callback contact,
their provider message id or the map point they dropped: a packet can be handed on, and none
of those say anything about what happened.

The ZIP is written to an unnamed temporary file, one media file in memory at a time, and
streamed from there: a large incident does not need its size in memory.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from defensa.core import audit, crypto, signing
from defensa.hotline import media as hotline_media
from defensa.hotline import media_store
from defensa.hotline.actions import read_content
from defensa.hotline.models import Report
from defensa.incidents import field, timeline
from defensa.incidents.models import Finding, Incident
from defensa.network.models import Person

FORMAT = "defensa-evidence/1"
MANIFEST = "manifest.json"
# What of a report's sealed content goes into the packet: what people said about the event.
SAID = ("parts", "place", "equipment", "when")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "audio/mp4": "m4a",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/amr": "amr",
}


@dataclass
class Packet:
    file: IO[bytes]  # at its start; the caller closes it (FileResponse does)
    filename: str
    manifest_sha256: str
    key_id: str


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _zip_time(value: datetime) -> tuple[int, int, int, int, int, int]:
    at = value.astimezone(UTC)
    return (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)


class _Writer:
    """Adds files to the ZIP and remembers what the manifest says about each."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []
        self.missing: list[dict[str, str]] = []

    def add(self, path: str, data: bytes, *, at: datetime, compress: bool) -> str:
        info = zipfile.ZipInfo(path, date_time=_zip_time(at))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        self.archive.writestr(info, data)
        return hashlib.sha256(data).hexdigest()

    def original(self, item: Any, *, folder: str, of: dict[str, str], committee: Any) -> str | None:
        """The untouched original of a report's or finding's media item, or None if gone."""
        try:
            data = media_store.load(item, "original", committee=committee)
        except crypto.KeyDestroyed:
            self.missing.append({**of, "media": str(item.code), "reason": "key_destroyed"})
            return None
        except FileNotFoundError:
            self.missing.append({**of, "media": str(item.code), "reason": "file_missing"})
            return None
        found = hotline_media.sniff(data)
        content_type = found[1] if found else item.content_type
        extension = EXTENSIONS.get(content_type, "bin")
        path = f"media/{folder}/{item.code}.{extension}"
        digest = self.add(path, data, at=item.created_at, compress=False)
        self.files.append(
            {
                "path": path,
                "size": len(data),
                "content_type": content_type,
                "sha256": digest,
                "recorded_sha256": item.sha256,
                "matches_record": digest == item.sha256,
                **of,
                "media": str(item.code),
            }
        )
        return path


def _person(person: Person | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"code": str(person.code), "name": person.display_name}


def _incident_facts(incident: Incident) -> dict[str, Any]:
    return {
        "code": str(incident.code),
        "status": incident.status,
        "disposition": incident.disposition,
        "verified_at": _iso(incident.verified_at),
        "opened_at": _iso(incident.opened_at),
        "first_seen_at": _iso(incident.first_seen_at),
        "last_report_at": _iso(incident.last_report_at),
        "closed_at": _iso(incident.closed_at),
        "reopened": incident.reopened,
        "zip_code": incident.zip_code,
        "cell": incident.cell,
        "activity": incident.activity,
        "agency": incident.agency,
        "size": incident.size,
        "reports": incident.reports_count,
    }


def _report(report: Report, writer: _Writer) -> dict[str, Any]:
    content = read_content(report)
    media = []
    for item in report.media.order_by("created_at", "pk"):
        of = {"report": str(report.code)}
        path = writer.original(
            item, folder=f"reports/{report.code}", of=of, committee=report.committee
        )
        if path:
            media.append(path)
    return {
        "code": str(report.code),
        "channel": report.channel,
        "received_at": _iso(report.received_at),
        "observed_at": _iso(report.observed_at),
        "language": report.language,
        "zip_code": report.zip_code,
        "activity": report.activity,
        "agency": report.agency,
        "size": report.size,
        "readable": not content.get("destroyed", False),
        "said": {key: content[key] for key in SAID if content.get(key)},
        "media": media,
    }


def _finding(finding: Finding, writer: _Writer) -> dict[str, Any]:
    seen = field.read_observations(finding)
    dispatch = finding.dispatch
    media = []
    for item in finding.media.order_by("created_at", "pk"):
        of = {"finding": str(finding.code)}
        path = writer.original(
            item,
            folder=f"findings/{finding.code}",
            of=of,
            committee=finding.incident.committee,
        )
        if path:
            media.append(path)
    return {
        "code": str(finding.code),
        "confirmer": _person(finding.person),
        "dispatch": {
            "code": str(dispatch.code),
            "offered_at": _iso(dispatch.offered_at),
            "answered_at": _iso(dispatch.answered_at),
            "by_hand": dispatch.by_hand,
        },
        "recorded_at": _iso(finding.created_at),
        "disposition": finding.disposition,
        "agency": finding.agency,
        "activity": finding.activity,
        "size": finding.size,
        "readable": not seen.get("destroyed", False),
        "observations": seen["observations"],
        "notes": seen["notes"],
        "media": media,
    }


def _timeline(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "at": _iso(entry.at),
            "verb": entry.verb,
            "label": entry.label,
            "who": entry.who,
            "actor": str(entry.event.actor) if entry.event.actor else None,
            "object_type": entry.object_type,
            "object_code": entry.object_code,
            "after": entry.event.after,
            "chain": entry.event.chain,
            "seq": entry.event.seq,
            "hash": entry.event.hash,
        }
        for entry in timeline.build(incident)
    ]


def _public_key_text(key_id: str) -> str:
    found = signing.public_key(key_id)
    assert found is not None
    pem = (
        Ed25519PublicKey.from_public_bytes(found.raw)
        .public_bytes(encoding=Encoding.PEM, format=PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    published = settings.DEFENSA_PUBLIC_URL.rstrip("/") + "/.well-known/defensa-signing-keys.json"
    return (
        f"key id: {key_id}\n"
        f"algorithm: {signing.ALGORITHM}\n"
        f"public key (base64, raw 32 bytes): {found.base64}\n"
        f"published at: {published}\n\n"
        f"{pem}\n"
        "manifest.sig is the raw Ed25519 signature of the exact bytes of manifest.json.\n"
        "Check it against a copy of the published key, not only this file, e.g.:\n"
        "  openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in manifest.json "
        "-sigfile manifest.sig\n"
        "then check each file's SHA-256 against manifest.json (sha256sum).\n"
    )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def build(*, actor: Person | None, incident: Incident, handle: IO[bytes]) -> tuple[str, str]:
    """Write the packet into `handle`. Returns (manifest SHA-256, signing key id)."""
    now = timezone.now()
    key_id = signing.active_key_id()
    reports = list(
        Report.objects.filter(incident_link__incident=incident)
        .select_related("committee")
        .order_by("received_at", "pk")
    )
    findings = list(
        Finding.objects.filter(incident=incident)
        .select_related("person", "dispatch", "incident__committee")
        .order_by("created_at", "pk")
    )
    with zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
        writer = _Writer(archive)
        report_rows = [_report(report, writer) for report in reports]
        finding_rows = [_finding(finding, writer) for finding in findings]
        events = _dumps(_timeline(incident))
        digest = writer.add("timeline.json", events, at=now, compress=True)
        writer.files.append(
            {
                "path": "timeline.json",
                "size": len(events),
                "content_type": "application/json",
                "sha256": digest,
            }
        )
        manifest = _dumps(
            {
                "format": FORMAT,
                "generated_at": _iso(now),
                "generated_by": _person(actor),
                "committee": {
                    "code": str(incident.committee.code),
                    "name": incident.committee.name,
                },
                "incident": _incident_facts(incident),
                "reports": report_rows,
                "findings": finding_rows,
                "files": writer.files,
                "missing": writer.missing,
                "signature": {
                    "algorithm": signing.ALGORITHM,
                    "key_id": key_id,
                    "file": "manifest.sig",
                },
            }
        )
        signed_by, signature = signing.sign(manifest)
        assert signed_by == key_id
        writer.add(MANIFEST, manifest, at=now, compress=True)
        writer.add("manifest.sig", signature, at=now, compress=False)
        writer.add("public-key.txt", _public_key_text(key_id).encode(), at=now, compress=True)
    return hashlib.sha256(manifest).hexdigest(), key_id


@transaction.atomic
def _record_export(
    *, actor: Person | None, incident: Incident, manifest_sha256: str, key_id: str
) -> None:
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.evidence_exported",
        target=incident,
        committee=incident.committee.code,
        after={
            "manifest_sha256": manifest_sha256,
            "key_id": key_id,
            "reports": Report.objects.filter(incident_link__incident=incident).count(),
            "findings": Finding.objects.filter(incident=incident).count(),
        },
    )


def export(*, actor: Person | None, incident: Incident) -> Packet:
    """Build the packet for a viewer `access.evidence` allowed, and audit that they took it.

    The packet is built outside a transaction (it only reads, and may take a while); the audit
    event is written before anything is handed over, so no packet leaves unrecorded. The
    manifest's hash in that event ties the audit log to the exact packet.
    """
    handle = tempfile.TemporaryFile(prefix="defensa-evidence-")  # noqa: SIM115 - streamed later
    try:
        manifest_sha256, key_id = build(actor=actor, incident=incident, handle=handle)
        _record_export(
            actor=actor, incident=incident, manifest_sha256=manifest_sha256, key_id=key_id
        )
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return Packet(
        file=handle,
        filename=f"defensa-evidence-{incident.code}.zip",
        manifest_sha256=manifest_sha256,
        key_id=key_id,
    )
