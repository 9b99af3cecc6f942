"""Messages reach members over their own channel, at least once, through local fakes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from defensa import testing
from defensa.messaging import actions, delivery, inbound, transports
from defensa.messaging.models import MessageStatus, OutgoingMessage
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions

pytestmark = pytest.mark.django_db

PHONE = "+13125550142"


@pytest.fixture
def member():
    person = testing.member(testing.committee(), name="Tavo")
    network_actions.update_profile(
        actor=person,
        person=person,
        contacts=[{"kind": "signal", "value": PHONE}, {"kind": "phone", "value": PHONE}],
    )
    return person


def test_sms_goes_to_twilio_with_our_credentials(member) -> None:
    with fakes.twilio() as twilio:
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        assert message.channel == "sms"  # Signal is not configured here
        assert delivery.deliver(message) == MessageStatus.SENT
    sent = twilio.requests[0]
    assert sent.path == f"/2010-04-01/Accounts/{fakes.TWILIO_SID}/Messages.json"
    assert sent.form() == {"To": PHONE, "Body": "Hola", "From": "+13125550000"}
    assert fakes.basic_auth(sent) == (fakes.TWILIO_SID, fakes.TWILIO_TOKEN)
    stored = OutgoingMessage.objects.get()
    assert stored.sent_at is not None
    assert PHONE not in str(stored.__dict__)  # the address is never stored


def test_preferred_channel_comes_first(member) -> None:
    with fakes.twilio(), fakes.signal_cli() as signal:
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        assert message.channel == "signal"
        delivery.deliver(message)
    call = signal.requests[0].json()
    assert call["method"] == "send"
    assert call["params"] == {
        "account": fakes.SIGNAL_ACCOUNT,
        "recipient": [PHONE],
        "message": "Hola",
    }


def test_nothing_is_queued_without_a_configured_channel(member) -> None:
    assert actions.queue_message(person=member, body="Hola", purpose="test") is None


@pytest.mark.parametrize(
    ("answer", "status", "permanent"),
    [
        ((400, {"code": 21211, "message": "Invalid 'To' Phone Number"}), "dead", True),
        ((500, {"message": "oops"}), "pending", False),
        ((429, {"code": 20429, "message": "Too Many Requests"}), "pending", False),
    ],
)
def test_provider_errors_retry_or_park(member, answer, status, permanent) -> None:
    with fakes.twilio() as twilio:
        twilio.scripted.append(answer)
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        assert delivery.deliver(message) == status
    message.refresh_from_db()
    assert message.attempts == 1
    assert PHONE not in message.last_error
    if not permanent:
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=20)


def test_a_killed_worker_loses_nothing_and_duplicates_at_most_once(member) -> None:
    with fakes.twilio() as twilio:
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        now = timezone.now()
        # A worker claims the message, sends it, and is killed before marking it sent.
        assert delivery.claim(message, now=now)
        transports.get("sms").send(to=PHONE, body=message.body)
        # While its lease runs, nobody else sends it.
        assert delivery.deliver_due(now=now + timedelta(seconds=30)) == 0
        # After the lease, the safety net sends it again, once.
        later = now + delivery.LEASE + timedelta(seconds=1)
        assert delivery.deliver_due(now=later) == 1
        assert delivery.deliver_due(now=later + timedelta(minutes=5)) == 0
    assert len(twilio.requests) == 2
    assert OutgoingMessage.objects.get().status == MessageStatus.SENT


def test_too_many_failures_park_the_message(member) -> None:
    with fakes.twilio() as twilio:
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        now = timezone.now()
        for attempt in range(delivery.MAX_ATTEMPTS):
            twilio.scripted.append((503, {"message": "unavailable"}))
            delivery.deliver(message, now=now + timedelta(days=attempt + 1))
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD
    assert message.attempts == delivery.MAX_ATTEMPTS


def test_old_messages_are_forgotten(member) -> None:
    with fakes.twilio():
        message = actions.queue_message(person=member, body="Hola", purpose="test")
        assert message is not None
        delivery.deliver(message)
    assert delivery.forget_old_messages(now=timezone.now() + timedelta(days=8)) == 1


@override_settings(
    DEFENSA_EMAIL_FROM="avisos@example.org",
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)
def test_email_is_sent_for_those_who_chose_it() -> None:
    person = testing.member(testing.committee())
    network_actions.update_profile(
        actor=person, person=person, contacts=[{"kind": "email", "value": "tavo@example.org"}]
    )
    message = actions.queue_message(person=person, body="Turnos\nHola", purpose="test")
    assert message is not None
    delivery.deliver(message)
    assert mail.outbox[0].to == ["tavo@example.org"]
    assert mail.outbox[0].subject == "Turnos"
    # E-mail cannot carry a reply code back to us.
    assert actions.queue_message(person=person, body="x", purpose="t", replies=True) is None


def test_signal_messages_are_received_and_answered(settings) -> None:
    settings.DEFENSA_INBOUND_HANDLERS = ["defensa.messaging.tests.test_delivery.echo"]
    from django.core.management import call_command

    with fakes.signal_cli() as signal:
        signal.inbox.append(
            {"envelope": {"sourceNumber": PHONE, "dataMessage": {"message": "ping"}}}
        )
        call_command("signal_receive", "--once")
    calls = [r.json() for r in signal.requests]
    assert [c["method"] for c in calls] == ["receive", "send"]
    assert calls[1]["params"]["recipient"] == [PHONE]
    assert calls[1]["params"]["message"] == "pong"


def echo(message: inbound.Inbound) -> str | None:
    return "pong" if message.text == "ping" else None


def test_twilio_webhook_needs_a_valid_signature(settings) -> None:
    settings.DEFENSA_INBOUND_HANDLERS = ["defensa.messaging.tests.test_delivery.echo"]
    with fakes.twilio():
        client = Client()
        forged = client.post(
            "/hooks/twilio/sms/",
            urlencode(fakes.sms_payload(PHONE, "ping")),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE="x",
        )
        assert forged.status_code == 403
        signed = fakes.signed_twilio_post(
            client,
            "/hooks/twilio/sms/",
            fakes.sms_payload(PHONE, "ping"),
            public_url=settings.DEFENSA_PUBLIC_URL,
        )
    assert signed.status_code == 200
    assert b"<Message>pong</Message>" in signed.content


def test_twilio_webhook_is_off_until_configured() -> None:
    assert Client().post("/hooks/twilio/sms/", {"Body": "x"}).status_code == 404


def test_inbound_words_ignore_case_and_accents() -> None:
    message = inbound.Inbound(channel="sms", sender=PHONE, text="  sí 123456 ")
    assert message.words() == ["SI", "123456"]
