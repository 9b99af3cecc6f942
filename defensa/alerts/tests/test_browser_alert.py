"""In Debian's chromium, end to end: a neighbor on a phone subscribes this browser by ZIP code in
Spanish, a dispatcher composes an alert from a verified incident and a second one approves it,
the delivery workers send it through the web-push transport to a local push service, the site's
service worker shows what that push service received (handed to it through the browser's
DevTools protocol), and the notification's link opens the verify page, which confirms the
signature.

Two stand-ins, both because a test may reach nothing but this machine: the browser's push
registration (`PushManager.subscribe` asks the browser vendor's push service for an endpoint)
answers with a subscription whose keys are those of the local fake push service, and the
endpoint sealed for that subscription is then pointed at the fake (a sign-up accepts only
https endpoints on the listed push services; the fake speaks plain HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from defensa.alerts import addresses, compose
from defensa.alerts.models import (
    Alert,
    AlertStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    Reached,
    Subscription,
    SubscriptionStatus,
)
from defensa.alerts.tests import delivery_fakes
from defensa.alerts.tests.test_compose import cast, verified
from defensa.network.models import AreaKind
from defensa.shifts.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 360, "height": 640}
SUBSCRIBER = 7  # the fake push service's subscriber number this browser plays
# What a browser vendor's push service would hand out (the host is one it may post to).
VENDOR = "https://fcm.googleapis.com"

# The page's own script runs; only the browser's registration with its vendor is answered here,
# with the keys the fake push service decrypts with. It records the key the page passed.
FAKE_REGISTRATION = """
(subscription) => {
  const made = {endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys};
  PushManager.prototype.getSubscription = async function () { return null; };
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    let text = "";
    for (const byte of key) { text += String.fromCharCode(byte); }
    window.__applicationServerKey = btoa(text).replace(/\\+/g, "-").replace(/\\//g, "_")
      .replace(/=+$/, "");
    return {endpoint: made.endpoint, toJSON: () => made, unsubscribe: async () => true};
  };
}
"""

SHOWN = """
async () => {
  const reg = await navigator.serviceWorker.ready;
  for (let i = 0; i < 50; i++) {
    const list = await reg.getNotifications();
    if (list.length) {
      return list.map((n) => ({title: n.title, body: n.body, lang: n.lang, tag: n.tag,
                               url: n.data && n.data.url}));
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return [];
}
"""


# What sticks out of a phone's screen (elements past its right edge, named for the message).
WIDER_THAN_SCREEN = """
(width) => document.documentElement.scrollWidth <= width ? [] :
  [...document.querySelectorAll("main *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} to `
                + `${Math.round(e.getBoundingClientRect().right)}px: `
                + (e.textContent || "").trim().slice(0, 40))
"""


def too_wide(page: Page) -> list[str]:
    return list(page.evaluate(WIDER_THAN_SCREEN, PHONE["width"]))


def spanish_phone(browser: Browser, base: str, away: list[str]) -> BrowserContext:
    """A phone-sized context in Spanish that may show this site's notifications; every request
    it makes off the test's own server is kept in `away` (and refused)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-US")
    context.grant_permissions(["notifications"], origin=base)
    stay_home(context, base, away)
    return context


def stay_home(context: BrowserContext, base: str, away: list[str]) -> None:
    def route(route: Route) -> None:
        if route.request.url.startswith(f"{base}/"):
            route.continue_()
        else:
            away.append(route.request.url)
            route.abort()

    context.route("**/*", route)


class DevTools:
    """The browser's DevTools protocol on a page: its service workers, and pushing to them."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.session = context.new_cdp_session(page)
        self.registrations: list[dict[str, Any]] = []
        self.session.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: self.registrations.extend(event["registrations"]),
        )
        self.session.send("ServiceWorker.enable")

    def registration(self, scope: str) -> str:
        live = [r for r in self.registrations if r["scopeURL"] == scope and not r["isDeleted"]]
        assert live, self.registrations
        return str(live[-1]["registrationId"])

    def push(self, *, origin: str, scope: str, data: str) -> None:
        self.session.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": self.registration(scope), "data": data},
        )


def run_queued_tasks() -> None:
    """What the project's worker does (`manage.py run`), until the queue is empty."""
    if settings.TASKS_BACKEND == "rq":
        call_command(
            "rqworker",
            "--burst",
            "--worker-class",
            "rq.SimpleWorker",
            "--job-class",
            "django_tasks_rq.Job",
            "default",
        )
    else:
        call_command("db_worker", "--batch", "--no-startup-delay")


def test_a_spanish_neighbor_subscribed_by_zip_gets_a_signed_alert_as_a_notification(
    live_server, browser: Browser
) -> None:
    base = live_server.url
    c = cast()
    item = verified(c.tavo)
    push_subscription = delivery_fakes.subscription(SUBSCRIBER, url=VENDOR)
    away: list[str] = []
    with (
        delivery_fakes.push_service() as push,
        override_settings(
            DEFENSA_PUBLIC_URL=base, DEFENSA_PUSH_SERVICE_HOSTS=["fcm.googleapis.com", "127.0.0.1"]
        ),
    ):
        # 1. The neighbor, on a phone in Spanish, asks for alerts in this browser for 60608.
        phone_context = spanish_phone(browser, base, away)
        phone_context.add_init_script(f"({FAKE_REGISTRATION})({json.dumps(push_subscription)})")
        phone = phone_context.new_page()
        phone.goto(f"{base}/alertas/suscribirse/")
        devtools = DevTools(phone_context, phone)
        expect(phone.get_by_role("heading", name="Recibir alertas verificadas")).to_be_visible()
        assert not (wide := too_wide(phone)), "\n".join(wide)
        expect(phone.get_by_label("Idioma de las alertas")).to_have_value("es")
        phone.get_by_label("Códigos postales").fill("60608")
        phone.get_by_role("button", name="Mostrar alertas en este navegador").click()
        expect(phone.locator("#subscribe-status")).to_have_text(
            "Listo: este navegador mostrará las alertas verificadas del lugar que eligió."
        )
        subscription = Subscription.objects.get()
        assert (
            subscription.channel,
            subscription.status,
            subscription.language,
            subscription.committee,
        ) == (Channel.PUSH, SubscriptionStatus.ACTIVE, "es", c.pilsen)
        assert subscription.area == {"zips": ["60608"]}
        assert set(subscription.cells.values_list("cell", flat=True)) == compose.unit_cells(
            AreaKind.ZIP, "60608"
        )
        assert addresses.address_of(subscription) == push_subscription
        assert phone.evaluate("window.__applicationServerKey") == phone.locator(
            "#subscribe-form"
        ).get_attribute("data-push-key")
        # The page registered the site's service worker, for the whole site.
        scope = phone.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
        assert scope == f"{base}/"
        # The push service this browser named is played by the local fake (same keys).
        addresses.seal(subscription, push.subscription(SUBSCRIBER))
        subscription.save(update_fields=["address_index", "address_sealed"])

        # 2. Paty composes from the verified incident; Rosa, a second dispatcher, approves.
        desk = browser.new_context(locale="es-US")
        stay_home(desk, base, away)
        paty = desk.new_page()
        sign_in(paty, base, c.paty)
        paty.goto(f"{base}/staff/c/{c.pilsen.code}/incidents/{item.code}/")
        paty.get_by_role("button", name="Redactar la alerta").click()
        paty.wait_for_url(re.compile(r"/alerts/[0-9a-f-]{36}/$"))
        alert = Alert.objects.get()
        assert alert.status == AlertStatus.DRAFT
        assert alert.composed_by == c.paty
        expect(paty.locator("#approve-form")).to_have_count(0)  # never the composer

        other_desk = browser.new_context(locale="es-US")
        stay_home(other_desk, base, away)
        rosa = other_desk.new_page()
        sign_in(rosa, base, c.rosa)
        rosa.goto(f"{base}/staff/c/{c.pilsen.code}/alerts/{alert.code}/")
        rosa.get_by_role("button", name="Aprobar, firmar y enviar").click()
        expect(rosa.locator("#alert-state")).to_have_text(re.compile("Enviándose|Aprobada"))
        alert.refresh_from_db()
        assert alert.approved_by == c.rosa
        assert alert.signature
        assert alert.key_id
        batches = list(Delivery.objects.filter(alert=alert))
        assert [(b.channel, b.subscriptions) for b in batches] == [
            (Channel.PUSH, [subscription.pk])
        ]

        # 3. The workers run the queued batch: web push, encrypted for this browser's keys.
        run_queued_tasks()
        assert Delivery.objects.get().status == DeliveryStatus.SENT
        assert Reached.objects.filter(alert=alert, subscription=subscription).count() == 1
        assert push.state.problems == []
        assert push.counts == {SUBSCRIBER: 1}
        [received] = push.state.payloads[SUBSCRIBER]
        alert.refresh_from_db()
        assert alert.status == AlertStatus.SENT

    # 4. What the push service holds reaches the service worker, through DevTools.
    code = alert.verify_code
    assert received["url"] == f"{base}/alertas/v/{code}/"
    assert received["body"] == alert.texts["es"]["push"]
    assert received["lang"] == "es"
    devtools.push(origin=base, scope=scope, data=json.dumps(received, ensure_ascii=False))
    [shown] = phone.evaluate(SHOWN)
    assert shown["title"] == "Actividad confirmada"
    assert shown["body"] == alert.texts["es"]["push"]
    assert compose.carries_code(Channel.PUSH, shown["body"], code)
    assert shown["lang"] == "es"
    assert shown["url"] == f"{base}/alertas/v/{code}/"

    # 5. The notification's link: the verify page says the signature checks out.
    phone.goto(shown["url"])
    verdict = phone.locator("#verdict")
    expect(verdict).to_have_attribute("data-state", "current")
    expect(verdict).to_contain_text("Esta alerta es real y está vigente.")
    expect(phone.locator("main")).to_contain_text(alert.key_id)
    assert not (wide := too_wide(phone)), "\n".join(wide)  # the long link wraps on a phone
    # What the page says can be checked without it: the signed snapshot it links, against the
    # key published at the well-known address, whose fingerprint the page shows.
    signed, keys = phone.evaluate(
        """async (urls) => Promise.all(urls.map((u) => fetch(u).then((r) => r.json())))""",
        [f"{base}/alertas/v/{code}/firma.json", f"{base}/.well-known/defensa-signing-keys.json"],
    )
    [key] = [k for k in keys["keys"] if k["id"] == signed["key_id"]]
    raw_key = base64.b64decode(key["public_key"])
    Ed25519PublicKey.from_public_bytes(raw_key).verify(
        base64.b64decode(signed["signature"]), signed["snapshot"].encode()
    )
    assert json.loads(signed["snapshot"])["texts"]["es"]["push"] == shown["body"]
    digest = hashlib.sha256(raw_key).hexdigest().upper()
    fingerprint = " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))
    expect(phone.locator("main")).to_contain_text(fingerprint)
    assert away == []
