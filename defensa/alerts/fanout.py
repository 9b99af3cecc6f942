"""Delivering an approved alert to everyone it concerns (see the module's owner's notes)."""

from __future__ import annotations

from defensa.alerts.models import Alert


def plan(*, alert: Alert) -> int:
    """Write the alert's delivery batches in the caller's transaction; returns how many."""
    return 0
