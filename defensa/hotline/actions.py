"""Every write to reports. Nothing accepted is lost: a report is stored before anything else
(parsing, geocoding, media cleaning) can fail, and each step after it only adds."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from defensa.core import audit, crypto, geo, geocode
from defensa.core.models import KeyPurpose
from defensa.core.validation import neutralize
from defensa.hotline import media, media_store, routing, salute
from defensa.hotline.models import (
    Agency,
    Conversation,
    Report,
    ReportMedia,
    RoutedBy,
    TrustedToken,
)
from defensa.network.models import Committee, Person

MAX_PARTS = 50
MAX_MEDIA = 10
TRUSTED_CACHE_SECONDS = 300


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
    # What the reporter chose on a form (beats what the words seem to say).
    agency: str = ""
    size: int | None = None
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
    if incoming.point and not zip_code and (near := geo.nearest_zip(*incoming.point)):
        zip_code = near.code
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
    if incoming.agency in Agency.values:
        report.agency = incoming.agency
    if incoming.size is not None:
        report.size = incoming.size
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
    if not incoming.external_id:
        report.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                report.save(force_insert=True)
        except IntegrityError:
            # The same provider id arrived twice at once: the other request stored it.
            return Report.objects.get(channel=incoming.channel, external_id=incoming.external_id)
    _announce(report)
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
    _announce(report)
    audit.record(
        actor=None,
        verb="report.added_to",
        target=report,
        committee=report.committee.code,
        after={"fields": sorted(changed), "urgency": report.urgency},
    )
    return report


def _announce(report: Report) -> None:
    """Tell the apps that follow reports (incidents) about this one.

    With the database task backend their tasks are written in the report's own transaction:
    one commit, and a report is never stored without its follow-up. Other backends hand tasks
    to a queue outside the database, so that waits for the commit (the incidents app's
    periodic safety net catches what a crash between the two would drop).
    """
    for path in settings.DEFENSA_REPORT_HANDLERS:
        handler = partial(import_string(path), report.pk)
        if settings.TASKS_BACKEND == "db":
            handler()
        else:
            transaction.on_commit(handler)


def set_status(*, report: Report, status: str) -> None:
    """Where a report is on its way (received, grouped, triaged...). Its contents never change;
    the incident's audit events say what moved it."""
    Report.objects.filter(pk=report.pk).update(status=status)


def callback_of(report: Report) -> str:
    """The reporter's callback contact while it lasts ('' once its key is destroyed)."""
    if not report.callback_sealed:
        return ""
    binding = crypto.Binding.of(report, "callback", committee=report.committee.code)
    try:
        return str(crypto.unseal_json(report.callback_sealed, binding=binding))
    except crypto.KeyDestroyed:
        return ""


def locate_later(report: Report) -> None:
    """After the report is safely stored, find its map point in the background."""
    from defensa.hotline.tasks import locate_report

    if report.cell and report.zip_code:
        return  # a ZIP already placed it; a geocoder would only refine the point
    transaction.on_commit(lambda: locate_report.enqueue(report.pk))


# --- Places -----------------------------------------------------------------------------------


@transaction.atomic
def locate(*, report: Report) -> Report:
    """Find a map point for a report that has a place or ZIP but no point (runs after intake).

    A report that matched no committee's area is moved to the committee whose area holds it.
    """
    report = Report.objects.select_for_update().select_related("committee").get(pk=report.pk)
    content = read_content(report)
    if content.get("point") or content.get("destroyed"):
        return report
    found = geocode.locate(str(content.get("place") or ""), zip_code=report.zip_code)
    if found is None:
        return report
    content["point"] = [round(found.lat, 5), round(found.lng, 5)]
    content["located_by"] = found.source
    report.cell = geo.coarse_cell(found.lat, found.lng)
    if not report.zip_code and (near := geo.nearest_zip(found.lat, found.lng)):
        report.zip_code = near.code
    _seal_content(report, content)
    report.save(update_fields=["cell", "zip_code", "content_sealed"])
    if report.routed_by == RoutedBy.DEFAULT:
        better = routing.committee_for_place(zip_code=report.zip_code, cell=report.cell)
        if better is not None and better != report.committee:
            reroute(report=report, committee=better)
    _announce(report)  # it has a place now: the incidents app may group it better
    return report


