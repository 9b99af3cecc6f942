"""Pieces every action module uses: who acted, and the rules others read."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone

from defensa.network.models import (
    Committee,
    MembershipRole,
    Person,
    Qualification,
    QualificationKind,
    Role,
)

PERSON_FIELDS = ("display_name", "languages", "home_committee")


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


def is_qualified(person: Person, kind: str, *, at: datetime | None = None) -> bool:
    """Whether the person holds a valid qualification of this kind at `at` (default now)."""
    at = at or timezone.now()
    return Qualification.objects.filter(
        person=person, kind=kind, revoked_at__isnull=True, expires_at__gt=at, granted_at__lte=at
    ).exists()


def _active_coordinators(committee: Committee) -> int:
    return MembershipRole.objects.filter(
        membership__committee=committee,
        membership__ended_at__isnull=True,
        role=Role.COORDINATOR,
    ).count()


def has_coordinator(committee: Committee) -> bool:
    return _active_coordinators(committee) > 0


def _label(kind: str) -> str:
    return str(QualificationKind(kind).label)
