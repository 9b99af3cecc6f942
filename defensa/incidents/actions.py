"""Writes to incidents that are not grouping (clustering), dispatch or field work."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.hotline import actions as hotline
from defensa.hotline.models import Report, ReportStatus
from defensa.incidents import clustering, dispatching, triage
from defensa.incidents.models import Incident, IncidentStatus, TriageRules
from defensa.network.models import Committee, Person


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


@transaction.atomic
def close(*, actor: Person | None, incident: Incident) -> Incident:
    """Nothing more to do. A new matching report reopens it."""
    incident = Incident.objects.select_for_update().select_related("committee").get(pk=incident.pk)
    if incident.status == IncidentStatus.CLOSED:
        raise ActionRefused(_("This incident is already closed."))
    before = incident.status
    incident.status = IncidentStatus.CLOSED
    incident.closed_at = timezone.now()
    incident.save(update_fields=["status", "closed_at"])
    for report in Report.objects.filter(incident_link__incident=incident):
        hotline.set_status(report=report, status=ReportStatus.CLOSED)
    # Nobody needs to go any more: those asked, and those on the way, are told.
    dispatching.cancel_open(actor=actor, incident=incident, accepted=True)
    audit.record(
        actor=_actor(actor),
        verb="incident.closed",
        target=incident,
        committee=incident.committee.code,
        before={"status": before},
        after={"status": incident.status, "disposition": incident.disposition},
    )
    return incident


def priority_rules(committee: Committee) -> dict[str, int]:
    found = TriageRules.objects.filter(committee=committee).first()
    return triage.rules_for(found.points if found else None)


@transaction.atomic
def set_priority_rules(
    *, actor: Person | None, committee: Committee, points: dict[str, int]
) -> dict[str, int]:
    """A committee's own points for the triage rules; its open incidents are sorted again."""
    before = priority_rules(committee)
    rules = triage.rules_for(points)
    TriageRules.objects.update_or_create(
        committee=committee, defaults={"points": rules, "updated_at": timezone.now()}
    )
    for incident in Incident.objects.filter(committee=committee).exclude(
        status=IncidentStatus.CLOSED
    ):
        clustering.retriage(incident)
        incident.save(update_fields=["priority", "priority_because"])
    audit.record(
        actor=_actor(actor),
        verb="incident.priorities_set",
        target=committee,
        committee=committee.code,
        before=before,
        after=rules,
    )
    return rules
