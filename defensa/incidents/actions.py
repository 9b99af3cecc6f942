"""Writes to incidents that are not grouping (clustering), dispatch or field work."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.hotline import actions as hotline
from defensa.hotline.models import Report, ReportStatus
from defensa.incidents import clustering, dispatching, triage
from defensa.incidents.models import Finding, Incident, IncidentStatus, TriageRules
from defensa.network.models import Committee, Person, Qualification, QualificationKind


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


def qualified_findings(incident: Incident) -> list[Finding]:
    """Findings recorded by the confirmer a request was made to, while that person held a
    valid confirmer qualification (checked against the qualification's own dates)."""
    found = []
    for item in incident.findings.select_related("dispatch", "person"):
        if item.dispatch.person_id != item.person_id:
            continue
        valid = Qualification.objects.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=item.created_at),
            person=item.person,
            kind=QualificationKind.CONFIRMER,
            granted_at__lte=item.created_at,
            expires_at__gt=item.created_at,
        )
        if valid.exists():
            found.append(item)
    return found


def can_alert(incident: Incident) -> bool:
    """Whether an alert may be composed from this incident: it was verified, and what it was
    verified as is what a qualified confirmer, sent there, recorded (DESIGN rule 4)."""
    if incident.status not in (IncidentStatus.VERIFIED, IncidentStatus.ALERTED):
        return False
    if not incident.disposition:
        return False
    return any(f.disposition == incident.disposition for f in qualified_findings(incident))
