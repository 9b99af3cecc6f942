"""Twilio's status callbacks for alert messages, replayed with valid signatures."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from defensa import testing
from defensa.alerts.models import Reached, Subscription, SubscriptionStatus
from defensa.alerts.tests import delivery_fakes as world
from defensa.core import geo
from defensa.messaging.tests import fakes

pytestmark = pytest.mark.django_db

PATH = "/hooks/twilio/status/"
SID = "SM" + "ab" * 16
CELL = geo.coarse_cell(*world.CENTER)


@pytest.fixture
def reached():
    """A subscriber an alert reached by SMS, with the message's SID recorded."""
    committee = testing.committee()
    subscription = world.subscribe(
        committee, channel="sms", addresses=["+13125550142"], cells=[CELL]
    )[0]
    alert = world.approved_alert(committee, cells=[CELL])
    Reached.objects.create(alert=alert, subscription=subscription, provider_ref=SID)
    return subscription


def _callback(status: str, *, error: str = "", sid: str = SID) -> dict[str, str]:
    """A message status callback's parameters, as Twilio posts them."""
    params = {
        "AccountSid": fakes.TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "From": "+13125550000",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": "+13125550142",
    }
    if error:
        params["ErrorCode"] = error
    return params


def _post(params: dict[str, str], *, signature: str | None = None):
    url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + PATH
    signed = fakes.twilio_signature(url, params) if signature is None else signature
    return Client().post(
        PATH,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signed,
    )


def _status(subscription: Subscription) -> str:
    return Subscription.objects.get(pk=subscription.pk).status


def test_undelivered_to_a_dead_number_disables_the_subscription(reached) -> None:
    with fakes.twilio():
        response = _post(_callback("undelivered", error="30006"))  # landline or unreachable
    assert response.status_code == 204
    assert _status(reached) == SubscriptionStatus.GONE


def test_delivered_and_passing_failures_change_nothing(reached) -> None:
    with fakes.twilio():
        assert _post(_callback("delivered")).status_code == 204
        # 30008 "unknown error" and carrier filtering say nothing about the number.
        assert _post(_callback("undelivered", error="30008")).status_code == 204
        assert _post(_callback("failed", error="30007")).status_code == 204
    assert _status(reached) == SubscriptionStatus.ACTIVE


def test_a_callback_repeated_is_harmless(reached) -> None:
    with fakes.twilio():
        for _ in range(2):
            assert _post(_callback("undelivered", error="21610")).status_code == 204
    assert _status(reached) == SubscriptionStatus.GONE


def test_an_invalid_signature_is_refused_and_writes_nothing(reached) -> None:
    params = _callback("undelivered", error="30006")
    with fakes.twilio():
        forged = fakes.twilio_signature("https://elsewhere.example/hooks/twilio/status/", params)
        assert _post(params, signature=forged).status_code == 403
        assert _post(params, signature="").status_code == 403
        # Signed, then changed on the way: the signature no longer matches.
        url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + PATH
        good = fakes.twilio_signature(url, params)
        other = {**params, "MessageSid": "SM" + "cd" * 16}
        assert _post(other, signature=good).status_code == 403
    assert _status(reached) == SubscriptionStatus.ACTIVE


def test_a_malformed_sid_is_refused(reached) -> None:
    with fakes.twilio():
        response = _post(_callback("undelivered", error="30006", sid="SM../../x"))
    assert response.status_code == 400
    assert _status(reached) == SubscriptionStatus.ACTIVE


def test_without_twilio_configured_the_hook_is_not_there(reached) -> None:
    assert _post(_callback("undelivered", error="30006")).status_code == 404
    assert _status(reached) == SubscriptionStatus.ACTIVE