@transaction.atomic
def reroute(*, report: Report, committee: Committee) -> Report:
    """Give a report to another committee: what it says is sealed again with that
    committee's keys (the old committee's keys no longer open it)."""
    report = Report.objects.select_for_update().select_related("committee").get(pk=report.pk)
    before = report.committee
    content = read_content(report)
    callback = callback_of(report)
    report.committee = committee
    report.routed_by = RoutedBy.AREA
    _seal_content(report, content)
    report.callback_sealed = (
        crypto.seal_json(
            callback,
            binding=crypto.Binding.of(report, "callback", committee=committee.code),
            purpose=KeyPurpose.CONTACT,
        )
        if callback
        else None
    )
    report.save()
    for item in report.media.all():
        media_store.move(item, old_committee=before, new_committee=committee)
    for chain in (before.code, committee.code):
        audit.record(
            actor=None,
            verb="report.rerouted",
            target=report,
            committee=chain,
            after={"from": str(before.code), "to": str(committee.code)},
        )
    return report


# --- Trusted reporters ------------------------------------------------------------------------


def _trusted_hash(token: str) -> str:
    return salted_hmac("defensa.hotline.trusted", token, algorithm="sha256").hexdigest()


@transaction.atomic
def issue_trusted_token(*, actor: Person | None, committee: Committee, label: str) -> str:
    """A link for someone the committee trusts (a partner, a known neighbour): their web
    reports skip the proof-of-work and are marked trusted. Shown once; only a hash is kept."""
    token = secrets.token_urlsafe(18)
    item = TrustedToken.objects.create(
        committee=committee, label=label, token_hash=_trusted_hash(token)
    )
    audit.record(
        actor=actor.code if actor else None,
        verb="hotline.trusted_token_issued",
        target=item,
        committee=committee.code,
        after={"label": label},
    )
    return token


@transaction.atomic
def revoke_trusted_token(*, actor: Person | None, token: TrustedToken) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    key = _trusted_cache_key(token.token_hash)
    cache.delete(key)
    # Again once committed: a request may have cached the link between the two.
    transaction.on_commit(lambda: cache.delete(key))
    audit.record(
        actor=actor.code if actor else None,
        verb="hotline.trusted_token_revoked",
        target=token,
        committee=token.committee.code,
    )


def _trusted_cache_key(token_hash: str) -> str:
    return f"defensa:trusted:{token_hash}"


def trusted(token: str) -> TrustedToken | None:
    """The live trusted-reporter link for this token, or None.

    Found links are remembered in the cache (by hash) for a few minutes: a trusted partner
    sending many reports costs one query. Revoking forgets it at once.
    """
    if not token or len(token) > 64:
        return None
    token_hash = _trusted_hash(token)
    found = cache.get(_trusted_cache_key(token_hash))
    if isinstance(found, TrustedToken):
        return found
    found = TrustedToken.objects.filter(token_hash=token_hash, revoked_at__isnull=True).first()
    if found is not None:
        cache.set(_trusted_cache_key(token_hash), found, timeout=TRUSTED_CACHE_SECONDS)
    return found


# --- Media ------------------------------------------------------------------------------------


@transaction.atomic
def attach_media(
    *, report: Report, data: bytes, claimed_type: str = "", source_id: str = ""
) -> ReportMedia:
    """Check and clean a file, then keep both copies sealed. Raises media.MediaRefused.

    A file with a provider id already attached to this report is not attached again.
    """
    if source_id and (found := report.media.filter(source_id=source_id).first()):
        return found
    cleaned = media.clean(data, claimed_type=claimed_type)
    if report.media.count() >= MAX_MEDIA:
        raise media.MediaRefused(_("A report can carry at most ten files."))
    item = ReportMedia.objects.create(
        report=report,
        kind=cleaned.kind,
        content_type=cleaned.content_type,
        size=len(cleaned.original),
        sha256=cleaned.sha256,
        source_id=source_id[:64],
    )
    media_store.save(item, "original", cleaned.original, committee=report.committee)
    media_store.save(item, "clean", cleaned.clean, committee=report.committee)
    audit.record(
        actor=None,
        verb="report.media_added",
        target=item,
        committee=report.committee.code,
        after={"report": str(report.code), "kind": item.kind, "sha256": item.sha256},
    )
    return item


