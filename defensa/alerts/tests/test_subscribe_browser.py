"""In Debian's chromium, on a phone-sized screen: a neighbor subscribes by ZIP code in Spanish
without JavaScript doing anything for it, and the site's service worker shows a pushed alert
(delivered through the browser's DevTools protocol) with a link to its verify page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, expect

from defensa import testing
from defensa.alerts.models import Channel, Subscription, SubscriptionStatus
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_neighbor_subscribes_by_zip_in_spanish_and_the_worker_shows_an_alert(
    live_server, browser: Browser
) -> None:
    committee = testing.committee("Comité de La Villita")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60623")
    base = live_server.url
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="es-US"
    )
    context.grant_permissions(["notifications"], origin=base)
    phone = context.new_page()
    phone.goto(f"{base}/alertas/suscribirse/")
    expect(phone.get_by_role("heading", name="Recibir alertas verificadas")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("Por llamada telefónica (se lee la alerta en voz alta)").check()
    phone.get_by_label("Número de teléfono para la llamada").fill("773 555 0123")
    phone.get_by_label("Códigos postales").fill("60623")
    phone.get_by_role("button", name="Suscribirse").click()
    expect(phone.get_by_role("heading", name="Llamaremos para confirmar")).to_be_visible()
    expect(phone.get_by_text("Quien conteste debe marcar 1 para aceptar")).to_be_visible()
    subscription = Subscription.objects.get()
    assert (subscription.channel, subscription.status, subscription.language) == (
        Channel.VOICE,
        SubscriptionStatus.PENDING,  # until that phone answers the call and presses 1
        "es",
    )

    # The service worker, from the site's root, shows what a push service would deliver.
    phone.goto(f"{base}/alertas/suscribirse/")
    session = context.new_cdp_session(phone)
    registrations: list[dict] = []
    session.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    session.send("ServiceWorker.enable")
    scope = phone.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.register("/sw.js", {scope: "/"});
          await navigator.serviceWorker.ready;
          return reg.scope;
        }"""
    )
    assert scope == f"{base}/"
    found = [r for r in registrations if r["scopeURL"] == scope and not r["isDeleted"]]
    assert found
    alert = {
        "title": "Actividad confirmada",
        "body": "ALERTA Comité de La Villita: agentes de ICE en el código postal 60623.",
        "url": f"{base}/alertas/v/K7P2QX/",
        "tag": "abc",
        "lang": "es",
    }
    session.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": base, "registrationId": found[0]["registrationId"], "data": json.dumps(alert)},
    )
    shown = phone.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.ready;
          for (let i = 0; i < 50; i++) {
            const list = await reg.getNotifications();
            if (list.length) {
              return {title: list[0].title, body: list[0].body, url: list[0].data.url};
            }
            await new Promise((done) => setTimeout(done, 100));
          }
          return null;
        }"""
    )
    assert shown == {"title": alert["title"], "body": alert["body"], "url": alert["url"]}
