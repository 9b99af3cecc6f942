"""Writes to alerts: compose, edit, approve (freeze, sign, fan out), discard, correct, expire.

Nothing is published on one person's word: an alert about an incident is composed only from
an incident a qualified confirmer verified (`incidents.actions.can_alert`), and approved by a
second person (never its composer nor anyone who edited it) who is a dispatcher or
coordinator of the committee holding a valid dispatcher qualification. Approval freezes the
alert into a signed snapshot, marks the incident alerted and writes the fan-out's batches in
the same transaction: an approval that fails leaves no delivery behind. A false alarm is as
fast as an alert: one action composes it, one approves it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.alerts import compose, fanout, verify
from defensa.alerts.models import Alert, AlertKind, AlertStatus
from defensa.core import audit, signing
from defensa.core.errors import ActionRefused
from defensa.core.validation import problem as text_problem
from defensa.incidents import actions as incidents
from defensa.incidents.models import Incident, IncidentStatus
from defensa.network.models import (
    Committee,
    Membership,
    Person,
    Qualification,
    QualificationKind,
    Role,
)

COMPOSERS = frozenset({Role.DISPATCHER, Role.COORDINATOR})
APPROVERS = frozenset({Role.DISPATCHER, Role.COORDINATOR})
CORRECTIONS = (AlertKind.FALSE_ALARM, AlertKind.ALL_CLEAR)
CORRECTABLE = [AlertStatus.APPROVED, AlertStatus.SENDING, AlertStatus.SENT, AlertStatus.EXPIRED]
MIN_EXPIRY = timedelta(minutes=15)
AUDITED = ["kind", "status", "expires_at", "verify_code", "choices"]


def _holds(person: Person, committee: Committee, roles: frozenset[str]) -> bool:
    return Membership.objects.filter(
        person=person, committee=committee, ended_at__isnull=True, roles__role__in=roles
    ).exists()


def _has_dispatcher_qualification(person: Person, at: datetime) -> bool:
    return Qualification.objects.filter(
        person=person,
        kind=QualificationKind.DISPATCHER,
        revoked_at__isnull=True,
        granted_at__lte=at,
        expires_at__gt=at,
    ).exists()


def _require_composer(actor: Person, committee: Committee) -> None:
    if not _holds(actor, committee, COMPOSERS):
        raise ActionRefused(_("Only the committee's dispatchers and coordinators compose alerts."))


def _whole_seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _expiry(kind: str, expires_in: timedelta | None, at: datetime) -> datetime:
    span = expires_in if expires_in is not None else timedelta(hours=compose.DEFAULT_HOURS[kind])
    if span < MIN_EXPIRY or span > compose.MAX_EXPIRY:
        raise ActionRefused(
            _("An alert stays current between 15 minutes and %(days)d days.")
            % {"days": compose.MAX_EXPIRY.days},
            field="expires_in",
        )
    return _whole_seconds(at + span)


def _fresh_code() -> str:
    for _attempt in range(20):
        code = compose.new_code()
        if not Alert.objects.filter(verify_code=code).exists():
            return code
    raise RuntimeError("no free verification code after 20 attempts")


def _place(committee: Committee, incident: Incident | None, key: str) -> compose.Place:
    options = compose.places_for(committee, incident)
    if not key:
        return options[0]
    found = next((p for p in options if p.key == key), None)
    if found is None:
        raise ActionRefused(_("Choose one of the places offered."), field="place")
    return found


def _advice(kind: str, key: str) -> str:
    if not key:
        return compose.default_advice(kind)
    if key not in compose.ADVICE[kind]:
        raise ActionRefused(_("Choose one of the sentences offered."), field="advice")
    return key


def _refusal_for_incident(kind: str, incident: Incident) -> str | None:
    if not incidents.can_alert(incident):
        return _(
            "This incident has not been verified by a qualified confirmer, so no alert can be "
            "composed from it."
        )
    if kind not in compose.KINDS_FOR.get(incident.disposition, ()):
        return _("This kind of alert does not match what the confirmers found.")
    return None


def _audit(actor: Person | None, verb: str, alert: Alert, before: dict | None = None) -> None:
    after = audit.snapshot(alert, AUDITED)
    after["texts"] = compose.describe(alert.texts)
    after["incident"] = str(alert.incident.code) if alert.incident else None
    after["corrects"] = str(alert.corrects.code) if alert.corrects else None
    audit.record(
        actor=actor.code if actor else None,
        verb=verb,
        target=alert,
        committee=alert.committee.code,
        before=before,
        after=after,
    )


def _new_draft(
    *,
    actor: Person,
    committee: Committee,
    kind: str,
    incident: Incident | None,
    corrects: Alert | None,
    place: compose.Place,
    advice: str,
    cells: list[str],
    expires_at: datetime,
    at: datetime,
) -> Alert:
    alert = Alert(
        committee=committee,
        incident=incident,
        corrects=corrects,
        kind=kind,
        composed_by=actor,
        composed_at=_whole_seconds(at),
        expires_at=expires_at,
        cells=cells,
        verify_code=_fresh_code(),
        choices={"place": place.key, "advice": advice},
    )
    alert.texts = compose.fill(compose.facts_of(alert, place=place))
    alert.save(force_insert=True)
    return alert


@transaction.atomic
def compose_alert(
    *,
    actor: Person,
    committee: Committee,
    kind: str,
    incident: Incident | None = None,
    place: str = "",
    advice: str = "",
    expires_in: timedelta | None = None,
) -> Alert:
    """A draft from a verified incident (or, without one, a know-your-rights reminder), filled
    from the templates in every language for every channel. Defaults make it one action."""
    _require_composer(actor, committee)
    if kind not in AlertKind.values:
        raise ActionRefused(_("Unknown kind of alert."), field="kind")
    if kind == AlertKind.ALL_CLEAR:
        raise ActionRefused(_("An all clear corrects an earlier alert: use Correct on that alert."))
    if kind == AlertKind.KNOW_YOUR_RIGHTS:
        if incident is not None:
            raise ActionRefused(_("A know-your-rights reminder is not about an incident."))
    else:
        if incident is None:
            raise ActionRefused(_("An alert of this kind is composed from a verified incident."))
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.committee_id != committee.pk:
            raise ActionRefused(_("This incident belongs to another committee."))
        refusal = _refusal_for_incident(kind, incident)
        if refusal:
            raise ActionRefused(refusal)
    now = timezone.now()
    chosen = _place(committee, incident, place)
    alert = _new_draft(
        actor=actor,
        committee=committee,
        kind=kind,
        incident=incident,
        corrects=None,
        place=chosen,
        advice=_advice(kind, advice),
        cells=compose.place_cells(committee, chosen, incident),
        expires_at=_expiry(kind, expires_in, now),
        at=now,
    )
    _audit(actor, "alert.composed", alert)
    return alert


def _locked(alert: Alert) -> Alert:
    return (
        # Only the alert's row: PostgreSQL locks no nullable side of an outer join.
        Alert.objects.select_for_update(of=("self",))
        .select_related("committee", "incident", "corrects", "composed_by")
        .get(pk=alert.pk)
    )


def _text_refusal(channel: str, text: str, code: str) -> str | None:
    family = compose.FAMILY[channel]
    reason = text_problem(text, max_length=compose.MAX_LENGTH[family], multiline=True)
    if reason:
        return reason
    if not text:
        return _("Every message needs a text.")
    if not compose.carries_code(channel, text, code):
        return _("Every message must keep the alert's code (%(code)s) so people can check it.") % {
            "code": compose.shown_code(code)
        }
    if channel == "sms" and compose.sms_count(text).segments > compose.SMS_MAX_SEGMENTS:
        return _("An SMS may take at most %(count)d segments.") % {
            "count": compose.SMS_MAX_SEGMENTS
        }
    return None


@transaction.atomic
def edit_draft(
    *,
    actor: Person,
    alert: Alert,
    place: str | None = None,
    advice: str | None = None,
    expires_in: timedelta | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> Alert:
    """Change a draft. A new place or sentence fills the templates again; texts the composer
    changed by hand (those that differ from the stored ones) are kept as typed. Whoever edits
    a draft counts as one of its composers, so they cannot approve it either."""
    alert = _locked(alert)
    if alert.status != AlertStatus.DRAFT:
        raise ActionRefused(_("An approved alert cannot be changed: correct it instead."))
    _require_composer(actor, alert.committee)
    before = audit.snapshot(alert, AUDITED)
    before["texts"] = compose.describe(alert.texts)
    old_texts = {lang: dict(by) for lang, by in alert.texts.items()}
    choices = dict(alert.choices)
    refill = False
    if place is not None and place != choices.get("place"):
        if alert.corrects_id is not None:
            raise ActionRefused(_("A correction names the place of the alert it corrects."))
        chosen = _place(alert.committee, alert.incident, place)
        choices["place"] = chosen.key
        alert.cells = compose.place_cells(alert.committee, chosen, alert.incident)
        refill = True
    if advice is not None and advice != choices.get("advice"):
        choices["advice"] = _advice(alert.kind, advice)
        refill = True
    if expires_in is not None:
        alert.expires_at = _expiry(alert.kind, expires_in, timezone.now())
    alert.choices = choices
    if refill:
        alert.texts = compose.fill(compose.facts_of(alert))
    for language, by_channel in (texts or {}).items():
        for channel, text in by_channel.items():
            if language not in old_texts or channel not in compose.CHANNELS:
                raise ActionRefused(_("Unknown language or channel."))
            text = text.replace("\r\n", "\n").strip()
            if text == old_texts[language].get(channel):
                continue  # not changed by hand
            refusal = _text_refusal(channel, text, alert.verify_code)
            if refusal:
                raise ActionRefused(refusal, field=f"{language}-{channel}")
            alert.texts[language][channel] = text
    editors = list(choices.get("edited_by", []))
    if str(actor.code) not in editors and actor.pk != alert.composed_by_id:
        editors.append(str(actor.code))
    alert.choices = {**alert.choices, "edited_by": editors}
    alert.save(update_fields=["choices", "texts", "cells", "expires_at"])
    _audit(actor, "alert.edited", alert, before=before)
    return alert


def approval_refusal(actor: Person, alert: Alert, *, at: datetime | None = None) -> str | None:
    """Why `actor` may not approve `alert` now, or None (also drives the approve button)."""
    at = at or timezone.now()
    if alert.status != AlertStatus.DRAFT:
        return _("Only a draft can be approved.")
    editors = set(alert.choices.get("edited_by", []))
    if actor.pk == alert.composed_by_id or str(actor.code) in editors:
        return _("A second person approves: not whoever composed or edited this alert.")
    if not _holds(actor, alert.committee, APPROVERS):
        return _("Only the committee's dispatchers and coordinators approve alerts.")
    if not _has_dispatcher_qualification(actor, at):
        return _("Approving an alert needs a valid dispatcher qualification.")
    if alert.expires_at <= at:
        return _("This draft's time has already run out: change its expiry first.")
    return None


def _subject_refusal(alert: Alert) -> str | None:
    """What the alert is about must still hold at approval."""
    if alert.corrects is not None:
        if alert.corrects.status not in CORRECTABLE:
            return _("The alert this corrects was already corrected or never approved.")
        return None
    if alert.kind == AlertKind.KNOW_YOUR_RIGHTS:
        return None
    if alert.incident is None:
        return _("An alert of this kind is composed from a verified incident.")
    return _refusal_for_incident(alert.kind, alert.incident)


def draft_version(alert: Alert) -> str:
    """A fingerprint of everything a draft would publish: the approve form carries the one
    the approver read, so a draft changed meanwhile (by its composer) is not approved."""
    facts = {
        "kind": alert.kind,
        "texts": alert.texts,
        "cells": sorted(alert.cells),
        "expires_at": alert.expires_at.isoformat() if alert.expires_at else None,
        "choices": alert.choices,
        "incident": str(alert.incident.code) if alert.incident else None,
        "corrects": str(alert.corrects.code) if alert.corrects else None,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def approve(*, actor: Person, alert: Alert, seen_version: str | None = None) -> Alert:
    """Freeze, sign and publish: the snapshot, the incident alerted, the original corrected,
    and the fan-out's delivery batches, all in this one transaction. `seen_version` is the
    `draft_version` the approver read (the page always sends it): a draft changed since is
    refused, so nobody signs a text they did not see."""
    alert = _locked(alert)
    if seen_version is not None and not hmac.compare_digest(seen_version, draft_version(alert)):
        raise ActionRefused(
            _("This draft changed after you opened it. Read it again before approving.")
        )
    if alert.incident is not None:
        alert.incident = Incident.objects.select_for_update().get(pk=alert.incident.pk)
    if alert.corrects is not None:
        alert.corrects = (
            Alert.objects.select_for_update().select_related("committee").get(pk=alert.corrects.pk)
        )
    now = timezone.now()
    refusal = approval_refusal(actor, alert, at=now) or _subject_refusal(alert)
    if refusal:
        raise ActionRefused(refusal)
    alert.approved_by = actor
    alert.approved_at = _whole_seconds(now)
    facts = compose.facts_of(alert)
    key_id = signing.active_key_id()
    data = verify.snapshot_of(
        alert,
        key_id=key_id,
        headlines=compose.headlines(facts),
        places=compose.place_labels(facts),
        advice=compose.advice_texts(facts),
    )
    alert.snapshot, alert.signature, alert.key_id = verify.sign_snapshot(data)
    alert.status = AlertStatus.APPROVED
    alert.save(
        update_fields=["approved_by", "approved_at", "snapshot", "signature", "key_id", "status"]
    )
    _audit(actor, "alert.approved", alert, before={"status": AlertStatus.DRAFT})
    incident = alert.incident
    if incident is not None and incident.status == IncidentStatus.VERIFIED:
        incident.status = IncidentStatus.ALERTED
        incident.save(update_fields=["status"])
        audit.record(
            actor=actor.code,
            verb="incident.alerted",
            target=incident,
            committee=alert.committee.code,
            before={"status": IncidentStatus.VERIFIED},
            after={"status": incident.status, "alert": str(alert.code)},
        )
    original = alert.corrects
    if original is not None:
        before_status = original.status
        original.status = AlertStatus.CORRECTED
        original.save(update_fields=["status"])
        _audit(actor, "alert.corrected", original, before={"status": before_status})
    fanout.plan(alert=alert)
    return alert


@transaction.atomic
def discard(*, actor: Person, alert: Alert) -> Alert:
    """Throw a draft away (its code is never reused)."""
    alert = _locked(alert)
    if alert.status != AlertStatus.DRAFT:
        raise ActionRefused(_("Only a draft can be discarded: correct an approved alert instead."))
    _require_composer(actor, alert.committee)
    alert.status = AlertStatus.DISCARDED
    alert.save(update_fields=["status"])
    _audit(actor, "alert.discarded", alert, before={"status": AlertStatus.DRAFT})
    return alert


@transaction.atomic
def correct(
    *, actor: Person, alert: Alert, kind: str, advice: str = "", expires_in: timedelta | None = None
) -> Alert:
    """A draft that corrects an approved alert ("false alarm" or "all clear"): the same place
    and cells, so its fan-out reaches everyone the original reached. One action."""
    original = _locked(alert)
    _require_composer(actor, original.committee)
    if kind not in CORRECTIONS:
        raise ActionRefused(_("A correction is a false alarm or an all clear."), field="kind")
    if original.kind != AlertKind.CONFIRMED or original.status not in CORRECTABLE:
        raise ActionRefused(_("Only an approved alert of confirmed activity can be corrected."))
    if Alert.objects.filter(corrects=original, status=AlertStatus.DRAFT).exists():
        raise ActionRefused(_("A correction of this alert is already waiting for approval."))
    now = timezone.now()
    place = compose.place_from_key(original.committee, str(original.choices.get("place", "")))
    draft = _new_draft(
        actor=actor,
        committee=original.committee,
        kind=kind,
        incident=original.incident,
        corrects=original,
        place=place,
        advice=_advice(kind, advice),
        cells=list(original.cells),
        expires_at=_expiry(kind, expires_in, now),
        at=now,
    )
    _audit(actor, "alert.composed", draft)
    return draft


@transaction.atomic
def expire_due(*, at: datetime | None = None) -> int:
    """Mark approved alerts whose time ran out as expired (corrected ones stay corrected)."""
    at = at or timezone.now()
    due = list(
        Alert.objects.select_for_update(of=("self",))
        .filter(status__in=verify.LIVE, expires_at__lte=at)
        .select_related("committee", "incident", "corrects")
    )
    for alert in due:
        before = alert.status
        alert.status = AlertStatus.EXPIRED
        alert.save(update_fields=["status"])
        _audit(None, "alert.expired", alert, before={"status": before})
    return len(due)
