from __future__ import annotations

from django_tasks import task

from defensa.shifts import actions


@task()
def extend_schedules() -> int:
    return actions.extend_schedules()


@task()
def warn_about_gaps() -> int:
    return actions.warn_about_gaps()


@task()
def forget_old_offers() -> int:
    return actions.forget_old_offers()


@task()
def forget_old_shifts() -> int:
    return actions.forget_old_shifts()
