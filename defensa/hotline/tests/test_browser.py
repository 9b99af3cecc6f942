"""In Debian's chromium: a neighbor reports in Spanish from a phone-sized screen, and the
report appears by itself in the inbox a dispatcher of that committee has open."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from defensa import testing
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role
from defensa.shifts.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_spanish_report_from_a_phone_reaches_the_dispatchers_inbox(
    live_server, browser: Browser
) -> None:
    committee = testing.committee("Comité de Defensa de Pilsen")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    elsewhere = testing.committee("Comité de Aurora")
    dispatcher = testing.member(committee, roles=[Role.DISPATCHER], username="paty")
    other = testing.member(elsewhere, roles=[Role.DISPATCHER], username="otra")
    base = live_server.url

    inbox = browser.new_context().new_page()
    sign_in(inbox, base, dispatcher)
    inbox.goto(f"{base}/staff/c/{committee.code}/reports/")
    expect(inbox.get_by_text("Todavía no hay reportes.")).to_be_visible()

    phone = browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()
    phone.goto(f"{base}/reportar/")
    expect(phone.get_by_role("heading", name="Reporte lo que ve")).to_be_visible()
    # Nothing on the page is wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("¿Qué vio?").fill(
        "Tres agentes de ICE deteniendo a un señor afuera de la panadería 👮🏽‍♂️"
    )
    phone.get_by_label("¿Dónde? (calle, esquina, negocio, lugar conocido)").fill(
        "Calle 18 y Loomis"
    )
    phone.get_by_label("Código postal").fill("60608")
    phone.get_by_label("¿Cuándo?").select_option("now")
    sent_at = time.monotonic()
    phone.get_by_role("button", name="Enviar reporte").click()
    expect(phone.get_by_text("Gracias. Recibimos su reporte.")).to_be_visible()

    # No reload: the open inbox asks every second and shows the new report.
    row = inbox.locator("#inbox li.report").first
    expect(row).to_contain_text("Tres agentes de ICE deteniendo", timeout=5000)
    expect(row).to_contain_text("Arresto")
    expect(row).to_contain_text("60608")
    seen_after = time.monotonic() - sent_at
    assert seen_after < 5, f"took {seen_after:.1f} s"
    row.get_by_role("link").click()
    expect(inbox.get_by_text("Calle 18 y Loomis")).to_be_visible()

    # A dispatcher of another committee does not see it.
    outsider = browser.new_context().new_page()
    sign_in(outsider, base, other)
    outsider.goto(f"{base}/staff/c/{elsewhere.code}/reports/")
    expect(outsider.get_by_text("Todavía no hay reportes.")).to_be_visible()
    response = outsider.goto(f"{base}/staff/c/{committee.code}/reports/")
    assert response is not None
    assert response.status == 404
