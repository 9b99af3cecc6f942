"""Each paced sender's slots are shared by every worker and never run ahead of its rate."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from defensa.alerts import pacing
from defensa.alerts.models import SenderPace
from defensa.messaging import transports
from defensa.messaging.tests import fakes
from defensa.messaging.transports import Outgoing

pytestmark = pytest.mark.django_db


@override_settings(DEFENSA_SMS_PER_SECOND=4, DEFENSA_TWILIO_FROM="+13125550000")
def test_reservations_follow_one_another_at_the_senders_rate() -> None:
    starts = [pacing.reserve("sms", 1) for _ in range(9)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([0.25] * 8, abs=1e-6)
    # A bigger reservation takes its share of time.
    first = pacing.reserve("sms", 8)
    assert (pacing.reserve("sms", 1) - first).total_seconds() == pytest.approx(2.0, abs=1e-6)


@override_settings(DEFENSA_SMS_PER_SECOND=4, DEFENSA_TWILIO_FROM="+13125550000")
def test_an_idle_sender_starts_from_now_not_from_its_past() -> None:
    SenderPace.objects.create(
        sender=pacing.sender_key("sms"), next_slot=timezone.now() - timedelta(hours=1)
    )
    start = pacing.reserve("sms", 1)
    assert abs((start - timezone.now()).total_seconds()) < 1


@override_settings(DEFENSA_TWILIO_FROM="+13125550000", DEFENSA_TWILIO_WHATSAPP_FROM="+1312555")
def test_each_sender_has_its_own_pace_and_no_number_in_clear() -> None:
    assert pacing.sender_key("sms") != pacing.sender_key("whatsapp")
    pacing.reserve("sms", 1)
    pacing.reserve("whatsapp", 1)
    names = list(SenderPace.objects.values_list("sender", flat=True))
    assert len(names) == 2
    assert not any("5550000" in name for name in names)


@override_settings(DEFENSA_SMS_PER_SECOND=100)
def test_ticks_take_several_messages_at_high_rates() -> None:
    assert pacing.per_tick("sms") == 10
    with override_settings(DEFENSA_SMS_PER_SECOND=1):
        assert pacing.per_tick("sms") == 1


def test_paced_sending_never_runs_ahead_of_the_rate() -> None:
    """Thirty messages at 20 a second take at least the 1.45 s their slots span."""
    rate = 20
    with fakes.twilio() as twilio, override_settings(DEFENSA_SMS_PER_SECOND=rate):
        sender = transports.get("sms")
        tick = pacing.per_tick("sms")
        began = time.monotonic()
        sent = 0
        while sent < 30:
            count = min(tick, 30 - sent)
            pacing.wait_until(pacing.reserve("sms", count))
            sender.send_many([Outgoing(key=n, to="+13125550142", body="x") for n in range(count)])
            sent += count
        elapsed = time.monotonic() - began
    assert len(twilio.requests) == 30
    # The first tick goes at once; the last starts (30 - tick) / rate seconds later.
    assert tick == 2
    assert elapsed >= (30 - tick) / rate * 0.99
