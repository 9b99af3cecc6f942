"""Every permission-checked read of incidents (refusals are 404, like "not found").

A committee's dispatchers and coordinators see its incidents and act on them; its
documentarians read them. A confirmer sees only the incidents they were sent to, and only
while that request stands. Evidence packets are for coordinators and legal partners. A
neighbouring committee an incident was shared with sees a summary without any report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum

from django.db.models import QuerySet

from defensa.core.access import NotFound, first_or_404
from defensa.incidents.models import Dispatch, DispatchStatus, Incident, SharedIncident
from defensa.network.access import Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee, Role


class IncidentCan(StrEnum):
    READ = "read"
    TRIAGE = "triage"  # merge, split, dispatch, settle, close, share, tune priorities
    EVIDENCE = "evidence"


POLICY: Mapping[IncidentCan, frozenset[str]] = {
    IncidentCan.READ: frozenset({Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}),
    IncidentCan.TRIAGE: frozenset({Role.DISPATCHER, Role.COORDINATOR}),
    IncidentCan.EVIDENCE: frozenset({Role.COORDINATOR, Role.LEGAL_PARTNER}),
}

# A confirmer's request lets them see the incident while it is open to them.
SEEING = [DispatchStatus.OFFERED, DispatchStatus.ACCEPTED, DispatchStatus.REPORTED]


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


def can(viewer: Viewer, need: IncidentCan, found: Committee) -> bool:
    return bool(viewer.roles.get(found.id, frozenset()) & POLICY[need])


def _require(viewer: Viewer, need: IncidentCan, found: Committee) -> None:
    if not can(viewer, need, found):
        raise NotFound


def committee(viewer: Viewer, code: uuid.UUID | str, need: IncidentCan) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[need])


def inbox(viewer: Viewer, found: Committee, *, closed: bool = False) -> QuerySet[Incident]:
    """The committee's incidents, highest priority and newest first."""
    _require(viewer, IncidentCan.READ, found)
    incidents = Incident.objects.filter(committee=found).select_related("committee")
    incidents = incidents.filter(status="closed") if closed else incidents.exclude(status="closed")
    return incidents.order_by("-priority", "-last_report_at")


def incident(
    viewer: Viewer, found: Committee, code: uuid.UUID | str, need: IncidentCan
) -> Incident:
    _require(viewer, need, found)
    return first_or_404(
        Incident.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )


def shared_with(viewer: Viewer, found: Committee) -> QuerySet[SharedIncident]:
    """Verified incidents of neighbours shared with this committee (summaries only)."""
    _require(viewer, IncidentCan.READ, found)
    return (
        SharedIncident.objects.filter(committee=found)
        .select_related("incident__committee")
        .order_by("-shared_at")
    )


