"""Every write to reports. Nothing accepted is lost: a report is stored before anything else
(parsing, geocoding, media cleaning) can fail, and each step after it only adds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from defensa.core import audit, crypto, geo
from defensa.core.models import KeyPurpose
from defensa.core.validation import neutralize
from defensa.hotline import routing, salute
from defensa.hotline.models import Report, SeenMessage

MAX_PARTS = 50


@dataclass
class Incoming:
    """What arrived, before it is a report. Text stays out of every log."""

    channel: str
    language: str
    text: str = ""
    place: str = ""
    zip_code: str = ""
    point: tuple[float, float] | None = None
    observed_at: datetime | None = None
    callback: str = ""
    external_id: str = ""
    number: str = ""  # the hotline number it reached, for routing
    trusted: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def _content_binding(report: Report) -> crypto.Binding:
    return crypto.Binding.of(report, "content", committee=report.committee.code)


def read_content(report: Report) -> dict:
    """What a report says (for access functions and actions only)."""
    if not report.content_sealed:
        return {"parts": []}
    try:
        return dict(crypto.unseal_json(report.content_sealed, binding=_content_binding(report)))
    except crypto.KeyDestroyed:
        return {"parts": [], "destroyed": True}


def _seal_content(report: Report, content: dict) -> None:
    report.content_sealed = crypto.seal_json(
        content, binding=_content_binding(report), purpose=KeyPurpose.REPORT
    )


def _apply_reading(report: Report, reading: salute.Reading) -> list[str]:
    """Fill what the report does not know yet from what the words say; return what changed."""
    changed = []
    for name, value in (
        ("activity", reading.activity),
        ("agency", reading.agency),
        ("size", reading.size),
        ("zip_code", reading.zip_code),
    ):
        if value and not getattr(report, name):
            setattr(report, name, value)
            changed.append(name)
    if reading.now is True and report.observed_at is None:
        report.observed_at = report.received_at
        changed.append("observed_at")
    return changed


def already_seen(external_id: str) -> bool:
    """Record a provider message id; True if it was processed before (providers retry)."""
    if not external_id:
        return False
    try:
        with transaction.atomic():
            SeenMessage.objects.create(external_id=external_id)
    except IntegrityError:
        return True
    return False


@transaction.atomic
def receive_report(incoming: Incoming) -> Report:
    """Store a new report from any channel. A provider id seen before returns that report."""
    incoming.text = neutralize(incoming.text)
    incoming.place = neutralize(incoming.place)
    if incoming.external_id:
        existing = Report.objects.filter(
            channel=incoming.channel, external_id=incoming.external_id
        ).first()
        if existing is not None:
            return existing
    reading = salute.read(" ".join(filter(None, [incoming.text, incoming.place])))
    zip_code = incoming.zip_code or reading.zip_code
    cell = geo.coarse_cell(*incoming.point) if incoming.point else ""
    if not cell and zip_code and (found := geo.zip_code(zip_code)):
        cell = geo.coarse_cell(found.lat, found.lng)
    committee, routed_by = routing.route(zip_code=zip_code, cell=cell, number=incoming.number)
    report = Report(
        code=uuid.uuid4(),
        committee=committee,
        routed_by=routed_by,
        channel=incoming.channel,
        external_id=incoming.external_id,
        language=incoming.language[:8],
        observed_at=incoming.observed_at,
        zip_code=zip_code,
        cell=cell,
        trusted=incoming.trusted,
    )
    _apply_reading(report, reading)
    report.urgency = reading.urgency(trusted=incoming.trusted)
    content: dict[str, object] = {
        "parts": [{"text": incoming.text, "at": report.received_at.isoformat()}]
        if incoming.text
        else [],
        "place": incoming.place,
        "point": list(incoming.point) if incoming.point else None,
        "equipment": reading.equipment,
        "because": reading.because,
        **incoming.extra,
    }
    _seal_content(report, content)
    if incoming.callback:
        report.callback_sealed = crypto.seal_json(
            incoming.callback,
            binding=crypto.Binding.of(report, "callback", committee=committee.code),
            purpose=KeyPurpose.CONTACT,
        )
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        # The same provider id arrived twice at once: the other request stored it.
        return Report.objects.get(channel=incoming.channel, external_id=incoming.external_id)
    audit.record(
        actor=None,
        verb="report.received",
        target=report,
        committee=committee.code,
        after={
            "channel": report.channel,
            "routed_by": routed_by,
            "activity": report.activity,
            "urgency": report.urgency,
        },
    )
    return report


@transaction.atomic
def add_to_report(
    *,
    report: Report,
    text: str = "",
    place: str = "",
    zip_code: str = "",
    observed_at: datetime | None = None,
    language: str = "",
) -> Report:
    """A later message adds to a report: more words, the place, the time. Nothing is removed."""
    report = Report.objects.select_for_update().select_related("committee").get(pk=report.pk)
    text, place = neutralize(text), neutralize(place)
    content = read_content(report)
    parts = list(content.get("parts", []))
    if text and len(parts) < MAX_PARTS:
        parts.append({"text": text, "at": timezone.now().isoformat()})
    content["parts"] = parts
    if place and not content.get("place"):
        content["place"] = place
    reading = salute.read(" ".join(filter(None, [text, place])))
    if zip_code and not report.zip_code:
        report.zip_code = zip_code
    changed = _apply_reading(report, reading)
    if report.zip_code and not report.cell and (found := geo.zip_code(report.zip_code)):
        report.cell = geo.coarse_cell(found.lat, found.lng)
    if observed_at and report.observed_at is None:
        report.observed_at = observed_at
    if language:
        report.language = language[:8]
    content["equipment"] = sorted(set(content.get("equipment", [])) | set(reading.equipment))
    content["because"] = list(content.get("because", [])) + reading.because
    report.urgency = max(report.urgency, reading.urgency(trusted=report.trusted))
    _seal_content(report, content)
    report.save()
    audit.record(
        actor=None,
        verb="report.added_to",
        target=report,
        committee=report.committee.code,
        after={"fields": sorted(changed), "urgency": report.urgency},
    )
    return report


def forget_seen_messages(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _rows = SeenMessage.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def callback_of(report: Report) -> str:
    """The reporter's callback contact while it lasts ('' once its key is destroyed)."""
    if not report.callback_sealed:
        return ""
    binding = crypto.Binding.of(report, "callback", committee=report.committee.code)
    try:
        return str(crypto.unseal_json(report.callback_sealed, binding=binding))
    except crypto.KeyDestroyed:
        return ""
