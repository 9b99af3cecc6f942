"""In Debian's chromium: a neighbour opens the facts page of Galveston County, Texas (eleven
287(g) agreements of all three models in ICE's May 2026 list), imported from the real
workbooks. It renders in Spanish with its chart and its map, names its sources, and nothing
is requested from anywhere but this server; then the same in English."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from defensa.campaigns.tests import facts_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_page_renders_in_spanish_with_chart_and_map_and_stays_local(
    live_server, browser: Browser
) -> None:
    facts_world.import_all()
    # The live server listens on localhost; address it by the loopback IP itself, so that
    # "every request went to 127.0.0.1" is checked literally.
    base = live_server.url.replace("://localhost:", "://127.0.0.1:")
    server = urlsplit(base)
    assert server.hostname == "127.0.0.1"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    page.goto(f"{base}/datos/TX/48167/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Galveston County, Texas")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Acuerdos 287(g) a lo largo del tiempo")
    ).to_be_visible()
    chart = page.get_by_role("img", name="Acuerdos 287(g) en Galveston County en cada lista")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300  # type: ignore[index]
    expect(chart.locator("g.point")).to_have_count(9)  # three lists, three models
    shape = page.get_by_role("img", name="Mapa de Galveston County en Texas")
    expect(shape).to_be_visible()
    expect(shape.locator("path.this")).to_be_visible()
    expect(page.get_by_text("18 de mayo de 2026").first).to_be_visible()
    for source in (
        "participatingAgencies05182026am.xlsx",
        "participatingAgencies-20250221214937.xlsx",
        "ice-offices.xlsx",
        "FY25_detentionStats09112025.xlsx",
    ):
        expect(page.locator("cite", has_text=source).first).to_be_visible()
    expect(page.get_by_text("us-atlas 3.0.1, counties-10m.json").first).to_be_visible()
    expect(page.get_by_role("heading", name="Oficinas de ICE más cercanas")).to_be_visible()
    moa = page.get_by_role("link", name="Leer el acuerdo").first
    expect(moa).to_have_attribute("rel", "noopener noreferrer")
    # Nothing on the page is wider than the phone's screen but the (scalable) drawings.
    assert page.evaluate("document.documentElement.scrollWidth") <= 420

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="287(g) agreements over time")).to_be_visible()
    expect(page.get_by_role("img", name="Map of Galveston County in Texas")).to_be_visible()

    assert requested, "the page made requests"
    elsewhere = [url for url in requested if urlsplit(url).netloc != server.netloc]
    assert elsewhere == []
    assert refused == []
    context.close()
