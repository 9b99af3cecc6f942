"""Qualifications: recorded training, with an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.actions._shared import _actor
from defensa.network.models import Committee, Person, Qualification, QualificationKind


@transaction.atomic
def grant_qualification(
    *,
    actor: Person | None,
    committee: Committee,
    person: Person,
    kind: str,
    expires_at: datetime,
) -> Qualification:
    if kind not in QualificationKind.values:
        raise ActionRefused(_("Unknown qualification."), field="kind")
    if actor is not None and actor.id == person.id:
        raise ActionRefused(
            _("Another coordinator must record your own qualifications."), field="kind"
        )
    now = timezone.now()
    if expires_at <= now:
        raise ActionRefused(_("The expiry date must be in the future."), field="expires_on")
    if expires_at > now + timedelta(days=3 * 366):
        raise ActionRefused(
            _("Qualifications last at most three years; renew them after retraining."),
            field="expires_on",
        )
    if not person.memberships.filter(committee=committee, ended_at__isnull=True).exists():
        raise ActionRefused(_("This person is not a member of the committee."))
    qualification = Qualification.objects.create(
        person=person,
        kind=kind,
        committee=committee,
        granted_by=actor,
        granted_at=now,
        expires_at=expires_at,
    )
    audit.record(
        actor=_actor(actor),
        verb="qualification.granted",
        target=qualification,
        committee=committee.code,
        after={"person": str(person.code), "kind": kind, "expires_at": expires_at.isoformat()},
    )
    return qualification


@transaction.atomic
def revoke_qualification(
    *, actor: Person | None, committee: Committee, qualification: Qualification
) -> None:
    if qualification.revoked_at is not None:
        return
    qualification.revoked_at = timezone.now()
    qualification.save(update_fields=["revoked_at"])
    audit.record(
        actor=_actor(actor),
        verb="qualification.revoked",
        target=qualification,
        committee=committee.code,
        before={"person": str(qualification.person.code), "kind": qualification.kind},
    )
