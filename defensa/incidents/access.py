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
