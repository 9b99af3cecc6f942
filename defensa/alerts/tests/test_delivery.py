"""An approved alert reaches its subscribers at least once, through local fake providers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from defensa import testing
from defensa.alerts import fanout, selection
from defensa.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Delivery,
    DeliveryStatus,
    Reached,
    Subscription,
    SubscriptionStatus,
)
from defensa.alerts.tests import delivery_fakes as world
from defensa.core import geo
from defensa.messaging import transports
from defensa.messaging.tests import fakes

pytestmark = pytest.mark.django_db

CELL = geo.coarse_cell(*world.CENTER)
FAR = geo.coarse_cell(40.7128, -74.0060)  # New York: never in a Chicago alert
PHONES = [f"+1312555{n:04d}" for n in range(1, 6)]


@pytest.fixture
def committee():
    return testing.committee("Little Village")


@pytest.fixture
def paced_fast():
    # One SMS a second would make a test wait; the pace itself has its own test.
    with override_settings(DEFENSA_SMS_PER_SECOND=200):
        yield


def _enqueued(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(fanout, "enqueue", lambda ids: sent.extend(ids))
    return sent


@pytest.fixture
def plan(django_capture_on_commit_callbacks):
    """fanout.plan as the approval runs it: its on-commit enqueueing runs when it commits."""

    def run(alert: Alert) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return fanout.plan(alert=alert)

    return run


def _deliver_all(ids: list[int]) -> list[str]:
    return [fanout.deliver(pk) for pk in ids]


def test_alert_reaches_push_and_sms_subscribers_in_their_language(
    committee, plan, monkeypatch, paced_fast
) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push, fakes.twilio() as twilio:
        browsers = world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(12)],
            cells=[CELL],
        )
        phones = world.subscribe(
            committee, channel="sms", addresses=PHONES, cells=[CELL], language="en"
        )
        world.subscribe(committee, channel="sms", addresses=["+13125559999"], cells=[FAR])
        alert = world.approved_alert(committee, cells=[CELL])
        batches = plan(alert)
        assert batches == 2
        assert len(enqueued) == 2
        assert _deliver_all(enqueued) == [DeliveryStatus.SENT, DeliveryStatus.SENT]

    # Every browser got exactly one message, which it decrypted (RFC 8291) and which says the
    # alert in Spanish, with its verify link and a topic shared with its corrections.
    assert push.counts == {n: 1 for n in range(12)}
    assert not push.state.problems
    message = push.state.payloads[3][0]
    assert message["body"] == "Actividad de ICE."
    assert message["lang"] == "es"
    assert message["title"] == "Actividad confirmada"
    assert alert.verify_code in message["url"]
    assert push.state.headers[3]["topic"] == fanout._topic(alert)
    # Each English phone got the English SMS, with a status callback; nobody far away did.
    forms = [r.form() for r in twilio.requests]
    assert sorted(f["To"] for f in forms) == PHONES
    assert {f["Body"] for f in forms} == {"Verified ALERT: ICE activity nearby."}
    assert all(f["StatusCallback"].endswith("/hooks/twilio/status/") for f in forms)
    # Who was reached is recorded with the provider's id; the alert is sent.
    assert Reached.objects.filter(alert=alert).count() == 17
    refs = set(
        Reached.objects.filter(subscription__in=phones).values_list("provider_ref", flat=True)
    )
    assert len(refs) == 5
    assert all(ref.startswith("SM") for ref in refs)
    assert {r.subscription_id for r in Reached.objects.filter(alert=alert)} == {
        s.pk for s in [*browsers, *phones]
    }
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT
    assert fanout.counts(alert) == {
        "push": {"sent": 12, "failed": 0, "pending": 0, "withdrawn": 0},
        "sms": {"sent": 5, "failed": 0, "pending": 0, "withdrawn": 0},
    }


def test_nothing_is_enqueued_when_the_approval_rolls_back(committee, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push:
        world.subscribe(committee, channel="push", addresses=[push.subscription(1)], cells=[CELL])
        alert = world.approved_alert(committee, cells=[CELL])

        def approval_that_fails() -> None:
            with transaction.atomic():
                fanout.plan(alert=alert)
                raise RuntimeError("the approval failed after planning")

        with pytest.raises(RuntimeError):
            approval_that_fails()
    assert enqueued == []
    assert not Delivery.objects.exists()


def test_planning_enqueues_only_on_commit(
    committee, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push:
        world.subscribe(committee, channel="push", addresses=[push.subscription(1)], cells=[CELL])
        alert = world.approved_alert(committee, cells=[CELL])
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            fanout.plan(alert=alert)
            assert Delivery.objects.count() == 1  # written in the approval's transaction
        assert enqueued == []
        for callback in callbacks:
            callback()
    assert enqueued == list(Delivery.objects.values_list("pk", flat=True))


def test_enqueued_batch_is_a_real_task(
    committee, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """Each batch becomes a queued task of the configured backend when approval commits."""
    from defensa.alerts import delivery_tasks

    queued: list[Any] = []

    def enqueue(ids: Any) -> None:
        # What fanout.enqueue does, keeping the backend's answers.
        queued.extend(delivery_tasks.deliver_batch.enqueue(pk) for pk in ids)

    with world.push_service() as push:
        world.subscribe(committee, channel="push", addresses=[push.subscription(1)], cells=[CELL])
        alert = world.approved_alert(committee, cells=[CELL])
        monkeypatch.setattr(fanout, "enqueue", enqueue)
        with django_capture_on_commit_callbacks(execute=True):
            fanout.plan(alert=alert)
    [result] = queued
    assert result.args == [Delivery.objects.get().pk]
    assert result.task.name == "deliver_batch"
    assert str(result.status) == "READY"


def test_gone_push_endpoints_and_dead_numbers_disable_their_subscriptions(
    committee, plan, monkeypatch, paced_fast
) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push, fakes.twilio() as twilio:
        browsers = world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(4)],
            cells=[CELL],
        )
        phones = world.subscribe(committee, channel="sms", addresses=PHONES[:2], cells=[CELL])
        push.state.gone.add(2)
        twilio.scripted.append((400, {"code": 21211, "message": "Invalid 'To' Phone Number"}))
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        assert _deliver_all(enqueued) == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    statuses = dict(Subscription.objects.values_list("pk", "status"))
    assert statuses[browsers[2].pk] == SubscriptionStatus.GONE
    assert [statuses[b.pk] for b in (browsers[0], browsers[1], browsers[3])] == ["active"] * 3
    gone_phones = [p for p in phones if statuses[p.pk] == SubscriptionStatus.GONE]
    assert len(gone_phones) == 1
    # A gone address is not kept: nothing left to hand over or to find it again by.
    for row in Subscription.objects.filter(status=SubscriptionStatus.GONE):
        assert row.address_sealed is None
        assert not row.address_index
        assert not row.cells.exists()
    counts = fanout.counts(alert)
    assert counts["push"] == {"sent": 3, "failed": 1, "pending": 0, "withdrawn": 0}
    assert counts["sms"] == {"sent": 1, "failed": 1, "pending": 0, "withdrawn": 0}
    assert len(twilio.requests) == 2  # the dead number was not tried again


def test_temporary_failures_back_off_and_resend_only_the_rest(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(5)],
            cells=[CELL],
        )
        push.state.flaky[4] = 1  # one 503, then fine
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        assert fanout.deliver(enqueued[0]) == DeliveryStatus.RETRY
        batch = Delivery.objects.get()
        assert batch.next_attempt_at > timezone.now() + timedelta(seconds=25)
        assert fanout.due_batches() == []  # not before its backoff
        later = timezone.now() + timedelta(seconds=31)
        assert fanout.due_batches(now=later) == [batch.pk]
        assert fanout.deliver(batch.pk, now=later) == DeliveryStatus.SENT
    assert push.counts == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1}


def test_a_batch_that_keeps_failing_is_parked_dead(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push:
        world.subscribe(committee, channel="push", addresses=[push.subscription(0)], cells=[CELL])
        push.state.flaky[0] = 100
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        moment = timezone.now()
        outcomes = []
        for _attempt in range(fanout.MAX_ATTEMPTS):
            outcomes.append(fanout.deliver(enqueued[0], now=moment))
            moment += fanout.BACKOFF_MAX + timedelta(seconds=1)
    assert outcomes[-1] == DeliveryStatus.DEAD
    assert set(outcomes[:-1]) == {DeliveryStatus.RETRY}
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT  # nothing left open
    assert fanout.counts(alert)["push"] == {"sent": 0, "failed": 1, "pending": 0, "withdrawn": 0}


class Killed(BaseException):
    """The worker dies (SIGKILL): nothing after it runs, not even `finally` blocks' writes."""