def shared(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> SharedIncident:
    _require(viewer, IncidentCan.READ, found)
    return first_or_404(
        SharedIncident.objects.filter(committee=found, incident__code=_uuid(code)).select_related(
            "incident__committee"
        )
    )


# --- Confirmers: only what they were sent to ---------------------------------------------------


def my_dispatches(viewer: Viewer) -> QuerySet[Dispatch]:
    if viewer.person is None:
        return Dispatch.objects.none()
    return (
        Dispatch.objects.filter(person=viewer.person, status__in=SEEING)
        .select_related("incident__committee")
        .order_by("-offered_at")
    )


def my_dispatch(viewer: Viewer, code: uuid.UUID | str) -> Dispatch:
    """A request to go and look, made to this viewer (any state: to show what became of it)."""
    if viewer.person is None:
        raise NotFound
    return first_or_404(
        Dispatch.objects.filter(person=viewer.person, code=_uuid(code)).select_related(
            "incident__committee", "person"
        )
    )


# --- Field work and evidence -------------------------------------------------------------------
# What confirmers found is read by the committee's incident readers; the evidence packet, which
# carries every report unsealed and the original media, only by coordinators and legal partners.
# Imported here so this section stands on its own; field and timeline import this module, so
# they are imported where they are used.

from typing import TYPE_CHECKING, Any  # noqa: E402

from defensa.incidents.models import Finding, FindingMedia  # noqa: E402

if TYPE_CHECKING:
    from defensa.incidents.timeline import Entry


def _require_any(viewer: Viewer, needs: tuple[IncidentCan, ...], found: Committee) -> None:
    if not any(can(viewer, need, found) for need in needs):
        raise NotFound


def findings(viewer: Viewer, item: Incident) -> QuerySet[Finding]:
    _require_any(viewer, (IncidentCan.READ, IncidentCan.EVIDENCE), item.committee)
    return (
        Finding.objects.filter(incident=item)
        .select_related("person", "dispatch", "incident__committee")
        .prefetch_related("media")
        .order_by("created_at", "pk")
    )


def observations(viewer: Viewer, finding: Finding) -> dict[str, Any]:
    """What the confirmer saw and wrote, unsealed: {"observations": {...}, "notes": "..."}."""
    from defensa.incidents import field

    _require_any(viewer, (IncidentCan.READ, IncidentCan.EVIDENCE), finding.incident.committee)
    return field.read_observations(finding)


def finding_media(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> FindingMedia:
    """A confirmer's photo or video, for the committee's incident readers."""
    _require(viewer, IncidentCan.READ, found)
    return first_or_404(
        FindingMedia.objects.filter(
            finding__incident__committee=found, code=_uuid(code)
        ).select_related("finding__incident__committee")
    )


def my_findings(viewer: Viewer, item: Dispatch) -> QuerySet[Finding]:
    """What this confirmer already sent for this request (a second look adds one)."""
    if viewer.person is None or item.person_id != viewer.person.pk:
        raise NotFound
    return Finding.objects.filter(dispatch=item, person=viewer.person).order_by("created_at")


def timeline(viewer: Viewer, item: Incident) -> list[Entry]:
    from defensa.incidents import timeline as timelines

    _require_any(viewer, (IncidentCan.READ, IncidentCan.EVIDENCE), item.committee)
    # Names of who was sent, like the shift schedule: for those who dispatch, and lawyers.
    with_names = can(viewer, IncidentCan.TRIAGE, item.committee) or can(
        viewer, IncidentCan.EVIDENCE, item.committee
    )
    return timelines.build(item, with_names=with_names)


def evidence(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Incident:
    """The incident whose evidence packet (everything unsealed) this viewer may take."""
    return incident(viewer, found, code, IncidentCan.EVIDENCE)


# --- Dispatch ----------------------------------------------------------------------------------
# Who was asked to go and look is read by the committee's incident readers (names only by those
# who triage, like the shift schedule's names); whom to ask, by those who triage. The link a
# confirmer answers from needs no viewer: its secret token is the key.

from django.utils import timezone  # noqa: E402

from defensa.incidents import confirmers  # noqa: E402
from defensa.network.models import (  # noqa: E402
    Membership,
    Person,
    Qualification,
    QualificationKind,
)
from defensa.shifts.access import on_call_now  # noqa: E402
from defensa.shifts.models import ShiftRole  # noqa: E402


def dispatches(viewer: Viewer, item: Incident) -> QuerySet[Dispatch]:
    """Everyone asked to go and look at an incident, for those who read it."""
    _require(viewer, IncidentCan.READ, item.committee)
    return Dispatch.objects.filter(incident=item).select_related("person")


def _qualified_members(found: Committee) -> QuerySet[Membership]:
    valid = Qualification.objects.filter(
        kind=QualificationKind.CONFIRMER, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return (
        Membership.objects.filter(
            committee=found, ended_at__isnull=True, person__in=valid.values("person")
        )
        .select_related("person")
        .order_by("person__display_name")
    )


def qualified_confirmers(viewer: Viewer, found: Committee) -> QuerySet[Membership]:
    """Members a dispatcher may send by hand: a valid confirmer qualification, on call or not."""
    _require(viewer, IncidentCan.TRIAGE, found)
    return _qualified_members(found)


def qualified_confirmer(viewer: Viewer, found: Committee, membership: uuid.UUID | str) -> Person:
    _require(viewer, IncidentCan.TRIAGE, found)
    return first_or_404(_qualified_members(found).filter(code=_uuid(membership))).person


def confirmers_on_call(viewer: Viewer, found: Committee) -> set[int]:
    """The people on call as confirmers now (ids), to mark them in the by-hand list."""
    _require(viewer, IncidentCan.TRIAGE, found)
    return set(on_call_now(found, ShiftRole.CONFIRMER).values_list("person_id", flat=True))


def dispatch_candidates(viewer: Viewer, item: Incident) -> list[confirmers.Candidate]:
    """Who "Send confirmers" would ask, nearest first."""
    _require(viewer, IncidentCan.TRIAGE, item.committee)
    return confirmers.candidates(item)


def dispatch_for_link(token: str) -> Dispatch:
    """The open request behind a link. An unknown token and one whose request was answered,
    passed on or cancelled are the same NotFound."""
    if not token or len(token) > 64:
        raise NotFound
    return first_or_404(
        Dispatch.objects.filter(
            token_hash=confirmers.link_hash(token),
            status=DispatchStatus.OFFERED,
            answer_by__gt=timezone.now(),
        ).select_related("incident__committee", "person")
    )
