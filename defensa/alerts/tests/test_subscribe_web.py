"""Subscribing from the public site, with no account: e-mail with double opt-in, a phone call,
a map pick kept as one coarse cell, this browser's web push, and stopping with one click."""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone
from freezegun import freeze_time

from defensa import testing
from defensa.alerts import addresses, selection, subscriptions
from defensa.alerts.models import Channel, Subscription, SubscriptionCell, SubscriptionStatus
from defensa.core import geo
from defensa.core.models import AuditEvent
from defensa.hotline.tests.texting import everything_stored
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Zone

pytestmark = pytest.mark.django_db

PAGE = "/alertas/suscribirse/"
PUSH = "/alertas/suscribirse/push/"
PUSH_STOP = "/alertas/baja/push/"
EMAIL = "Rosa.Vecina@example.org"
PHONE = "(773) 555-0123"
# A point in La Villita (ZIP 60623): only the resolution-7 cell around it may be kept.
LAT, LNG = "41.847312", "-87.714958"


@pytest.fixture(autouse=True)
def email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFENSA_EMAIL_FROM = "alertas@defensa.example"


@pytest.fixture
def la_villita():
    committee = testing.committee("Comité de La Villita")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60623")
    return committee


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def push_subscription(host: str = "fcm.googleapis.com", *, scheme: str = "https") -> dict:
    """What a browser's PushSubscription.toJSON() gives (Chrome, on FCM)."""
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": f"{scheme}://{host}/fcm/send/{secrets.token_urlsafe(16)}:APA91b{secrets.token_urlsafe(100)}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(public), "auth": b64url(secrets.token_bytes(16))},
    }


