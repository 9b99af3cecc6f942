"""Permission-checked reads for campaigns. A campaign belongs to one committee: its members
(any role) read it and log actions; its coordinators manage it. Everyone else gets 404, the
same as for a campaign that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.db.models import QuerySet, Sum

from defensa.campaigns.campaign_models import ActionKind, CallScript, Campaign, Target
from defensa.core.access import NotFound, first_or_404
from defensa.network.access import ANY_MEMBER, COORDINATORS, Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee


class CampaignCan(StrEnum):
    VIEW = "view_campaigns"
    LOG_ACTIONS = "log_actions"
    MANAGE = "manage_campaigns"


POLICY: Mapping[CampaignCan, frozenset[str]] = {
    CampaignCan.VIEW: ANY_MEMBER,
    CampaignCan.LOG_ACTIONS: ANY_MEMBER,
    CampaignCan.MANAGE: COORDINATORS,
}


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


def can(viewer: Viewer, found: Committee, need: CampaignCan) -> bool:
    return bool(viewer.roles.get(found.id, frozenset()) & POLICY[need])


def _require(viewer: Viewer, found: Committee, need: CampaignCan) -> None:
    if not can(viewer, found, need):
        raise NotFound


def committee(viewer: Viewer, code: uuid.UUID | str, need: CampaignCan) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[need])


def campaigns(viewer: Viewer, found: Committee) -> QuerySet[Campaign]:
    _require(viewer, found, CampaignCan.VIEW)
    return (
        Campaign.objects.filter(committee=found)
        .select_related("jurisdiction")
        .order_by("-created_at")
    )


def campaign(
    viewer: Viewer, found: Committee, code: uuid.UUID | str, need: CampaignCan
) -> Campaign:
    """One of this committee's campaigns, if the viewer may do `need` with it."""
    _require(viewer, found, need)
    return first_or_404(
        Campaign.objects.filter(committee=found, code=_uuid(code)).select_related(
            "jurisdiction", "committee"
        )
    )


def targets(viewer: Viewer, item: Campaign) -> QuerySet[Target]:
    _require(viewer, item.committee, CampaignCan.VIEW)
    return item.targets.order_by("created_at", "id")


def target(viewer: Viewer, item: Campaign, code: uuid.UUID | str) -> Target:
    _require(viewer, item.committee, CampaignCan.MANAGE)
    return first_or_404(item.targets.filter(code=_uuid(code)).select_related("campaign"))


def scripts(viewer: Viewer, item: Campaign) -> QuerySet[CallScript]:
    _require(viewer, item.committee, CampaignCan.VIEW)
    return item.scripts.order_by("language")


@dataclass(frozen=True)
class Tallies:
    totals: list[tuple[str, int]]  # (kind label, all days), in ActionKind order
    days: list[tuple[date, list[int]]]  # newest first; counts in ActionKind order

    @property
    def total(self) -> int:
        return sum(n for _label, n in self.totals)


def tallies(viewer: Viewer, item: Campaign, *, days: int = 14) -> Tallies:
    """Actions counted by kind: in all, and for the last `days` days with any."""
    _require(viewer, item.committee, CampaignCan.VIEW)
    rows = item.tallies.all()
    totals = dict(rows.values("kind").annotate(n=Sum("count")).values_list("kind", "n"))
    recent: dict[date, dict[str, int]] = {}
    for row in rows.filter(count__gt=0).order_by("-day")[: days * len(ActionKind)]:
        recent.setdefault(row.day, {})[row.kind] = row.count
    ordered = sorted(recent.items(), reverse=True)[:days]
    return Tallies(
        totals=[(str(k.label), totals.get(k.value) or 0) for k in ActionKind],
        days=[(day, [counts.get(k.value, 0) for k in ActionKind]) for day, counts in ordered],
    )