def forget_expired_conversations(*, now: datetime | None = None) -> int:
    deleted, _rows = Conversation.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


# --- Text conversations -----------------------------------------------------------------------
# A conversation row is routing state, like a rate-limit counter: it links a keyed daily hash to
# a report for two hours and is then deleted. Its steps are not audited (an audit row would
# outlive it and keep a timeline of one sender's messages); what they do to reports is.


def _seal_callback(report: Report, contact: str) -> bytes:
    return crypto.seal_json(
        contact,
        binding=crypto.Binding.of(report, "callback", committee=report.committee.code),
        purpose=KeyPurpose.CONTACT,
    )


@transaction.atomic
def set_callback(*, report: Report, contact: str) -> Report:
    """The reporter asked to be called back: their contact, sealed with the daily contact key
    that is destroyed DEFENSA_CONTACT_RETENTION_DAYS later, exactly as `receive_report` does."""
    report = Report.objects.select_for_update().select_related("committee").get(pk=report.pk)
    before = audit.snapshot(report, [], sealed=["callback_sealed"])
    report.callback_sealed = _seal_callback(report, contact)
    report.save(update_fields=["callback_sealed"])
    audit.record(
        actor=None,
        verb="report.callback_set",
        target=report,
        committee=report.committee.code,
        before=before,
        after=audit.snapshot(report, [], sealed=["callback_sealed"]),
    )
    return report


@transaction.atomic
def withdraw_callback(*, report: Report) -> Report:
    """The reporter said STOP: nobody is to call them back."""
    report = Report.objects.select_for_update().select_related("committee").get(pk=report.pk)
    if not report.callback_sealed:
        return report
    report.callback_sealed = None
    report.save(update_fields=["callback_sealed"])
    audit.record(
        actor=None,
        verb="report.callback_withdrawn",
        target=report,
        committee=report.committee.code,
        before={"callback_sealed": audit.SEALED},
        after={"callback_sealed": None},
    )
    return report


@transaction.atomic
def start_conversation(
    *,
    channel: str,
    sender_hash: str,
    report: Report | None,
    language: str,
    language_source: str,
    step: str,
    knows: tuple[bool, bool, bool] = (False, False, False),
    now: datetime | None = None,
) -> Conversation:
    """Remember, for DEFENSA_CONVERSATION_MINUTES, which report a sender's next words add to.

    Two first messages from one sender at once (a long text split by the carrier) both make a
    report; the second finds the first's conversation and returns it.
    """
    now = now or timezone.now()
    # An expired row not yet purged would hold the sender's place.
    Conversation.objects.filter(
        channel=channel, sender_hash=sender_hash, expires_at__lte=now
    ).delete()
    what, where, when = knows
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                channel=channel,
                sender_hash=sender_hash,
                report=report,
                language=language[:8],
                language_source=language_source,
                step=step,
                knows_what=what,
                knows_where=where,
                knows_when=when,
                messages=1 if report is not None else 0,
                expires_at=now + timedelta(minutes=settings.DEFENSA_CONVERSATION_MINUTES),
            )
    except IntegrityError:
        return Conversation.objects.select_for_update().get(
            channel=channel, sender_hash=sender_hash
        )


CONVERSATION_FIELDS = frozenset(
    {
        "sender_hash",
        "report",
        "language",
        "language_source",
        "step",
        "knows_what",
        "knows_where",
        "knows_when",
        "messages",
    }
)


@transaction.atomic
def update_conversation(*, conversation: Conversation, **changes: object) -> Conversation:
    """Record the conversation's next step (what it now knows, which report, which language).
    Its expiry never moves: a conversation lasts DEFENSA_CONVERSATION_MINUTES from its start."""
    unknown = set(changes) - CONVERSATION_FIELDS
    if unknown:
        raise TypeError(f"not conversation state: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(conversation, name, value)
    if changes:
        conversation.save(update_fields=sorted(changes))
    return conversation


@transaction.atomic
def end_conversation(*, channel: str, sender_hashes: list[str]) -> int:
    """STOP: whatever links this sender to a report is deleted now, not in two hours."""
    deleted, _rows = Conversation.objects.filter(
        channel=channel, sender_hash__in=sender_hashes
    ).delete()
    return deleted