def page_client(language: str = "es") -> tuple[Client, str]:
    """A browser that opened the page: CSRF enforced, with the page's token."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(PAGE)
    assert response.status_code == 200
    return client, response.cookies["csrftoken"].value


def post_page(data: dict, *, language: str = "es"):
    client, token = page_client(language)
    # What the action leaves for after its commit (the confirmation e-mail) runs at once.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(PAGE, {**data, "csrfmiddlewaretoken": token})


def post_push(body: dict, *, client: Client | None = None, token: str = ""):
    if client is None:
        client, token = page_client()
    return client.post(
        PUSH, json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )


def link_in(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://\S+/alertas/confirmar/([A-Za-z0-9_-]+)/", str(message.body))
    assert found
    return found.group(1)


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title"),
    [("es", "Recibir alertas verificadas"), ("en", "Receive verified alerts")],
)
def test_the_page_works_in_spanish_and_english_without_javascript(la_villita, language, title):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(PAGE).content.decode()
    assert title in page
    assert 'method="post"' in page
    assert 'name="zips"' in page
    assert "ALERTA 60623" in page
    assert '<link rel="manifest" href="/alertas/manifest.webmanifest">' in page
    assert "https://" not in re.sub(r'href="https://[^"]*"', "", page)  # nothing from elsewhere


def test_the_page_gives_browsers_the_push_key(la_villita):
    from defensa.alerts import push_keys

    page = Client().get(PAGE).content.decode()
    key = push_keys.public_key_b64url()
    assert key
    assert f'data-push-key="{key}"' in page
    assert len(base64.urlsafe_b64decode(key + "=")) == 65


def test_service_worker_is_served_from_the_root_scope():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    assert 'addEventListener("push"' in script
    assert "showNotification" in script
    assert 'addEventListener("notificationclick"' in script
    assert 'var ICON = "/static/alerts/icon-192' in script


def test_manifest_makes_the_site_installable():
    response = Client().get("/alertas/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/alertas/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert icon["src"].startswith(settings.STATIC_URL)
        assert finders.find(icon["src"][len(settings.STATIC_URL) :])


# --- E-mail, with double opt-in ---------------------------------------------------------------


def test_email_needs_its_confirmation_link_before_anything_is_delivered(la_villita):
    response = post_page({"how": "email", "email": EMAIL, "language": "es", "zips": "60623"})
    assert response.status_code == 302
    assert response["Location"] == "/alertas/suscribirse/listo/?how=email"
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.PENDING
    cells = list(SubscriptionCell.objects.values_list("cell", flat=True))
    assert not selection.subscriptions_in(cells)  # nothing goes to an unconfirmed address
    [message] = mail.outbox
    assert message.to == [EMAIL.strip()]
    assert "Confirme" in message.subject
    token = link_in(message)
    stored = everything_stored()
    assert token not in stored
    assert EMAIL not in stored
    assert EMAIL.lower() not in stored
    assert subscription.confirm_token_hash
    assert subscription.confirm_token_hash != token
    # Opening the link (a mail scanner does too) only shows a button.
    assert Client().get(f"/alertas/confirmar/{token}/").status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/alertas/confirmar/{token}/")
    csrf = page.cookies["csrftoken"].value
    confirmed = client.post(f"/alertas/confirmar/{token}/", {"csrfmiddlewaretoken": csrf})
    assert confirmed.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.confirm_token_hash == ""
    assert selection.subscriptions_in(cells) == {subscription.pk}
    # The link works once.
    assert Client().post(f"/alertas/confirmar/{token}/").status_code == 404
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="alerts.").values_list("verb", flat=True)
    )
    assert verbs == ["alerts.subscribed", "alerts.subscription_confirmed"]


def test_an_old_confirmation_link_does_not_work(la_villita):
    post_page({"how": "email", "email": EMAIL, "language": "en", "zips": "60623"})
    token = link_in(mail.outbox[0])
    later = timezone.now() + timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS, minutes=1)
    with freeze_time(later):
        assert Client().post(f"/alertas/confirmar/{token}/").status_code == 404
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_a_second_sign_up_with_the_same_email_updates_and_sends_a_new_link(la_villita):
    post_page({"how": "email", "email": EMAIL, "language": "es", "zips": "60623"})
    post_page({"how": "email", "email": EMAIL.upper(), "language": "en", "zips": "60623 60608"})
    subscription = Subscription.objects.get()
    assert subscription.language == "en"
    assert subscription.area == {"zips": ["60623", "60608"]}
    assert len(mail.outbox) == 2
    assert Client().post(f"/alertas/confirmar/{link_in(mail.outbox[0])}/").status_code == 404
    assert Client().post(f"/alertas/confirmar/{link_in(mail.outbox[1])}/").status_code == 200


def test_email_one_click_unsubscribe_needs_no_token_and_no_sign_in(la_villita):
    done = subscriptions.subscribe(
        channel=Channel.EMAIL,
        address=EMAIL,
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    subscriptions.confirm(token=done.confirm_token)
    url = subscriptions.unsubscribe_url(done.subscription)
    assert url.startswith(settings.DEFENSA_PUBLIC_URL)
    path = url[len(settings.DEFENSA_PUBLIC_URL.rstrip("/")) :]
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in everything_stored()
    # GET shows a confirm button and changes nothing.
    page = Client().get(path)
    assert page.status_code == 200
    assert "<form" in page.content.decode()
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE
    # RFC 8058: the mail provider POSTs this body, with no cookie and no CSRF token.
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.STOPPED
    assert subscription.address_sealed is None
    # A retry is not an error; the link no longer shows a button.
    assert (
        provider.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert Client().get(path).status_code == 404
    assert AuditEvent.objects.filter(verb="alerts.subscription_stopped").count() == 1


def test_an_unknown_unsubscribe_link_stops_nothing(la_villita):
    subscriptions.subscribe(
        channel=Channel.EMAIL,
        address=EMAIL,
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    assert Client().post("/alertas/baja/" + "A" * 24 + "/").status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


# --- A phone call, and the area ---------------------------------------------------------------


def test_a_phone_call_subscription_is_a_number_and_a_language(la_villita):
    response = post_page({"how": "voice", "phone": PHONE, "language": "en", "zips": "60623"})
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.channel, subscription.status, subscription.language) == (
        Channel.VOICE,
        SubscriptionStatus.PENDING,  # until whoever answers that phone presses 1
        "en",
    )
    assert addresses.address_of(subscription) == "+17735550123"
    stored = everything_stored()
    assert "7735550123" not in stored
    assert "555-0123" not in stored


def test_a_map_pick_keeps_only_the_resolution_7_cell(la_villita):
    response = post_page({"how": "voice", "phone": PHONE, "language": "es", "lat": LAT, "lng": LNG})
    assert response.status_code == 302
    cell = geo.coarse_cell(float(LAT), float(LNG))
    subscription = Subscription.objects.get()
    assert subscription.area == {"cell": cell}
    assert list(SubscriptionCell.objects.values_list("cell", flat=True)) == [cell]
    assert subscription.committee == la_villita
    stored = everything_stored()
    for part in (LAT, LNG, LAT[:6], LNG[:7]):
        assert part not in stored


def test_a_committee_zone_subscribes_to_its_cells(la_villita):
    zone = Zone.objects.create(committee=la_villita, name="Norte")
    network_actions.add_area_unit(
        actor=None, committee=la_villita, kind=AreaKind.ZIP, value="60608", zone=zone
    )
    response = post_page({"how": "voice", "phone": PHONE, "language": "es", "zone": str(zone.code)})
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.area == {"zones": [str(zone.code)]}
    assert SubscriptionCell.objects.count() == 7


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"zips": "6062"}, "no es un código postal"),
        ({"zips": "abc"}, "solo con dígitos"),
        ({"zips": "80010"}, "ningún comité envía alertas"),
        ({}, "Elija dónde"),
        ({"zips": "60623", "phone": "12"}, "No es un número de teléfono"),
    ],
)
def test_what_cannot_be_served_is_refused_clearly_and_writes_nothing(la_villita, data, expected):
    response = post_page({"how": "voice", "phone": PHONE, "language": "es", **data})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Subscription.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="alerts.").exists()


def test_every_missing_part_is_said_at_once(la_villita):
    response = post_page({"how": "voice", "phone": "", "language": "es"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Escriba el número de teléfono al que llamar." in page
    assert "Elija dónde" in page


def test_sign_ups_from_one_connection_are_limited(la_villita, settings):
    settings.DEFENSA_SUBSCRIBE_BURST = 2
    settings.DEFENSA_SUBSCRIBE_PER_MINUTE = 1
    client, token = page_client()
    statuses = [
        client.post(
            PAGE,
            {
                "how": "voice",
                "phone": f"+1773555010{n}",
                "language": "es",
                "zips": "60623",
                "csrfmiddlewaretoken": token,
            },
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Subscription.objects.count() == 2
    assert (
        post_push(
            {"subscription": push_subscription(), "language": "es", "zips": "60623"},
            client=client,
            token=token,
        ).status_code
        == 429
    )


# --- Web push ---------------------------------------------------------------------------------


def test_push_subscribe_with_a_browsers_subscription(la_villita):
    browser = push_subscription()
    client, token = page_client()
    response = post_push(
        {"subscription": browser, "language": "en", "zips": "60623"}, client=client, token=token
    )
    assert response.status_code == 201, response.content
    assert response.json()["ok"] is True
    subscription = Subscription.objects.get()
    assert (subscription.channel, subscription.status, subscription.language) == (
        Channel.PUSH,
        SubscriptionStatus.ACTIVE,
        "en",
    )
    assert addresses.address_of(subscription) == {
        "endpoint": browser["endpoint"],
        "keys": browser["keys"],
    }
    assert browser["endpoint"] not in everything_stored()
    # The same browser again (another place): updated, not duplicated.
    again = post_push(
        {"subscription": browser, "language": "es", "lat": LAT, "lng": LNG},
        client=client,
        token=token,
    )
    assert again.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.area == {"cell": geo.coarse_cell(float(LAT), float(LNG))}
    # The page's "stop" button (and the service worker) name the endpoint.
    stopped = Client(enforce_csrf_checks=True).post(
        PUSH_STOP, json.dumps({"endpoint": browser["endpoint"]}), content_type="application/json"
    )
    assert stopped.status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.STOPPED


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://evil.example/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1/push",
        "ftp://fcm.googleapis.com/x",
        "https://fcm.googleapis.com/" + "a" * 1100,
    ],
)
def test_push_to_anything_but_an_allowed_push_service_is_refused(la_villita, endpoint):
    browser = {**push_subscription(), "endpoint": endpoint}
    response = post_push({"subscription": browser, "language": "es", "zips": "60623"})
    assert response.status_code == 400
    assert "servicio de notificaciones" in response.json()["error"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "keys",
    [{}, {"p256dh": "AAAA", "auth": "AAAA"}, {"p256dh": b64url(b"\x04" + b"1" * 64), "auth": "!!"}],
)
def test_push_with_unusable_keys_is_refused(la_villita, keys):
    browser = {**push_subscription(), "keys": keys}
    response = post_push({"subscription": browser, "language": "es", "zips": "60623"})
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_push_subscribe_needs_the_pages_csrf_token(la_villita):
    client, _token = page_client()
    response = client.post(
        PUSH,
        json.dumps({"subscription": push_subscription(), "language": "es", "zips": "60623"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_push_subscribe_refuses_a_bad_area_with_a_clear_message(la_villita):
    response = post_push({"subscription": push_subscription(), "language": "es", "zips": "99999"})
    assert response.status_code == 400
    assert "99999" in response.json()["error"]


def test_signing_up_again_after_the_link_expired_sends_a_link_that_works(la_villita):
    post_page({"how": "email", "email": EMAIL, "language": "es", "zips": "60623"})
    later = timezone.now() + timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS, hours=1)
    with freeze_time(later):
        post_page({"how": "email", "email": EMAIL, "language": "es", "zips": "60623"})
        token = link_in(mail.outbox[1])
        assert Client().post(f"/alertas/confirmar/{token}/").status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE


def test_unconfirmed_email_sign_ups_are_forgotten_after_their_days(la_villita):
    post_page({"how": "email", "email": EMAIL, "language": "es", "zips": "60623"})
    assert subscriptions.forget_unconfirmed() == 0
    later = timezone.now() + timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS, hours=1)
    assert subscriptions.forget_unconfirmed(now=later) == 1
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.STOPPED
    assert subscription.address_sealed is None
    assert not SubscriptionCell.objects.exists()


def test_addresses_that_no_longer_work_are_marked_gone_and_wiped(la_villita):
    done = subscriptions.subscribe(
        channel=Channel.PUSH,
        address=push_subscription(),
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    assert subscriptions.mark_gone(subscription_ids=[done.subscription.pk]) == 1
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.GONE
    assert subscription.address_sealed is None
    assert AuditEvent.objects.filter(verb="alerts.subscription_gone").count() == 1


def test_push_with_a_zone_that_is_not_a_code_is_refused(la_villita):
    response = post_push({"subscription": push_subscription(), "language": "es", "zone": "x'--"})
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_nobody_can_quietly_move_a_confirmed_subscription_elsewhere(la_villita):
    """Knowing someone's e-mail or number is not enough to change where their alerts are for:
    a confirmed subscription stays as it is, and no mail or call goes out for the attempt."""
    network_actions.add_area_unit(
        actor=None, committee=la_villita, kind=AreaKind.ZIP, value="60608"
    )
    done = subscriptions.subscribe(
        channel=Channel.EMAIL,
        address=EMAIL,
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    subscriptions.confirm(token=done.confirm_token)
    mail.outbox.clear()
    response = post_page(
        {"how": "email", "email": EMAIL.upper(), "language": "en", "zips": "60608"}
    )
    assert response.status_code == 302  # the same answer as for anyone: nothing to learn
    kept = Subscription.objects.get()
    assert (kept.status, kept.language, kept.area) == ("active", "es", {"zips": ["60623"]})
    assert mail.outbox == []
    # The same for a phone number typed on the web.
    call = subscriptions.subscribe(
        channel=Channel.VOICE,
        address="+17735550123",  # PHONE, as the form keeps it
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    Subscription.objects.filter(pk=call.subscription.pk).update(status=SubscriptionStatus.ACTIVE)
    post_page({"how": "voice", "phone": PHONE, "language": "en", "zips": "60608"})
    voice = Subscription.objects.get(channel=Channel.VOICE)
    assert (voice.language, voice.area) == ("es", {"zips": ["60623"]})


def test_deeply_nested_json_is_a_clear_400_on_both_push_endpoints(la_villita):
    client, token = page_client()
    body = "[" * 5000
    for path in (PUSH, PUSH_STOP):
        response = client.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 400, path
    assert not Subscription.objects.exists()


def test_where_someone_asked_for_alerts_is_not_kept_in_the_audit_log(la_villita):
    post_page({"how": "voice", "phone": PHONE, "language": "es", "zips": "60623"})
    subscription = Subscription.objects.get()
    assert subscriptions.stop_address(channel=Channel.SMS, address="+17735550123")
    events = AuditEvent.objects.filter(verb__startswith="alerts.subscri")
    assert events.count() == 2  # subscribed, stopped
    for event in events:
        assert "60623" not in json.dumps([event.before, event.after])
    assert Subscription.objects.get(pk=subscription.pk).area == {}


PUSH_RENEW = "/alertas/suscribirse/push/renovar/"


def test_a_browser_that_replaces_its_push_subscription_keeps_its_alerts(la_villita):
    """What the service worker posts on `pushsubscriptionchange`: the old endpoint as proof,
    the new subscription; the area and language move to it (no CSRF token, no session)."""
    old, new = push_subscription(), push_subscription()
    assert post_push({"subscription": old, "language": "es", "zips": "60623"}).status_code == 201
    worker = Client(enforce_csrf_checks=True)

    def renew(body: dict):
        return worker.post(PUSH_RENEW, json.dumps(body), content_type="application/json")

    assert renew({"old_endpoint": old["endpoint"], "subscription": new}).status_code == 200
    moved = Subscription.objects.get()
    assert (moved.status, moved.language, moved.area) == ("active", "es", {"zips": ["60623"]})
    assert addresses.address_of(moved)["endpoint"] == new["endpoint"]
    assert AuditEvent.objects.filter(verb="alerts.subscription_renewed").count() == 1
    # The old endpoint proves nothing any more; unknown or unusable ones change nothing.
    third = push_subscription()
    assert renew({"old_endpoint": old["endpoint"], "subscription": third}).status_code == 404
    bad_keys = {**third, "keys": {"p256dh": "AAAA", "auth": "AAAA"}}
    assert renew({"old_endpoint": new["endpoint"], "subscription": bad_keys}).status_code == 400
    elsewhere = push_subscription(host="push.example.net")
    assert renew({"old_endpoint": new["endpoint"], "subscription": elsewhere}).status_code == 400
    assert renew({"old_endpoint": 5, "subscription": None}).status_code == 400
    assert worker.post(PUSH_RENEW, "[" * 5000, content_type="application/json").status_code == 400
    still = Subscription.objects.get()
    assert addresses.address_of(still)["endpoint"] == new["endpoint"]


def test_the_service_worker_renews_before_it_stops(la_villita):
    script = Client().get("/sw.js").content.decode()
    assert "pushsubscriptionchange" in script
    assert script.index(PUSH_RENEW) < script.index("/alertas/baja/push/", script.index(PUSH_RENEW))
