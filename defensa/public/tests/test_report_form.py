"""The public report form: works without JavaScript, keeps what people write, refuses what
cannot be right, and holds up under a flood without identifying anyone."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings
from PIL import Image

from defensa import testing
from defensa.core import pow as proof
from defensa.hotline import actions as hotline
from defensa.hotline.models import Report, ReportMedia, RoutedBy
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilsen():
    committee = testing.committee("Comité de Pilsen")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    return committee


def send(client: Client, **fields) -> Any:
    page = client.get("/reportar/")
    challenge = page.context["challenge"]
    data = {"what": "Tres agentes de ICE", "when": "now", "pow_challenge": challenge, **fields}
    return client.post("/reportar/", data)


def test_form_works_without_javascript_and_routes_by_zip(pilsen) -> None:
    client = Client()
    page = client.get("/reportar/")
    assert page.status_code == 200
    assert "Reporte lo que ve" in page.content.decode()
    response = send(
        client,
        what="Tres agentes de ICE arrestando a un señor",
        where="Calle 18 y Blue Island",
        zip_code="60608",
        agency="ice",
        how_many="3",
        callback="(312) 555-0142",
    )
    assert response.status_code == 302
    assert response["Location"] == "/reportar/recibido/"
    report = Report.objects.get()
    assert (report.committee, report.routed_by, report.channel) == (pilsen, RoutedBy.AREA, "web")
    assert (report.agency, report.size, report.activity) == ("ice", 3, "arrest")
    assert report.observed_at is not None
    assert hotline.callback_of(report) == "+13125550142"
    assert hotline.read_content(report)["place"] == "Calle 18 y Blue Island"
    assert not client.cookies.get("sessionid")  # no session for anonymous reporters


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"zip_code": "6060a"}, "Un código postal tiene cinco dígitos."),
        ({"callback": "llámame"}, "No es un número de teléfono."),
        ({"what": "x" * 4001}, "4000"),
        ({"what": ""}, "obligatorio"),
        ({"lat": "41.85"}, "incompleto"),
        ({"lat": "141.0", "lng": "-87.6"}, "90"),
    ],
    ids=["zip", "callback", "too-long", "empty", "half-a-point", "impossible-point"],
)
def test_what_cannot_be_right_is_refused_clearly_and_nothing_is_written(pilsen, fields, message):
    response = send(Client(), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_hostile_text_is_kept_with_direction_overrides_neutralized(pilsen) -> None:
    send(Client(), what="Agentes \u202eAMGIM\u202c en la 18 👩🏽\u200d🌾 e\u0301\x00")
    said = hotline.read_content(Report.objects.get())["parts"][0]["text"]
    assert said == "Agentes <U+202E>AMGIM<U+202C> en la 18 👩🏽\u200d🌾 e\u0301"


def test_a_photo_is_kept_cleaned(pilsen) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 120, 0)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "foto.jpg"
    client = Client()
    challenge = client.get("/reportar/").context["challenge"]
    response = client.post(
        "/reportar/",
        {"what": "camioneta", "when": "now", "pow_challenge": challenge, "attachment": buffer},
    )
    assert response["Location"] == "/reportar/recibido/"
    assert ReportMedia.objects.get().kind == "photo"


def test_a_refused_file_still_keeps_the_report(pilsen) -> None:
    upload = io.BytesIO(b"<html>not a photo</html>")
    upload.name = "foto.jpg"
    client = Client()
    challenge = client.get("/reportar/").context["challenge"]
    response = client.post(
        "/reportar/",
        {"what": "algo", "when": "now", "pow_challenge": challenge, "attachment": upload},
    )
    assert response["Location"] == "/reportar/recibido/?file=refused"
    assert Report.objects.count() == 1
    assert "No se pudo aceptar" in client.get(response["Location"]).content.decode()


def test_too_large_a_body_is_refused_before_it_is_read(pilsen) -> None:
    response = Client().post(
        "/reportar/",
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(40 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert not Report.objects.exists()


@override_settings(DEFENSA_REPORT_BURST=3, DEFENSA_REPORT_PER_MINUTE=1)
def test_each_connection_gets_a_few_reports_then_a_clear_429(pilsen) -> None:
    flooder = Client(REMOTE_ADDR="127.0.0.66")
    statuses = [send(flooder, what=f"junk {i}").status_code for i in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert "Demasiados reportes" in send(flooder).content.decode()
    assert send(Client(REMOTE_ADDR="127.0.0.67")).status_code == 302


@override_settings(DEFENSA_POW_LEVELS=[(0, 8)])
def test_under_load_the_form_asks_for_proof_of_work_used_once(pilsen) -> None:
    client = Client()
    challenge = client.get("/reportar/").context["challenge"]
    base = {"what": "migra", "when": "now", "pow_challenge": challenge}
    assert client.post("/reportar/", base).status_code == 429  # no work done
    nonce = proof.solve(challenge)
    assert client.post("/reportar/", {**base, "pow_nonce": nonce}).status_code == 302
    assert client.post("/reportar/", {**base, "pow_nonce": nonce}).status_code == 429  # replay
    assert Report.objects.count() == 1


@override_settings(DEFENSA_POW_LEVELS=[(0, 30)], DEFENSA_REPORT_BURST=1)
def test_trusted_reporters_skip_the_work_and_the_limits(pilsen) -> None:
    token = hotline.issue_trusted_token(actor=None, committee=pilsen, label="Iglesia San Pío")
    client = Client()
    assert f'value="{token}"' in client.get(f"/reportar/?t={token}").content.decode()
    for _ in range(3):
        assert send(client, t=token).status_code == 302
    assert all(r.trusted for r in Report.objects.all())
    revoked = hotline.trusted(token)
    assert revoked is not None
    hotline.revoke_trusted_token(actor=None, token=revoked)
    assert send(client, t=token).status_code == 429


def test_map_tiles_are_off_unless_configured_and_then_allowed_by_the_policy(pilsen) -> None:
    page = Client().get("/reportar/")
    assert "leaflet" not in page.content.decode()
    assert "tiles.example.org" not in page["Content-Security-Policy"]
    with override_settings(DEFENSA_MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png"):
        page = Client().get("/reportar/")
    assert "js_lib_leaflet/leaflet.js" in page.content.decode()
    assert "https://tiles.example.org" in page["Content-Security-Policy"]


# --- Places -----------------------------------------------------------------------------------


class FakeNominatim:
    def __init__(self, answer: list[dict]) -> None:
        self.answer = answer
        self.queries: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.queries.append(self.path)
                body = json.dumps(outer.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_geocoder_places_the_report_and_moves_it_to_the_right_committee(pilsen) -> None:
    aurora = testing.committee("Comité de Aurora")
    network_actions.add_area_unit(actor=None, committee=aurora, kind=AreaKind.COUNTY, value="08005")
    fake = FakeNominatim([{"lat": "39.72943", "lon": "-104.83192"}])
    try:
        with override_settings(DEFENSA_GEOCODER_URL=fake.url):
            send(Client(), what="agentes", where="Colfax y Havana, Aurora")
            report = Report.objects.get()
            assert report.routed_by == RoutedBy.DEFAULT
            hotline.locate(report=report)
    finally:
        fake.close()
    report.refresh_from_db()
    assert report.committee == aurora
    assert hotline.read_content(report)["point"] == [39.72943, -104.83192]
    assert "Colfax" in fake.queries[0]


def test_without_a_geocoder_the_zip_centre_is_used(pilsen) -> None:
    report = hotline.receive_report(
        hotline.Incoming(channel="web", language="es", text="x", zip_code="60608")
    )
    assert report.cell  # placed by the ZIP centre at intake
    other = hotline.receive_report(
        hotline.Incoming(channel="web", language="es", text="y", place="la 18")
    )
    hotline.locate(report=other)
    other.refresh_from_db()
    assert hotline.read_content(other)["point"] is None  # nothing to go on: nothing invented


def test_a_reporter_s_phone_keeps_no_lasting_cookie(pilsen) -> None:
    client = Client()
    page = client.get("/reportar/")
    cookie = page.cookies.get("csrftoken")
    assert cookie is not None
    assert not cookie["expires"]
    assert not cookie["max-age"]
    send(client)
    assert "sessionid" not in client.cookies


def test_a_site_without_committees_says_so_instead_of_failing() -> None:
    response = send(Client())
    assert response.status_code == 503
    assert "todavía no recibe reportes" in response.content.decode()
    assert not Report.objects.exists()