def test_a_killed_workers_batch_is_taken_over_and_only_the_rest_is_sent(
    committee, plan, monkeypatch
) -> None:
    enqueued = _enqueued(monkeypatch)
    monkeypatch.setitem(fanout.SLICE, "push", 3)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(10)],
            cells=[CELL],
        )
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        real = transports.REGISTRY["push"].send_many
        calls = {"n": 0}

        def dies_on_second_slice(self: Any, messages: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise Killed
            return real(self, messages)

        monkeypatch.setattr(transports.REGISTRY["push"], "send_many", dies_on_second_slice)
        with pytest.raises(Killed):
            fanout.deliver(enqueued[0])
        monkeypatch.setattr(transports.REGISTRY["push"], "send_many", real)
        assert Reached.objects.count() == 3  # the first slice was recorded before the kill
        # Another worker cannot take the batch while the lease runs...
        assert fanout.deliver(enqueued[0]) == DeliveryStatus.CLAIMED
        assert fanout.due_batches() == []
        # ...and takes it over once it ran out, sending only what was not reached.
        later = timezone.now() + fanout.lease() + timedelta(seconds=1)
        assert fanout.due_batches(now=later) == [enqueued[0]]
        assert fanout.deliver(enqueued[0], now=later) == DeliveryStatus.SENT
    assert push.counts == {n: 1 for n in range(10)}
    assert Reached.objects.count() == 10


def test_a_worker_whose_lease_was_taken_over_stops_and_duplicates_stay_within_a_slice(
    committee, plan, monkeypatch
) -> None:
    """A worker stalled past its lease (not dead) finds the batch taken over: it records what
    it sent and stops; the subscribers sent twice are at most the slice it was sending."""
    enqueued = _enqueued(monkeypatch)
    monkeypatch.setitem(fanout.SLICE, "push", 4)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(12)],
            cells=[CELL],
        )
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        pk = enqueued[0]
        real = transports.REGISTRY["push"].send_many
        calls = {"n": 0}

        def stalls_on_second_slice(self: Any, messages: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                # While this worker stalls, its lease runs out and another worker takes the
                # whole rest of the batch.
                Delivery.objects.filter(pk=pk).update(claimed_until=timezone.now())
                later = timezone.now() + timedelta(milliseconds=1)
                assert fanout.deliver(pk, now=later) == DeliveryStatus.SENT
            return real(self, messages)

        monkeypatch.setattr(transports.REGISTRY["push"], "send_many", stalls_on_second_slice)
        assert fanout.deliver(pk) == "lost"
    duplicates = sum(count - 1 for count in push.counts.values())
    assert set(push.counts) == set(range(12))
    assert 0 < duplicates <= 4
    assert Reached.objects.count() == 12


def test_a_correction_reaches_everyone_the_original_reached(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(3)],
            cells=[CELL],
        )
        original = world.approved_alert(committee, cells=[CELL])
        plan(original)
        _deliver_all(enqueued)
        # One subscriber's area changed since (they moved): the correction still finds them.
        moved = Subscription.objects.order_by("pk").first()
        assert moved is not None
        moved.cells.update(cell=FAR)
        enqueued.clear()
        correction = world.approved_alert(
            committee,
            cells=[geo.coarse_cell(41.95, -87.65)],  # its own area holds nobody
            kind=AlertKind.FALSE_ALARM,
            corrects=original,
            texts={"es": {"push": "Falsa alarma."}},
        )
        plan(correction)
        _deliver_all(enqueued)
    assert push.counts == {0: 2, 1: 2, 2: 2}
    assert push.state.payloads[0][1]["body"] == "Falsa alarma."
    assert fanout._topic(correction) == fanout._topic(original)


