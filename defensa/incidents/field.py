"""Field verification: what a confirmer found on the ground, and what the incident is then.

Only the person a dispatch went to may record a finding, only while that request is accepted
(or already reported, for a second look), and only while they hold a valid confirmer
qualification. Every refusal is decided before anything is written. What they saw (SALUTE)
and their notes are sealed with the committee's report key; photos and videos are cleaned
like intake media and both copies are sealed.

The incident follows its confirmers: when everyone's latest finding agrees, it is verified
with that disposition; when they disagree it stays unsettled until a dispatcher chooses one
of the dispositions a confirmer recorded (`settle`). Findings are never edited or removed: a
second look is a second finding, and a report that reopens a closed incident leaves them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit, crypto
from defensa.core.errors import ActionRefused
from defensa.core.models import KeyPurpose
from defensa.core.validation import neutralize
from defensa.hotline import media, media_store
from defensa.hotline.models import Activity, Agency
from defensa.incidents import dispatching, sharing
from defensa.incidents.access import POLICY, IncidentCan
from defensa.incidents.models import (
    Dispatch,
    DispatchStatus,
    Disposition,
    Finding,
    FindingMedia,
    Incident,
    IncidentStatus,
)
from defensa.network.actions import is_qualified
from defensa.network.models import Membership, MembershipRole, Person, QualificationKind

# SALUTE: size, activity, location, uniform (agency), time, equipment, in the confirmer's words.
SALUTE = ("size", "activity", "location", "uniform", "time", "equipment")
MAX_OBSERVATION = 1000
MAX_NOTES = 4000
MAX_SIZE = 500
MAX_FILES = 6
MAY_RECORD = (DispatchStatus.ACCEPTED, DispatchStatus.REPORTED)
# States a finding moves on its own; an alerted or closed incident keeps its state (people
# decided those), and only its disposition follows the confirmers.
UNSETTLED_STATES = (IncidentStatus.OPEN, IncidentStatus.DISPATCHED, IncidentStatus.VERIFIED)


@dataclass(frozen=True)
class FieldFile:
    """A file the confirmer sent, as received (cleaned by `record_finding`)."""

    data: bytes
    content_type: str = ""


# --- Sealed observations ----------------------------------------------------------------------


def _binding(finding: Finding, committee_code: Any) -> crypto.Binding:
    return crypto.Binding.of(finding, "observations", committee=committee_code)


def read_observations(finding: Finding) -> dict[str, Any]:
    """{"observations": {...}, "notes": "..."}; {"destroyed": True} once the key is gone.
    For access functions and the evidence packet only."""
    if not finding.observations_sealed:
        return {"observations": {}, "notes": ""}
    binding = _binding(finding, finding.incident.committee.code)
    try:
        found = dict(crypto.unseal_json(finding.observations_sealed, binding=binding))
    except crypto.KeyDestroyed:
        return {"observations": {}, "notes": "", "destroyed": True}
    return {"observations": dict(found.get("observations", {})), "notes": found.get("notes", "")}


# --- Who may record ---------------------------------------------------------------------------


def refusal(*, person: Person | None, dispatch: Dispatch) -> str | None:
    """Why this person cannot record a finding for this request now, or None if they can."""
    if person is None or dispatch.person_id != person.pk:
        return _("Only the confirmer who was sent can record what they found.")
    if dispatch.status not in MAY_RECORD:
        return {
            DispatchStatus.OFFERED: _("Accept the request first, then record what you find."),
            DispatchStatus.DECLINED: _("You said you could not go, so there is nothing to record."),
            DispatchStatus.EXPIRED: _("This request ran out before it was accepted."),
            DispatchStatus.CANCELLED: _("This request was cancelled: it is no longer needed."),
        }.get(DispatchStatus(dispatch.status), _("This request no longer takes findings."))
    committee = dispatch.incident.committee
    if not Membership.objects.filter(
        person=person, committee=committee, ended_at__isnull=True
    ).exists():
        return _("You are no longer a member of this committee.")
    if not is_qualified(person, QualificationKind.CONFIRMER):
        return _(
            "Only a confirmer with a valid qualification can record a finding. "
            "Ask a coordinator to renew yours."
        )
    return None


def _check_values(
    *, disposition: str, agency: str, activity: str, size: int | None, notes: str
) -> None:
    if disposition not in Disposition.values:
        raise ActionRefused(_("Choose what you found."), field="disposition")
    if agency not in Agency.values:
        raise ActionRefused(_("Choose an agency from the list."), field="agency")
    if activity not in Activity.values:
        raise ActionRefused(_("Choose what they were doing from the list."), field="activity")
    if size is not None and not 0 <= size <= MAX_SIZE:
        raise ActionRefused(
            _("Write a number from 0 to %(limit)d.") % {"limit": MAX_SIZE}, field="size"
        )
    if len(notes) > MAX_NOTES:
        raise ActionRefused(
            _("The notes are too long: at most %(limit)d characters.") % {"limit": MAX_NOTES},
            field="notes",
        )


def _clean_observations(observations: Mapping[str, str]) -> dict[str, str]:
    unknown = set(observations) - set(SALUTE)
    if unknown:
        raise ValueError(f"not a SALUTE observation: {sorted(unknown)}")
    kept = {}
    for key in SALUTE:
        value = neutralize(str(observations.get(key) or "")).strip()
        if len(value) > MAX_OBSERVATION:
            raise ActionRefused(
                _("This is too long: at most %(limit)d characters.") % {"limit": MAX_OBSERVATION},
                field=key,
            )
        if value:
            kept[key] = value
    return kept


# --- What the incident is, from its findings -------------------------------------------------


def standing(incident: Incident) -> list[Finding]:
    """Each confirmer's latest finding (a second look replaces their first), oldest first."""
    latest: dict[int, Finding] = {}
    for finding in Finding.objects.filter(incident=incident).order_by("created_at", "pk"):
        latest[finding.person_id] = finding
    return sorted(latest.values(), key=lambda f: (f.created_at, f.pk))


