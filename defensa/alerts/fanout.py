"""Delivering an approved alert to everyone it concerns, at least once (DESIGN.md rule 6).

`plan` runs inside the approval's transaction: it writes the alert's batches (Delivery rows,
one channel each) and enqueues them only once the approval commits, so a rolled-back
approval leaves nothing to send. A worker `deliver`s a batch under a lease it renews after
every slice: it unseals the addresses, hands the slice to the channel's transport (many
requests in flight), and records who was reached (Reached, with the provider's id) before
the next slice. A worker killed mid-slice leaves the lease to run out; the sweep enqueues the
batch again and the next worker sends what is not recorded as reached, so a failure repeats
at most the slice it interrupted. Temporary failures back off; permanent ones are given up,
and addresses that no longer work disable their subscriptions. A correction goes to the
area's subscribers and to everyone the alert it corrects reached.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from defensa.alerts import addresses, pacing, selection, subscriptions, verify
from defensa.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    Reached,
    Subscription,
    SubscriptionStatus,
)
from defensa.core.privacy import scrub
from defensa.messaging import transports
from defensa.messaging.transports import Outgoing, Result

logger = logging.getLogger(__name__)

# Push and Signal first: they are fast; SMS and calls are paced to their senders' limits.
ORDER: list[str] = [
    Channel.PUSH,
    Channel.SIGNAL,
    Channel.EMAIL,
    Channel.WHATSAPP,
    Channel.SMS,
    Channel.VOICE,
]
# Subscriptions per batch (one task each), and per slice (recorded before the next one).
BATCH: dict[str, int] = {
    Channel.PUSH: 500,
    Channel.SIGNAL: 100,
    Channel.EMAIL: 200,
    Channel.WHATSAPP: 100,
    Channel.SMS: 50,
    Channel.VOICE: 20,
}
SLICE: dict[str, int] = {Channel.PUSH: 250, Channel.SIGNAL: 20, Channel.EMAIL: 50}
MAX_ATTEMPTS = 8
BACKOFF_START = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
OPEN = [DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.RETRY]
# An alert in these states sends no more batches.
WITHDRAWN = {AlertStatus.CORRECTED, AlertStatus.EXPIRED, AlertStatus.DISCARDED}
# A database that went away (restarted) is waited for this long before a batch gives up.
DATABASE_PATIENCE = 60.0
SWEEP_LIMIT = 1000
# Leases a pending batch's task may wait in the queue before the sweep enqueues it again.
PENDING_PATIENCE = 5

T = TypeVar("T")


def lease() -> timedelta:
    return timedelta(seconds=settings.DEFENSA_DELIVERY_LEASE_SECONDS)


# --- Planning (inside the approval's transaction) ----------------------------------------------


def plan(*, alert: Alert) -> int:
    """Write the alert's delivery batches in the caller's transaction and mark it sending
    (sent at once when nobody is subscribed); returns how many batches. They are enqueued
    when the transaction commits."""
    by_channel = selection.targets(alert)
    rows = []
    unsendable: list[Delivery] = []
    for channel in ORDER:
        ids = by_channel.get(channel, [])
        if not ids:
            continue
        if not transports.configured(channel):
            # Counted as failed, so the committee sees who this deployment cannot reach.
            logger.warning("alert %s: %s is not configured here", alert.code, channel)
            unsendable.append(
                Delivery(
                    alert=alert,
                    channel=channel,
                    status=DeliveryStatus.DEAD,
                    failed=len(ids),
                    last_error="not configured",
                )
            )
            continue
        size = BATCH[channel]
        rows += [
            Delivery(alert=alert, channel=channel, subscriptions=ids[start : start + size])
            for start in range(0, len(ids), size)
        ]
    created = Delivery.objects.bulk_create(rows, batch_size=500)
    Delivery.objects.bulk_create(unsendable)
    status = AlertStatus.SENDING if created else AlertStatus.SENT
    Alert.objects.filter(pk=alert.pk).update(status=status)
    alert.status = status
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: enqueue(ids))
    return len(created)


# Task priorities where the backend honours them (the database one does): a correction first,
# then the fast channels, then the paced ones, whose workers wait for their sending slots. So
# a rumor correction or a push alert waits for at most one paced batch per worker.
PRIORITY_CORRECTION = 100
PRIORITY_FAST = 50
PRIORITY_PACED = 0


def priority(*, channel: str, correction: bool) -> int:
    if correction:
        return PRIORITY_CORRECTION
    return PRIORITY_PACED if pacing.paced(channel) else PRIORITY_FAST


def enqueue(ids: Iterable[int]) -> None:
    from defensa.alerts.delivery_tasks import deliver_batch

    wanted = list(ids)
    if not wanted:
        return
    if not deliver_batch.get_backend().supports_priority:
        for pk in wanted:
            deliver_batch.enqueue(pk)
        return
    rows = Delivery.objects.filter(pk__in=wanted).values_list("pk", "channel", "alert__corrects_id")
    order = {pk: priority(channel=str(ch), correction=c is not None) for pk, ch, c in rows}
    for pk in wanted:
        deliver_batch.using(priority=order.get(pk, PRIORITY_FAST)).enqueue(pk)


# --- Claiming ----------------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY], next_attempt_at__lte=now
    ) | Q(status=DeliveryStatus.CLAIMED, claimed_until__lt=now)


def claim(pk: int, *, now: datetime | None = None) -> datetime | None:
    """Take the lease on a batch that is due (or whose lease ran out); the lease's end, which
    is also its token, or None when it is not ours to take."""
    now = now or timezone.now()
    until = now + lease()
    taken = Delivery.objects.filter(_due(now), pk=pk).update(
        status=DeliveryStatus.CLAIMED, claimed_until=until, attempts=F("attempts") + 1
    )
    return until if taken else None


def _renew(pk: int, until: datetime) -> datetime | None:
    new = timezone.now() + lease()
    kept = Delivery.objects.filter(pk=pk, status=DeliveryStatus.CLAIMED, claimed_until=until)
    return new if kept.update(claimed_until=new) else None


def due_batches(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Batches to enqueue again: retries that came due, leases that ran out, and pending
    batches whose task has waited PENDING_PATIENCE leases (lost with a queue, or never
    enqueued). A pending batch returned is given a new wait, so a long queue of paced batches
    is not enqueued again at every sweep."""
    now = now or timezone.now()
    stale = now - lease() * PENDING_PATIENCE
    due = Q(status=DeliveryStatus.RETRY, next_attempt_at__lte=now)
    due |= Q(status=DeliveryStatus.CLAIMED, claimed_until__lt=now)
    due |= Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=stale)
    found = list(
        Delivery.objects.filter(due)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    Delivery.objects.filter(
        pk__in=found, status=DeliveryStatus.PENDING, next_attempt_at__lte=stale
    ).update(next_attempt_at=now)
    return found


# --- Delivering ----------------------------------------------------------------------------------


def deliver(pk: int, *, now: datetime | None = None) -> str:
    """Send one batch if it can be claimed; its status afterwards ("lost" when another worker
    took the lease over)."""
    until = _patient(lambda: claim(pk, now=now))
    if until is None:
        return str(Delivery.objects.filter(pk=pk).values_list("status", flat=True).first() or "")
    batch = Delivery.objects.select_related("alert", "alert__corrects").get(pk=pk)
    if batch.alert.status in WITHDRAWN:
        # Corrected or expired before this batch went out: nobody left should get it now (a
        # correction goes to whom the alert reached, and to batches that were in flight).
        _close(batch, until, DeliveryStatus.DEAD, "withdrawn")
        return DeliveryStatus.DEAD
    if batch.attempts > MAX_ATTEMPTS:
        _close(batch, until, DeliveryStatus.DEAD, "too many attempts")
        return DeliveryStatus.DEAD
    texts = verify.signed_texts(batch.alert)
    if not texts:
        # The row no longer says what was signed (changed after approval, or its key was
        # revoked): send nothing a subscriber could not check.
        _close(batch, until, DeliveryStatus.DEAD, "not signed")
        logger.warning("alert batch %s not sent: its alert does not check out", batch.pk)
        return DeliveryStatus.DEAD
    outcome = _send(batch, until, texts)
    if outcome is None:
        return "lost"
    until, retry, error = outcome
    if not retry:
        _close(batch, until, DeliveryStatus.SENT, "")
        return DeliveryStatus.SENT
    if batch.attempts >= MAX_ATTEMPTS:
        _close(batch, until, DeliveryStatus.DEAD, error)
        logger.warning("alert batch %s failed for good: %s", batch.pk, error)
        return DeliveryStatus.DEAD
    delay = min(BACKOFF_START * 2 ** (batch.attempts - 1), BACKOFF_MAX)
    _patient(
        lambda: Delivery.objects.filter(pk=pk, claimed_until=until).update(
            status=DeliveryStatus.RETRY,
            next_attempt_at=timezone.now() + delay,
            claimed_until=None,
            last_error=error,
        )
    )
    return DeliveryStatus.RETRY


def _remaining(batch: Delivery) -> list[Subscription]:
    """The batch's subscriptions still to send to: active, not reached, not given up."""
    ids = [int(pk) for pk in batch.subscriptions]
    done = set(
        Reached.objects.filter(alert_id=batch.alert_id, subscription_id__in=ids).values_list(
            "subscription_id", flat=True
        )
    )
    done.update(int(pk) for pk in batch.given_up)
    wanted = [pk for pk in ids if pk not in done]
    return list(
        Subscription.objects.filter(pk__in=wanted, status=SubscriptionStatus.ACTIVE)
        .select_related("committee")
        .order_by("pk")
    )


def _send(
    batch: Delivery, until: datetime, texts: dict[str, dict[str, str]]
) -> tuple[datetime, bool, str] | None:
    """Send what remains of the batch slice by slice, in the signed texts: (the lease's end
    now, retry?, the last temporary error), or None when another worker took it over."""
    channel = str(batch.channel)
    transport = transports.get(channel)
    messages: list[Outgoing] = []
    unusable: list[int] = []
    for subscription in _patient(lambda: _remaining(batch)):
        message = _message(batch.alert, subscription, texts)
        if message is None:
            unusable.append(subscription.pk)  # its key was destroyed: nothing to send to
        else:
            messages.append(message)
    lease_end: datetime | None = until
    if unusable:
        lease_end = _patient(lambda: _record(batch, until, [], gone=[], given_up=unusable))
    retry, error = False, ""
    for part in _slices(channel, messages):
        if lease_end is None:
            return None
        if pacing.paced(channel):
            count = len(part)
            pacing.wait_until(_patient(partial(pacing.reserve, channel, count)))
        results = transport.send_many(part)
        failed = [r for r in results if r.error is not None and not r.error.permanent]
        if failed:
            retry, error = True, scrub(str(failed[-1].error))[:200]
        lease_end = _patient(partial(_record_results, batch, lease_end, results))
    return (lease_end, retry, error) if lease_end is not None else None


def _record_results(batch: Delivery, until: datetime, results: Sequence[Result]) -> datetime | None:
    gone = [r.key for r in results if r.error is not None and r.error.gone]
    given_up = [r.key for r in results if r.error is not None and r.error.permanent]
    return _record(batch, until, results, gone=gone, given_up=given_up)


def _slices(channel: str, messages: list[Outgoing]) -> Iterable[list[Outgoing]]:
    size = pacing.per_tick(channel) if pacing.paced(channel) else SLICE.get(channel, 50)
    for start in range(0, len(messages), size):
        yield messages[start : start + size]


def _record(
    batch: Delivery,
    until: datetime,
    results: Sequence[Result],
    *,
    gone: list[int],
    given_up: list[int],
) -> datetime | None:
    """Who was reached, whose address is gone, and the batch's counts, in one transaction;
    the renewed lease (None when another worker holds it now: what was sent is still
    recorded, since it was sent)."""
    reached = [r for r in results if r.error is None]
    with transaction.atomic():
        Reached.objects.bulk_create(
            [
                Reached(alert_id=batch.alert_id, subscription_id=r.key, provider_ref=r.ref[:64])
                for r in reached
            ],
            ignore_conflicts=True,
        )
        if gone:
            mark_gone(subscription_ids=gone)
        renewed = timezone.now() + lease()
        ours = Delivery.objects.filter(
            pk=batch.pk, status=DeliveryStatus.CLAIMED, claimed_until=until
        )
        row = ours.select_for_update().values_list("given_up", flat=True).first()
        if row is None:
            return None
        given = sorted(set(row or []) | set(given_up))
        ours.update(
            claimed_until=renewed,
            sent=F("sent") + len(reached),
            failed=len(given),
            given_up=given,
        )
    return renewed


def _close(batch: Delivery, until: datetime, status: str, error: str) -> None:
    def close() -> None:
        fields: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
        if status == DeliveryStatus.DEAD and error == "withdrawn":
            fields["failed"] = F("failed")  # not a failure: nobody else is meant to get it
        elif status == DeliveryStatus.DEAD:
            ours = Delivery.objects.filter(pk=batch.pk).values_list("sent", flat=True).first()
            fields["failed"] = max(0, len(batch.subscriptions) - int(ours or 0))
        Delivery.objects.filter(pk=batch.pk, claimed_until=until).update(**fields)
        finish_alert(batch.alert_id)

    _patient(close)


def finish_alert(alert_id: int) -> bool:
    """Mark a sending alert sent once none of its batches is still open."""
    if Delivery.objects.filter(alert_id=alert_id, status__in=OPEN).exists():
        return False
    return bool(
        Alert.objects.filter(pk=alert_id, status=AlertStatus.SENDING).update(
            status=AlertStatus.SENT
        )
    )


def _patient(step: Callable[[], T]) -> T:
    """Run a database step, waiting out a database that restarts (what was sent must still be
    recorded, or it would be sent again)."""
    deadline = time.monotonic() + DATABASE_PATIENCE
    pause = 0.2
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


# --- Messages ----------------------------------------------------------------------------------


def _message(
    alert: Alert, subscription: Subscription, texts: dict[str, dict[str, str]]
) -> Outgoing | None:
    address = addresses.address_of(subscription)
    if address is None:
        return None
    channel = str(subscription.channel)
    language, text = _text(texts, channel, subscription.language)
    with translation.override(language):
        title = str(AlertKind(alert.kind).label) if alert.kind in AlertKind.values else ""
    extra = {"url": _link(alert), "topic": _topic(alert)}
    if channel == Channel.EMAIL:
        unsubscribe = _unsubscribe_url(subscription)
        if unsubscribe:
            extra["unsubscribe_url"] = unsubscribe
        title = ""  # the e-mail's first line is its subject
    recording = texts.get(language, {}).get("recording", "")
    if channel == Channel.VOICE and recording:
        extra["recording"] = str(recording)
    return Outgoing(
        key=subscription.pk, to=address, body=text, language=language, title=title, extra=extra
    )


def _text(texts: dict[str, dict[str, str]], channel: str, language: str) -> tuple[str, str]:
    """The subscriber's language if the alert speaks it, else Spanish, else English."""
    for candidate in (language, "es", "en", *texts):
        by_channel = texts.get(candidate)
        if isinstance(by_channel, dict):
            text = by_channel.get(channel) or by_channel.get(Channel.SMS) or ""
            if text:
                return candidate, str(text)
    return language, ""


def _link(alert: Alert) -> str:
    base = settings.DEFENSA_PUBLIC_URL.rstrip("/")
    try:
        return base + reverse("alerts_public:verify", kwargs={"code": alert.verify_code})
    except NoReverseMatch:
        return base + "/"


def _topic(alert: Alert) -> str:
    """The same for an alert and its corrections (RFC 8030 topics: at most 32 base64url)."""
    root = alert.corrects if alert.corrects_id is not None else alert
    digest = hashlib.sha256(f"defensa-alert:{root.code if root else alert.code}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def _unsubscribe_url(subscription: Subscription) -> str:
    return subscriptions.unsubscribe_url(subscription)


def mark_gone(*, subscription_ids: Sequence[int]) -> int:
    """Subscriptions whose address no longer works: stopped as gone, address wiped, audited."""
    return subscriptions.mark_gone(subscription_ids=subscription_ids)


# --- Forgetting ----------------------------------------------------------------------------------


def forget_old_deliveries(*, now: datetime | None = None) -> int:
    """Alerts that expired DEFENSA_DELIVERY_RETENTION_DAYS ago and have no open batch: keep
    their per-channel counts on the alert and delete the batches (subscription ids) and the
    rows of who was reached (subscription, time, provider id), which link subscribers to
    alerts. A correction after that reaches the area's subscribers only. How many alerts."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DEFENSA_DELIVERY_RETENTION_DAYS)
    old = (
        Alert.objects.filter(expires_at__lt=cutoff, deliveries__isnull=False)
        .exclude(deliveries__status__in=OPEN)
        .distinct()
    )
    forgotten = 0
    for alert in old.iterator():
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if Delivery.objects.filter(alert=locked, status__in=OPEN).exists():
                continue
            summary = dict(locked.delivery_summary or {})
            batches = Delivery.objects.filter(alert=locked)
            for channel, sent, failed in batches.values_list("channel", "sent", "failed"):
                entry = summary.setdefault(str(channel), {"batches": 0, "sent": 0, "failed": 0})
                entry["batches"] += 1
                entry["sent"] += sent
                entry["failed"] += failed
            locked.delivery_summary = summary
            locked.save(update_fields=["delivery_summary"])
            Reached.objects.filter(alert=locked).delete()
            Delivery.objects.filter(alert=locked).delete()
            forgotten += 1
    return forgotten


# --- What the committee sees ---------------------------------------------------------------------


def counts(alert: Alert) -> dict[str, dict[str, int]]:
    """Per channel: sent, failed (given up or dead), pending (still to try) and withdrawn
    (not sent: the alert was corrected or expired first)."""
    out: dict[str, dict[str, int]] = {}
    rows = Delivery.objects.filter(alert=alert).values_list(
        "channel", "status", "subscriptions", "sent", "failed", "last_error"
    )
    for channel, status, ids, sent, failed, error in rows:
        entry = out.setdefault(str(channel), {"sent": 0, "failed": 0, "pending": 0, "withdrawn": 0})
        entry["sent"] += sent
        entry["failed"] += failed
        if status in OPEN:
            entry["pending"] += max(0, len(ids) - sent - failed)
        elif error == "withdrawn":
            entry["withdrawn"] += max(0, len(ids) - sent - failed)
    for channel, kept in (alert.delivery_summary or {}).items():  # batches since forgotten
        entry = out.setdefault(str(channel), {"sent": 0, "failed": 0, "pending": 0, "withdrawn": 0})
        entry["sent"] += int(kept.get("sent", 0))
        entry["failed"] += int(kept.get("failed", 0))
    return out
