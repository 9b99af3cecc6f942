"""Periodic jobs: a scheduler claims each due job in the database and enqueues its task.

Several schedulers may run (one per host); claiming by moving `next_run` in one UPDATE means a
run is enqueued once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from defensa.core.models import PeriodicJob


def run_due(*, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    enqueued: list[str] = []
    for path, seconds in settings.DEFENSA_PERIODIC_TASKS.items():
        PeriodicJob.objects.get_or_create(name=path, defaults={"next_run": now})
        with transaction.atomic():
            claimed = PeriodicJob.objects.filter(name=path, next_run__lte=now).update(
                next_run=now + timedelta(seconds=seconds), last_enqueued=now
            )
            if claimed:
                import_string(path).enqueue()
                enqueued.append(path)
    return enqueued