def dispositions(incident: Incident) -> list[str]:
    """The dispositions the confirmers stand by now, in the order they were first recorded."""
    return list(dict.fromkeys(f.disposition for f in standing(incident)))


def _apply(incident: Incident, disposition: str) -> None:
    """Set the incident to `disposition` (verified), or unsettled when it is ''."""
    if disposition:
        if incident.disposition != disposition or incident.verified_at is None:
            incident.verified_at = timezone.now()
        incident.disposition = disposition
        if incident.status in UNSETTLED_STATES:
            incident.status = IncidentStatus.VERIFIED
    else:
        incident.disposition = ""
        incident.verified_at = None
        if incident.status in UNSETTLED_STATES:
            incident.status = IncidentStatus.DISPATCHED
    incident.save(update_fields=["status", "disposition", "verified_at"])
    if incident.disposition:
        sharing.share_with_overlapping(incident=incident)


def _decide(incident: Incident, finding: Finding) -> None:
    found = dispositions(incident)
    if len(found) == 1:
        _apply(incident, found[0])
    elif incident.disposition == finding.disposition:
        # They still disagree, and this one agrees with what a dispatcher settled on.
        _apply(incident, incident.disposition)
    else:
        _apply(incident, "")  # they disagree: a dispatcher must look at both


# --- Actions ----------------------------------------------------------------------------------


