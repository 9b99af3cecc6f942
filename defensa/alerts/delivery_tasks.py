"""Background tasks of alert delivery: one task per batch, and the safety net."""

from __future__ import annotations

from django_tasks import task

from defensa.alerts import fanout


@task()
def deliver_batch(pk: int) -> str:
    return fanout.deliver(pk)


@task()
def sweep_deliveries() -> int:
    """Enqueue batches again: retries that came due, leases a killed worker left to run out,
    and batches whose task was lost. Returns how many."""
    due = fanout.due_batches()
    fanout.enqueue(due)
    return len(due)


@task()
def forget_old_deliveries() -> int:
    """Batches and who-was-reached rows of alerts long expired: counts kept, links deleted."""
    return fanout.forget_old_deliveries()
