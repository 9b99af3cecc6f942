"""Permission-checked reads for the campaigns pages. The data itself is public; what is
checked is who may import it and record policies: a coordinator of the committee in the URL
(any committee: the data is shared by the whole network). Refusals are 404."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum

from django.db.models import QuerySet

from defensa.campaigns.models import Policy, RejectedRow, SourceSheet
from defensa.core.access import NotFound, first_or_404
from defensa.network.access import Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee, Role


class CampaignCan(StrEnum):
    IMPORT = "import"
    RECORD_POLICIES = "record_policies"


POLICY: Mapping[CampaignCan, frozenset[str]] = {
    CampaignCan.IMPORT: frozenset({Role.COORDINATOR}),
    CampaignCan.RECORD_POLICIES: frozenset({Role.COORDINATOR}),
}


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


def import_committee(viewer: Viewer, code: uuid.UUID | str) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[CampaignCan.IMPORT])


def policy_committee(viewer: Viewer, code: uuid.UUID | str) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[CampaignCan.RECORD_POLICIES])


def _require(viewer: Viewer, found: Committee, need: CampaignCan) -> None:
    if not viewer.roles.get(found.id, frozenset()) & POLICY[need]:
        raise NotFound


def recent_sheets(viewer: Viewer, found: Committee, *, limit: int = 20) -> QuerySet[SourceSheet]:
    _require(viewer, found, CampaignCan.IMPORT)
    return SourceSheet.objects.order_by("-imported_at")[:limit]


def sheet(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> SourceSheet:
    _require(viewer, found, CampaignCan.IMPORT)
    return first_or_404(SourceSheet.objects.filter(code=_uuid(code)))


def rejected_rows(viewer: Viewer, found: Committee, item: SourceSheet) -> QuerySet[RejectedRow]:
    _require(viewer, found, CampaignCan.IMPORT)
    return item.rejected.order_by("row_number", "id")


def policies(viewer: Viewer, found: Committee) -> QuerySet[Policy]:
    """Every recorded policy (they are public facts), newest first."""
    _require(viewer, found, CampaignCan.RECORD_POLICIES)
    return Policy.objects.select_related("jurisdiction", "committee").order_by("-created_at")


def own_policy(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Policy:
    """A policy this committee recorded: only its own coordinators remove it."""
    _require(viewer, found, CampaignCan.RECORD_POLICIES)
    return first_or_404(
        Policy.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )
