"""In Debian's chromium: with map tiles configured, the report form shows a Leaflet map (from
its PyPI package), a tap drops a pin, and the report keeps that point (sealed)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from defensa import testing
from defensa.hotline import actions
from defensa.hotline.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tiles() -> Iterator[str]:
    """A local tile server: the same small PNG for every tile, and a count of requests."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (220, 230, 220)).save(buffer, format="PNG")
    png = buffer.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        server.server_close()


def test_a_tap_on_the_map_pins_the_report(live_server, browser: Browser, settings, tiles) -> None:
    testing.committee("Comité de Defensa")
    settings.DEFENSA_MAP_TILE_URL = tiles
    settings.DEFENSA_MAP_ATTRIBUTION = "Mapa de prueba"
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{live_server.url}/reportar/")
    box = page.locator("#report-map")
    expect(box).to_be_visible()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    expect(page.get_by_text("Mapa de prueba")).to_be_visible()
    box.click()
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    lat = float(page.locator('input[name="lat"]').input_value())
    lng = float(page.locator('input[name="lng"]').input_value())
    page.get_by_label("¿Qué vio?").fill("Camionetas de ICE aquí")
    page.get_by_role("button", name="Enviar reporte").click()
    expect(page.get_by_text("Gracias. Recibimos su reporte.")).to_be_visible()
    point = actions.read_content(Report.objects.get())["point"]
    assert point == [round(lat, 5), round(lng, 5)]
    assert blocked == []  # tiles and Leaflet's own files pass the page's policy