def test_an_alert_nobody_is_subscribed_to_is_sent_at_once(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    alert = world.approved_alert(committee, cells=[CELL])
    assert plan(alert) == 0
    assert enqueued == []
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.SENT


def test_selection_finds_coarse_and_fine_subscriptions(committee) -> None:
    fine = world.subscribe(committee, channel="sms", addresses=["+13125550001"], cells=[CELL])
    county_sized = world.subscribe(
        committee,
        channel="sms",
        addresses=["+13125550002"],
        cells=[selection.h3.cell_to_parent(CELL, 4)],
    )
    elsewhere = world.subscribe(committee, channel="sms", addresses=["+13125550003"], cells=[FAR])
    found = selection.subscriptions_in([CELL])
    assert {fine[0].pk, county_sized[0].pk} <= found
    assert elsewhere[0].pk not in found


def test_a_correction_withdraws_what_was_not_sent_yet_and_covers_what_was_in_flight(
    committee, plan, monkeypatch
) -> None:
    enqueued = _enqueued(monkeypatch)
    monkeypatch.setitem(fanout.BATCH, "push", 2)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(6)],
            cells=[CELL],
        )
        original = world.approved_alert(committee, cells=[CELL])
        plan(original)
        first, in_flight, waiting = enqueued
        assert fanout.deliver(first) == DeliveryStatus.SENT
        assert fanout.claim(in_flight) is not None  # a worker is sending it right now
        # The correction is approved (approval marks the original corrected).
        Alert.objects.filter(pk=original.pk).update(status=AlertStatus.CORRECTED)
        enqueued.clear()
        correction = world.approved_alert(
            committee,
            cells=[FAR],
            kind=AlertKind.FALSE_ALARM,
            corrects=original,
            texts={"es": {"push": "Falsa alarma."}},
        )
        plan(correction)
        assert fanout.deliver(waiting) == DeliveryStatus.DEAD
        _deliver_all(enqueued)
    # Nobody got the original after it was corrected; the correction went to the two it
    # reached and to the two of the batch in flight.
    assert push.counts == {0: 2, 1: 2, 2: 1, 3: 1}
    assert fanout.counts(original)["push"]["withdrawn"] == 2
    assert fanout.counts(original)["push"]["failed"] == 0


