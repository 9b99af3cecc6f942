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
