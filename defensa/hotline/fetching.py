"""Files a provider holds for a report (MMS photos, voicemails, Signal attachments): queued in
the same transaction as the report, then fetched, cleaned, sealed and deleted at the provider
by a worker. A worker killed mid-fetch leaves its lease to run out and the file is fetched
again; a file is attached at most once (its provider id is unique per report).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from defensa.hotline import actions, media
from defensa.hotline.models import MediaFetch, Report
from defensa.messaging import media as provider_media
from defensa.messaging.inbound import MediaRef
from defensa.messaging.transports.base import TransportError

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_START = timedelta(seconds=20)
BACKOFF_MAX = timedelta(minutes=30)
KEEP_FINISHED = timedelta(days=2)


def queue(*, report: Report, refs: Iterable[MediaRef]) -> list[MediaFetch]:
    """Remember the files to fetch; the worker is started once the transaction commits."""
    from defensa.hotline.tasks import fetch_media

    queued = []
    for ref in refs:
        try:
            with transaction.atomic():
                item = MediaFetch.objects.create(
                    report=report,
                    source=ref.source,
                    locator=ref.locator[:300],
                    source_id=ref.source_id[:64],
                    content_type=ref.content_type[:64],
                )
        except IntegrityError:
            continue  # the same file named twice (a repeated callback)
        queued.append(item)
        transaction.on_commit(partial(fetch_media.enqueue, item.pk))
    return queued


def _due(now: datetime) -> Q:
    return Q(status=MediaFetch.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=MediaFetch.Status.FETCHING, claimed_until__lt=now
    )


def claim(item: MediaFetch, *, now: datetime) -> bool:
    claimed = MediaFetch.objects.filter(_due(now), pk=item.pk).update(
        status=MediaFetch.Status.FETCHING, claimed_until=now + LEASE
    )
    return claimed == 1


def fetch(item: MediaFetch, *, now: datetime | None = None) -> str:
    """Fetch, clean and attach one file if it can be claimed. Returns its status after."""
    now = now or timezone.now()
    if not claim(item, now=now):
        return str(MediaFetch.objects.get(pk=item.pk).status)
    item.refresh_from_db()
    ref = MediaRef(item.source, item.locator, item.source_id, item.content_type)
    report = Report.objects.select_related("committee").get(pk=item.report_id)
    attempts = item.attempts + 1
    try:
        data = provider_media.fetch(ref, limit=max(media.MAX_BYTES.values()))
    except TransportError as exc:
        logger.warning("media fetch failed (%s): %s", item.source, exc)
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            return _finish(item, MediaFetch.Status.DEAD, attempts)
        delay = min(BACKOFF_START * 2 ** (attempts - 1), BACKOFF_MAX)
        MediaFetch.objects.filter(pk=item.pk).update(
            status=MediaFetch.Status.PENDING,
            attempts=attempts,
            next_attempt_at=now + delay,
            claimed_until=None,
        )
        return MediaFetch.Status.PENDING
    try:
        actions.attach_media(
            report=report, data=data, claimed_type=item.content_type, source_id=item.source_id
        )
        status = MediaFetch.Status.DONE
    except media.MediaRefused:
        status = MediaFetch.Status.REFUSED
    try:
        provider_media.forget(ref)
    except TransportError as exc:
        logger.warning("deleting the provider's copy failed (%s): %s", item.source, exc)
    return _finish(item, status, attempts)


def _finish(item: MediaFetch, status: str, attempts: int) -> str:
    MediaFetch.objects.filter(pk=item.pk).update(
        status=status, attempts=attempts, claimed_until=None
    )
    return status


def fetch_due(*, now: datetime | None = None, limit: int = 50) -> int:
    """The safety net: retries that came due, and fetches a killed worker left claimed."""
    now = now or timezone.now()
    items = list(MediaFetch.objects.filter(_due(now)).order_by("next_attempt_at")[:limit])
    return sum(fetch(item, now=now) == MediaFetch.Status.DONE for item in items)


def forget_finished(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - KEEP_FINISHED
    finished = [MediaFetch.Status.DONE, MediaFetch.Status.REFUSED, MediaFetch.Status.DEAD]
    deleted, _rows = MediaFetch.objects.filter(status__in=finished, created_at__lt=cutoff).delete()
    return deleted