@transaction.atomic
def record_finding(
    *,
    actor: Person | None,
    dispatch: Dispatch,
    disposition: str,
    agency: str = "",
    activity: str = "",
    size: int | None = None,
    observations: Mapping[str, str],
    notes: str = "",
    files: Sequence[FieldFile] = (),
) -> Finding:
    """A confirmer's finding. Raises ActionRefused (or media.MediaRefused) before writing."""
    notes = neutralize(notes).strip()
    dispatch = Dispatch.objects.select_related("incident__committee", "person").get(pk=dispatch.pk)
    reason = refusal(person=actor, dispatch=dispatch)
    if reason:
        raise ActionRefused(reason)
    assert actor is not None  # refusal() said who it is
    _check_values(disposition=disposition, agency=agency, activity=activity, size=size, notes=notes)
    seen = _clean_observations(observations)
    if len(files) > MAX_FILES:
        raise ActionRefused(
            _("Send at most %(limit)d files at once.") % {"limit": MAX_FILES}, field="photos"
        )
    # Cleaning may take seconds (video): done before any row is locked.
    try:
        cleaned = [media.clean(item.data, claimed_type=item.content_type) for item in files]
    except media.MediaRefused as exc:
        raise media.MediaRefused(exc.message, field="photos") from exc

    incident = (
        Incident.objects.select_for_update()
        .select_related("committee")
        .get(pk=dispatch.incident_id)
    )
    dispatch = (
        Dispatch.objects.select_for_update()
        .select_related("incident__committee")
        .get(pk=dispatch.pk)
    )
    reason = refusal(person=actor, dispatch=dispatch)  # again, now that nothing can move
    if reason:
        raise ActionRefused(reason)
    if dispatch.incident_id != incident.pk:
        raise ActionRefused(_("The incident changed while you were sending. Please send again."))
    committee = incident.committee

    finding = Finding(
        incident=incident,
        dispatch=dispatch,
        person=actor,
        disposition=disposition,
        agency=agency,
        activity=activity,
        size=size,
    )
    finding.observations_sealed = crypto.seal_json(
        {"observations": seen, "notes": notes},
        binding=_binding(finding, committee.code),
        purpose=KeyPurpose.REPORT,
    )
    finding.save(force_insert=True)
    items = [
        FindingMedia.objects.create(
            finding=finding,
            kind=item.kind,
            content_type=item.content_type,
            size=len(item.original),
            sha256=item.sha256,
        )
        for item in cleaned
    ]
    if dispatch.status != DispatchStatus.REPORTED:
        dispatch.status = DispatchStatus.REPORTED
        dispatch.save(update_fields=["status"])
    _decide(incident, finding)
    audit.record(
        actor=actor.code,
        verb="finding.recorded",
        target=finding,
        committee=committee.code,
        after={
            "incident": str(incident.code),
            "dispatch": str(dispatch.code),
            "disposition": disposition,
            "agency": agency,
            "activity": activity,
            "size": size,
            "observations": audit.SEALED,
            "media": [item.sha256 for item in items],
            "incident_status": incident.status,
            "incident_disposition": incident.disposition,
        },
    )
    if incident.disposition:
        # Settled: nobody still asked needs to go (those on the way may add a second look).
        dispatching.cancel_open(actor=actor, incident=incident)
    # Files last: a failure here undoes the rows above (at worst a sealed orphan file stays).
    for item, clean in zip(items, cleaned, strict=True):
        media_store.save(item, "original", clean.original, committee=committee)
        media_store.save(item, "clean", clean.clean, committee=committee)
    return finding


def _may_settle(person: Person | None, incident: Incident) -> bool:
    if person is None:
        return False
    return MembershipRole.objects.filter(
        membership__person=person,
        membership__committee_id=incident.committee_id,
        membership__ended_at__isnull=True,
        role__in=POLICY[IncidentCan.TRIAGE],
    ).exists()


@transaction.atomic
def settle(*, actor: Person | None, incident: Incident, disposition: str) -> Incident:
    """The confirmers disagree: a dispatcher or coordinator chooses what one of them found."""
    incident = Incident.objects.select_for_update().select_related("committee").get(pk=incident.pk)
    if not _may_settle(actor, incident):
        raise ActionRefused(
            _("Only a dispatcher or coordinator of this committee can settle this.")
        )
    found = dispositions(incident)
    if not found:
        raise ActionRefused(_("No confirmer has recorded a finding yet."))
    if disposition not in found:
        raise ActionRefused(_("Choose what one of the confirmers found."), field="disposition")
    if incident.disposition == disposition:
        raise ActionRefused(_("The incident is already settled that way."), field="disposition")
    before = {"status": incident.status, "disposition": incident.disposition}
    _apply(incident, disposition)
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.settled",
        target=incident,
        committee=incident.committee.code,
        before=before,
        after={
            "status": incident.status,
            "disposition": incident.disposition,
            "between": sorted(found),
        },
    )
    dispatching.cancel_open(actor=actor, incident=incident)
    return incident
