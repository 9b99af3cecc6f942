"""A phone-call subscription typed on the web is confirmed by a call: nothing is read to that
phone until whoever answers presses 1 (9: never call again). The key pressed arrives as a
signed Twilio webhook, replayed here, and counts only from the subscription's own number."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, TestCase
from freezegun import freeze_time

from defensa import testing
from defensa.alerts import addresses, confirm_call, tasks
from defensa.alerts.models import Channel, Subscription, SubscriptionStatus
from defensa.alerts.tests.test_subscribe_web import PHONE, post_page
from defensa.core.models import AuditEvent
from defensa.hotline.models import HotlineNumber
from defensa.hotline.tests.calling import CALLER, Phone, call_params, post
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind

pytestmark = pytest.mark.django_db

NUMBER = "+17735550123"  # PHONE, as the form keeps it
HOTLINE = "+13125550000"
OUR_NUMBER = "+13125550000"


@pytest.fixture
def la_villita():
    committee = testing.committee("Comité de La Villita")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60623")
    return committee


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The confirmation calls asked for (subscription codes), instead of queueing them."""
    asked: list[str] = []

    class Recorded:
        enqueue = staticmethod(asked.append)

    monkeypatch.setattr(tasks, "call_to_confirm", Recorded)
    return asked


def sign_up(language: str = "es") -> Subscription:
    response = post_page({"how": "voice", "phone": PHONE, "language": language, "zips": "60623"})
    assert response.status_code == 302
    return Subscription.objects.get(channel=Channel.VOICE, status__in=["pending", "active"])


def press(
    subscription: Subscription, digits: str, *, to: str = NUMBER, signature: str | None = None
):
    """The key pressed on the call, as Twilio posts it to the Gather's action, signed."""
    path = f"/hooks/twilio/alerts/confirm/{subscription.code}/"
    params = {
        "AccountSid": fakes.TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + "cd" * 16,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "Digits": digits,
        "From": OUR_NUMBER,
        "To": to,
    }
    url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + path
    signed = fakes.twilio_signature(url, params) if signature is None else signature
    return Client().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signed,
    )


def status(subscription: Subscription) -> str:
    return Subscription.objects.get(pk=subscription.pk).status


def test_a_number_typed_on_the_web_gets_a_call_and_nothing_else_until_it_presses_1(
    la_villita, calls
) -> None:
    subscription = sign_up("es")
    assert subscription.status == SubscriptionStatus.PENDING
    assert calls == [str(subscription.code)]
    with fakes.twilio() as twilio:
        assert confirm_call.place_call(code=str(subscription.code)) is True
        [call] = twilio.requests
        form = call.form()
        assert call.path.endswith("/Calls.json")
        assert (form["To"], form["From"]) == (NUMBER, OUR_NUMBER)
        twiml = form["Twiml"]
        assert f'action="http://testserver/hooks/twilio/alerts/confirm/{subscription.code}/"' in (
            twiml.replace(settings.DEFENSA_PUBLIC_URL.rstrip("/"), "http://testserver")
        )
        assert 'numDigits="1"' in twiml
        assert 'language="es-MX"' in twiml
        assert "marque 1" in twiml

        answered = press(subscription, "1")
    assert answered.status_code == 200
    assert answered["Content-Type"].startswith("text/xml")
    assert "Gracias" in answered.content.decode()
    assert status(subscription) == SubscriptionStatus.ACTIVE
    confirmed = AuditEvent.objects.filter(verb="alerts.subscription_confirmed").get()
    assert confirmed.after == {"status": "active", "how": "call"}


def test_a_pending_call_subscription_is_not_delivered_to(la_villita, calls) -> None:
    subscription = sign_up()
    cells = list(subscription.cells.values_list("cell", flat=True))
    assert cells
    live = Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, cells__cell__in=cells
    ).distinct()
    assert subscription not in live
    assert status(subscription) == SubscriptionStatus.PENDING


def test_only_the_subscriptions_own_number_can_confirm_it(la_villita, calls) -> None:
    subscription = sign_up("en")
    with fakes.twilio():
        answered = press(subscription, "1", to="+17735559999")
        assert answered.status_code == 200
        assert "Nothing was changed" in answered.content.decode()
        assert status(subscription) == SubscriptionStatus.PENDING
        # Other keys change nothing either.
        assert "Nothing was changed" in press(subscription, "2").content.decode()
        assert status(subscription) == SubscriptionStatus.PENDING


def test_a_forged_key_press_is_refused_and_changes_nothing(la_villita, calls) -> None:
    subscription = sign_up()
    with fakes.twilio():
        assert press(subscription, "1", signature="forged").status_code == 403
        assert press(subscription, "1", signature="").status_code == 403
    assert status(subscription) == SubscriptionStatus.PENDING
    assert not AuditEvent.objects.filter(verb="alerts.subscription_confirmed").exists()


