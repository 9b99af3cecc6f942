"""Every permission-checked read of alerts (refusals are 404, like "not found"), and the
public reads (approved alerts whose signature checks out; nothing else ever leaves).

A committee's dispatchers, coordinators and documentarians see its alerts and how their
delivery goes; dispatchers and coordinators compose; approving also needs a valid dispatcher
qualification and another person than the composer (`actions.approval_refusal`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from defensa.alerts import actions, verify
from defensa.alerts.models import Alert, Channel, Delivery, DeliveryStatus
from defensa.core.access import NotFound, first_or_404
from defensa.incidents import access as incidents_access
from defensa.incidents.models import Incident
from defensa.network.access import Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee, Role

logger = logging.getLogger(__name__)


class AlertCan(StrEnum):
    READ = "read"
    COMPOSE = "compose"  # compose, edit, discard, correct
    APPROVE = "approve"  # and the rules in actions.approval_refusal


POLICY: Mapping[AlertCan, frozenset[str]] = {
    AlertCan.READ: frozenset({Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}),
    AlertCan.COMPOSE: frozenset({Role.DISPATCHER, Role.COORDINATOR}),
    AlertCan.APPROVE: frozenset({Role.DISPATCHER, Role.COORDINATOR}),
}

LIST_SIZE = 100


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


def can(viewer: Viewer, need: AlertCan, found: Committee) -> bool:
    return bool(viewer.roles.get(found.id, frozenset()) & POLICY[need])


def _require(viewer: Viewer, need: AlertCan, found: Committee) -> None:
    if not can(viewer, need, found):
        raise NotFound


def committee(viewer: Viewer, code: uuid.UUID | str, need: AlertCan) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[need])


def _alerts(found: Committee) -> QuerySet[Alert]:
    return Alert.objects.filter(committee=found).select_related(
        "committee", "incident", "corrects", "composed_by", "approved_by"
    )


def alerts(viewer: Viewer, found: Committee) -> QuerySet[Alert]:
    """The committee's alerts, newest first (drafts included, discarded last seen ones too)."""
    _require(viewer, AlertCan.READ, found)
    return _alerts(found).order_by("-composed_at", "-pk")[:LIST_SIZE]


def alert(viewer: Viewer, found: Committee, code: uuid.UUID | str, need: AlertCan) -> Alert:
    _require(viewer, need, found)
    return first_or_404(_alerts(found).filter(code=_uuid(code)))


def incident_alerts(viewer: Viewer, item: Incident) -> QuerySet[Alert]:
    _require(viewer, AlertCan.READ, item.committee)
    return _alerts(item.committee).filter(incident=item).order_by("-composed_at", "-pk")


def incident_to_alert(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Incident:
    """An incident of this committee the viewer may compose an alert from."""
    _require(viewer, AlertCan.COMPOSE, found)
    return incidents_access.incident(viewer, found, code, incidents_access.IncidentCan.TRIAGE)


def approval_refusal(viewer: Viewer, item: Alert) -> str | None:
    """Why this viewer may not approve, or None: decides whether the button is shown."""
    if viewer.person is None or not can(viewer, AlertCan.APPROVE, item.committee):
        return "-"
    return actions.approval_refusal(viewer.person, item)


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    label: str
    batches: int
    sent: int
    failed: int
    waiting: int  # batches still pending, being sent or to be retried


WAITING = {DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.RETRY}


def delivery_counts(
    viewer: Viewer, found: Committee, items: Iterable[Alert]
) -> dict[int, list[ChannelCount]]:
    """Per alert, per channel: batches, messages sent and failed, batches still waiting."""
    _require(viewer, AlertCan.READ, found)
    items = list(items)
    ids = [a.pk for a in items if a.committee_id == found.pk]
    rows = (
        Delivery.objects.filter(alert_id__in=ids)
        .values("alert_id", "channel", "status")
        .annotate(batches=Count("id"), sent=Sum("sent"), failed=Sum("failed"))
    )
    totals: dict[tuple[int, str], dict[str, int]] = {}
    for row in rows:
        entry = totals.setdefault(
            (row["alert_id"], row["channel"]), {"batches": 0, "sent": 0, "failed": 0, "waiting": 0}
        )
        entry["batches"] += row["batches"]
        entry["sent"] += row["sent"] or 0
        entry["failed"] += row["failed"] or 0
        if row["status"] in WAITING:
            entry["waiting"] += row["batches"]
    out: dict[int, list[ChannelCount]] = {}
    for alert in items:
        # Batches forgotten after the retention period leave their counts on the alert.
        for channel, kept in (alert.delivery_summary or {}).items():
            if alert.committee_id != found.pk:
                continue
            entry = totals.setdefault(
                (alert.pk, channel), {"batches": 0, "sent": 0, "failed": 0, "waiting": 0}
            )
            for key in ("batches", "sent", "failed"):
                entry[key] += int(kept.get(key, 0))
    for (alert_id, channel), entry in sorted(totals.items()):
        label = str(Channel(channel).label) if channel in Channel.values else channel
        out.setdefault(alert_id, []).append(ChannelCount(channel, label, **entry))
    return out


# --- Public: no viewer, only what was approved and checks out ------------------------------


@dataclass(frozen=True)
class Published:
    alert: Alert
    data: dict[str, Any]  # the signed snapshot

    @property
    def approved_at(self) -> datetime:
        return verify.parse_stamp(self.data["approved_at"])

    @property
    def expires_at(self) -> datetime:
        return verify.parse_stamp(self.data["expires_at"])


def _checked(items: Iterable[Alert]) -> list[Published]:
    out = []
    for item in items:
        data = verify.signed(item)
        if data is None:
            # Never published as it is; whoever runs the site should look at the row.
            logger.warning("alert %s does not verify and is left out", item.code)
            continue
        out.append(Published(item, data))
    return out


def public_alerts(*, at: datetime | None = None) -> list[Published]:
    """Approved alerts still current (not expired, not corrected; corrections included while
    they are current themselves), newest first."""
    at = at or timezone.now()
    current = Alert.objects.filter(
        status__in=verify.LIVE, approved_at__isnull=False, expires_at__gt=at
    ).select_related("committee", "incident", "corrects")
    return _checked(current.order_by("-approved_at", "-pk")[:LIST_SIZE])


def verification(code: str, *, committee: str | None = None) -> verify.Verification:
    return verify.check(code, committee=committee)
