"""Background jobs of the kernel. Periodic ones are enqueued by `manage.py scheduler`."""

from __future__ import annotations

import logging

from django_tasks import task

from defensa.core import actions, audit

logger = logging.getLogger(__name__)


@task()
def shred_expired_keys() -> int:
    count = actions.shred_expired_keys()
    logger.info("retention: destroyed %d data keys", count)
    return count


@task()
def verify_audit_log() -> int:
    breaks = audit.verify()
    for item in breaks:
        logger.error("audit log broken: %s", item)
    return len(breaks)


@task()
def clear_expired_sessions() -> int:
    return actions.clear_expired_sessions()


@task()
def prune_finished_tasks() -> None:
    """The database task backend keeps finished results; a day is enough to debug one."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS_BACKEND == "db":
        call_command("prune_db_task_results", "--min-age-days", "1", "--failed-min-age-days", "7")