def test_every_channel_delivers_through_its_fake_provider(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    with (
        fakes.twilio() as twilio,
        fakes.signal_cli() as signal,
        world.smtp_server() as smtp,
        override_settings(DEFENSA_TWILIO_WHATSAPP_FROM="+13125550001"),
    ):
        world.subscribe(committee, channel="signal", addresses=["+13125550201"], cells=[CELL])
        world.subscribe(committee, channel="email", addresses=["ana@example.org"], cells=[CELL])
        world.subscribe(committee, channel="whatsapp", addresses=["+13125550202"], cells=[CELL])
        world.subscribe(
            committee, channel="voice", addresses=["+13125550203"], cells=[CELL], language="en"
        )
        alert = world.approved_alert(committee, cells=[CELL])
        assert plan(alert) == 4
        assert set(_deliver_all(enqueued)) == {DeliveryStatus.SENT}
    [signal_call] = [r.json() for r in signal.requests]
    assert signal_call["params"]["recipient"] == ["+13125550201"]
    assert signal_call["params"]["message"] == "ALERTA verificada: actividad de ICE cerca."
    [(_sender, recipients, raw)] = smtp.messages
    assert recipients == ["ana@example.org"]
    assert "ALERTA verificada" in raw.decode()
    # One-click unsubscribe (RFC 8058), to this subscription's own link.
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw.decode()
    assert "/alertas/baja/" in raw.decode()
    # ...and the same link at the end of the text, in the subscriber's language.
    assert "Para dejar de recibir estas alertas, abra este enlace:" in raw.decode()
    forms = {r.path.rsplit("/", 1)[1]: r.form() for r in twilio.requests}
    assert forms["Messages.json"]["To"] == "whatsapp:+13125550202"
    assert "Verified ALERT: ICE activity nearby." in forms["Calls.json"]["Twiml"]
    assert 'language="en-US"' in forms["Calls.json"]["Twiml"]
    assert Reached.objects.filter(alert=alert).count() == 4
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_the_sweep_enqueues_batches_a_killed_worker_left_and_retries_that_came_due(
    committee, plan, monkeypatch
) -> None:
    from freezegun import freeze_time

    from defensa.alerts import delivery_tasks

    enqueued = _enqueued(monkeypatch)
    monkeypatch.setitem(fanout.BATCH, "push", 1)
    with world.push_service() as push:
        world.subscribe(
            committee,
            channel="push",
            addresses=[push.subscription(n) for n in range(3)],
            cells=[CELL],
        )
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        left, retried, fine = list(enqueued)
        enqueued.clear()
        assert fanout.claim(left) is not None  # then the worker was killed
        push.state.flaky[1] = 1
        assert fanout.deliver(retried) == DeliveryStatus.RETRY
        assert fanout.deliver(fine) == DeliveryStatus.SENT
        assert delivery_tasks.sweep_deliveries.call() == 0
        with freeze_time(timezone.now() + fanout.lease() + timedelta(seconds=1)):
            assert delivery_tasks.sweep_deliveries.call() == 2
            assert sorted(enqueued) == sorted([left, retried])
            assert [delivery_tasks.deliver_batch.call(pk) for pk in enqueued] == ["sent", "sent"]
    assert push.counts == {0: 1, 1: 1, 2: 1}
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT


def test_an_alert_changed_after_approval_is_not_sent(committee, plan, monkeypatch) -> None:
    """Subscribers get only what was signed: a row edited afterwards (by someone with database
    access) no longer checks out, so its batches are parked and nothing goes out."""
    enqueued = _enqueued(monkeypatch)
    with fakes.twilio() as twilio, override_settings(DEFENSA_SMS_PER_SECOND=200):
        world.subscribe(committee, channel="sms", addresses=PHONES[:2], cells=[CELL])
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        forged = {"es": {"sms": "Todo despejado, salgan."}, "en": {"sms": "All clear."}}
        Alert.objects.filter(pk=alert.pk).update(texts=forged)
        assert _deliver_all(enqueued) == [DeliveryStatus.DEAD]
    assert twilio.requests == []
    assert Delivery.objects.get(alert=alert).last_error == "not signed"
    assert not Reached.objects.filter(alert=alert).exists()


def test_a_channel_not_configured_here_is_counted_as_failed(committee, plan, monkeypatch) -> None:
    enqueued = _enqueued(monkeypatch)
    # WhatsApp is off while its sender is not set: nothing is sent, and the committee sees it.
    world.subscribe(committee, channel="whatsapp", addresses=PHONES[:3], cells=[CELL])
    alert = world.approved_alert(committee, cells=[CELL])
    assert plan(alert) == 0
    assert enqueued == []
    assert fanout.counts(alert)["whatsapp"] == {
        "sent": 0,
        "failed": 3,
        "pending": 0,
        "withdrawn": 0,
    }
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT  # nothing left to send


def test_who_was_reached_is_forgotten_a_while_after_expiry_and_the_counts_stay(
    committee, plan, monkeypatch, paced_fast
) -> None:
    enqueued = _enqueued(monkeypatch)
    with fakes.twilio():
        world.subscribe(committee, channel="sms", addresses=PHONES, cells=[CELL])
        alert = world.approved_alert(committee, cells=[CELL])
        plan(alert)
        assert _deliver_all(enqueued) == [DeliveryStatus.SENT]
    before = fanout.counts(alert)
    assert before["sms"]["sent"] == len(PHONES)
    expired = alert.expires_at
    with override_settings(DEFENSA_DELIVERY_RETENTION_DAYS=30):
        # Not yet: 29 days after the expiry.
        assert fanout.forget_old_deliveries(now=expired + timedelta(days=29)) == 0
        assert Reached.objects.filter(alert=alert).count() == len(PHONES)
        assert fanout.forget_old_deliveries(now=expired + timedelta(days=31)) == 1
    assert not Reached.objects.filter(alert=alert).exists()
    assert not Delivery.objects.filter(alert=alert).exists()
    alert.refresh_from_db()
    assert alert.delivery_summary == {"sms": {"batches": 1, "sent": len(PHONES), "failed": 0}}
    assert fanout.counts(alert) == before
    # Running again changes nothing.
    assert fanout.forget_old_deliveries(now=expired + timedelta(days=40)) == 0


def test_an_alert_still_sending_is_not_forgotten(committee, plan, monkeypatch) -> None:
    _enqueued(monkeypatch)
    world.subscribe(committee, channel="sms", addresses=PHONES[:2], cells=[CELL])
    alert = world.approved_alert(committee, cells=[CELL])
    with fakes.twilio():
        assert plan(alert) == 1  # its batch stays pending
    with override_settings(DEFENSA_DELIVERY_RETENTION_DAYS=1):
        assert fanout.forget_old_deliveries(now=alert.expires_at + timedelta(days=5)) == 0
    assert Delivery.objects.filter(alert=alert).exists()


def test_corrections_and_fast_channels_go_ahead_of_paced_batches_in_the_queue(
    committee, django_capture_on_commit_callbacks
) -> None:
    """With the database backend (which honours priorities), a worker busy with slow SMS
    batches takes a correction, then push, before the next SMS batch."""
    from django_tasks_db.models import DBTaskResult

    from defensa.alerts import delivery_tasks

    if not delivery_tasks.deliver_batch.get_backend().supports_priority:
        pytest.skip("this task backend (RQ) keeps one order: see docs/architecture.md")
    with fakes.twilio(), world.push_service() as push:
        world.subscribe(committee, channel="sms", addresses=PHONES[:2], cells=[CELL])
        world.subscribe(committee, channel="push", addresses=[push.subscription(1)], cells=[CELL])
        original = world.approved_alert(committee, cells=[CELL])
        with django_capture_on_commit_callbacks(execute=True):
            fanout.plan(alert=original)
        correction = world.approved_alert(
            committee, cells=[CELL], kind=AlertKind.FALSE_ALARM, corrects=original
        )
        with django_capture_on_commit_callbacks(execute=True):
            fanout.plan(alert=correction)
    by_batch = {
        int(row.args_kwargs["args"][0]): row.priority
        for row in DBTaskResult.objects.filter(task_path__endswith="deliver_batch")
    }
    priorities = {(d.alert_id, str(d.channel)): by_batch[d.pk] for d in Delivery.objects.all()}
    assert priorities[(original.pk, "push")] == fanout.PRIORITY_FAST
    assert priorities[(original.pk, "sms")] == fanout.PRIORITY_PACED
    assert {p for (a, _c), p in priorities.items() if a == correction.pk} == {
        fanout.PRIORITY_CORRECTION
    }
    # The order a worker takes them in.
    ordering = list(DBTaskResult._meta.ordering or [])
    first = DBTaskResult.objects.ready().order_by(*ordering).first()
    assert first is not None
    assert first.priority == fanout.PRIORITY_CORRECTION


def test_a_long_queue_of_pending_batches_is_not_enqueued_again_at_every_sweep(
    committee, plan, monkeypatch
) -> None:
    from freezegun import freeze_time

    enqueued = _enqueued(monkeypatch)
    with fakes.twilio():
        world.subscribe(committee, channel="sms", addresses=PHONES, cells=[CELL])
        plan(world.approved_alert(committee, cells=[CELL]))
    [pk] = enqueued
    start = timezone.now()
    with freeze_time(start + fanout.lease() * 2):
        assert fanout.due_batches() == []  # still waiting its turn in the queue
    later = start + fanout.lease() * (fanout.PENDING_PATIENCE + 1)
    with freeze_time(later):
        assert fanout.due_batches() == [pk]  # its task may have been lost: once more
        assert fanout.due_batches() == []  # and not again at the next sweep