def test_pressing_9_stops_the_calls_and_forgets_the_number(la_villita, calls) -> None:
    subscription = sign_up("es")
    with fakes.twilio():
        answered = press(subscription, "9")
    assert "no volveremos a llamar" in answered.content.decode().lower()
    stopped = Subscription.objects.get(pk=subscription.pk)
    assert stopped.status == SubscriptionStatus.STOPPED
    assert stopped.address_sealed is None
    assert not stopped.address_index
    assert addresses.address_of(stopped) is None
    # Pressing again, or 1 afterwards, confirms nothing.
    with fakes.twilio():
        assert "Nada" in press(subscription, "1").content.decode()
    assert status(subscription) == SubscriptionStatus.STOPPED


def test_sending_the_form_again_calls_at_most_once_an_hour(la_villita, calls) -> None:
    first = sign_up()
    assert len(calls) == 1
    again = sign_up()
    assert again.pk == first.pk
    assert len(calls) == 1  # the same number typed again: no second call yet
    with freeze_time(first.created_at + confirm_call.CALL_AGAIN_AFTER + timedelta(minutes=1)):
        sign_up()
    assert calls == [str(first.code), str(first.code)]


def test_a_confirmation_too_late_counts_for_nothing(la_villita, calls) -> None:
    subscription = sign_up()
    later = subscription.created_at + timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS + 1)
    with fakes.twilio(), freeze_time(later):
        press(subscription, "1")
    assert status(subscription) == SubscriptionStatus.PENDING


def test_no_call_without_a_calling_number_configured(la_villita, calls) -> None:
    subscription = sign_up()
    assert confirm_call.place_call(code=str(subscription.code)) is False


# --- By phone: option 3 of the hotline's menu -----------------------------------------------


@pytest.fixture
def hotline(la_villita):
    HotlineNumber.objects.create(committee=la_villita, number=HOTLINE)
    return la_villita


def test_a_caller_hears_the_alerts_of_a_zip_code_and_asks_for_calls(hotline, calls) -> None:
    """Someone who cannot read calls the hotline, hears the verified alerts for ZIP 60623 in
    Spanish, presses 1 for calls about new ones, and is called back to confirm."""
    with fakes.twilio():
        phone = Phone(Client(), to=HOTLINE)
        phone.call()
        phone.press("1")  # Spanish
        phone.press("3")  # alerts for a ZIP code
        offer = phone.press("60623")
        offered = offer.find("Gather")
        assert offered is not None
        assert offered.get("numDigits") == "1"
        with TestCase.captureOnCommitCallbacks(execute=True):
            answered = phone.press("1")
    assert phone.said() == [
        (
            "es-MX",
            "Gracias. En un momento le devolveremos la llamada a este teléfono para confirmar. "
            "Cuando llamemos, marque 1.",
        )
    ]
    assert answered.find("Redirect") is not None  # back to the menu
    subscription = Subscription.objects.get()
    assert (subscription.channel, subscription.status, subscription.language) == (
        Channel.VOICE,
        SubscriptionStatus.PENDING,
        "es",
    )
    assert subscription.area == {"zips": ["60623"]}
    assert subscription.committee == hotline
    assert addresses.address_of(subscription) == CALLER
    assert calls == [str(subscription.code)]
    # The callback: the caller presses 1 and gets the calls.
    with fakes.twilio():
        press(subscription, "1", to=CALLER)
    assert status(subscription) == SubscriptionStatus.ACTIVE


def test_a_caller_with_a_hidden_number_is_told_to_text_instead(hotline, calls) -> None:
    with fakes.twilio():
        phone = Phone(Client(), to=HOTLINE)
        phone.call()
        phone.press("2")  # English
        phone.press("3")
        phone.press("60623")
        gather = phone.twiml.find("Gather")  # the offer
        assert gather is not None
        params = call_params(phone.sid, to=HOTLINE) | {"Digits": "1", "From": "+266696687"}
        response = post(Client(), gather.get("action", ""), params)
    assert response.status_code == 200
    assert b"We cannot see the number you are calling from" in response.content
    assert not Subscription.objects.exists()
    assert calls == []


def test_pressing_nothing_after_the_alerts_signs_up_nobody(hotline, calls) -> None:
    with fakes.twilio():
        phone = Phone(Client(), to=HOTLINE)
        phone.call()
        phone.press("1")
        phone.press("3")
        phone.press("60623")
        phone.wait()  # the menu again
    assert not Subscription.objects.exists()
    assert calls == []
