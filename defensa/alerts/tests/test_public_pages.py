"""The public verified-alerts pages, in Spanish and English, without JavaScript: the list with
its server-drawn map, the page that checks a code, and what the signature is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from defensa.alerts import actions, compose, verify, voice
from defensa.alerts.models import AlertKind
from defensa.alerts.tests.test_compose import Cast, approved, cast, draft, verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> Cast:
    return cast()


def visitor(language: str = "es") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def no_third_party_requests(html: str) -> None:
    """Nothing the page loads comes from elsewhere, and nothing needs a script."""
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        if src.startswith(("http://", "https://", "//")):
            assert src.startswith("http://127.0.0.1:8000/"), src  # our own public links
    assert "<script" not in re.sub(r'<script src="/static/[^"]+"[^>]*></script>', "", html)
    assert 'style="' not in html


def test_the_list_shows_current_alerts_and_their_map_in_spanish(c) -> None:
    with translation.override("en"):
        alert = approved(c)
    response = visitor("es").get("/alertas/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Cache-Control"].startswith("private")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert f'href="#alert-{alert.verify_code}"' in html
    assert compose.shown_code(alert.verify_code) in html
    assert verify.listed_keys()[0].fingerprint in html
    page = response.context["cards"][0]
    assert page["headline"] == verify.signed(alert)["headlines"]["es"]  # type: ignore[index]
    no_third_party_requests(html)


def test_the_list_reads_in_english_when_asked(c) -> None:
    with translation.override("en"):
        approved(c)
    html = visitor("en").get("/alertas/").content.decode()
    assert "Verified: arrests by ICE in ZIP code 60608" in html
    assert "ZIP code 60608" in html


def test_an_empty_list_says_so_and_draws_no_map(c) -> None:
    with translation.override("en"):
        draft(c)  # drafts are never public
    response = visitor("en").get("/alertas/")
    assert response.context["cards"] == []
    assert response.context["map"] is None
    assert 'id="no-alerts"' in response.content.decode()


def test_expired_and_corrected_alerts_leave_the_list(c) -> None:
    with translation.override("en"):
        item = verified(c.tavo)
        old = approved(c, item, expires_in=timedelta(hours=1))
        corrected = approved(c, item)
        correction = actions.approve(
            actor=c.rosa,
            alert=actions.correct(actor=c.paty, alert=corrected, kind=AlertKind.ALL_CLEAR),
        )
    actions.expire_due(at=timezone.now() + timedelta(hours=2))
    html = visitor("en").get("/alertas/").content.decode()
    assert f"alert-{old.verify_code}" not in html
    assert f'id="alert-{corrected.verify_code}"' not in html
    assert f'id="alert-{correction.verify_code}"' in html
    # The correction names and links the alert it corrects.
    assert f'href="/alertas/v/{corrected.verify_code}/"' in html


def test_the_verify_page_says_current_expired_corrected_or_unknown(c) -> None:
    with translation.override("en"):
        item = verified(c.tavo)
        current = approved(c, item)
        corrected = approved(c, item)
        correction = actions.approve(
            actor=c.rosa,
            alert=actions.correct(actor=c.paty, alert=corrected, kind=AlertKind.FALSE_ALARM),
        )
    client = visitor("en")
    page = client.get(f"/alertas/v/{current.verify_code}/")
    assert (page.status_code, page.context["result"].state) == (200, verify.State.CURRENT)
    assert 'data-state="current"' in page.content.decode()
    assert current.texts["en"]["sms"].split(" Check it")[0] in page.content.decode()
    page = client.get(f"/alertas/v/{corrected.verify_code}/")
    assert 'data-state="corrected"' in page.content.decode()
    assert f'href="/alertas/v/{correction.verify_code}/"' in page.content.decode()
    page = client.get("/alertas/v/ZZZZZZZZ/")
    assert page.status_code == 404
    assert 'data-state="unknown"' in page.content.decode()
    no_third_party_requests(page.content.decode())


def test_a_code_typed_with_a_dash_or_lower_case_finds_its_alert(c) -> None:
    with translation.override("en"):
        alert = approved(c)
    client = visitor("es")
    typed = compose.shown_code(alert.verify_code).lower()
    response = client.get("/alertas/v/", {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/alertas/v/{alert.verify_code}/"
    response = client.get(f"/alertas/v/{compose.shown_code(alert.verify_code)}/")
    assert response["Location"] == f"/alertas/v/{alert.verify_code}/"
    malformed = client.get("/alertas/v/", {"code": "hola"})
    assert malformed.status_code == 404
    assert 'data-state="malformed"' in malformed.content.decode()
    assert client.get("/alertas/v/").status_code == 200


def test_the_signed_snapshot_is_published_for_authentic_codes_only(c) -> None:
    with translation.override("en"):
        alert = approved(c)
        other = draft(c, alert.incident)
    client = visitor("es")
    body = client.get(f"/alertas/v/{alert.verify_code}/firma.json").json()
    assert body["snapshot"] == alert.snapshot
    assert body["algorithm"] == "Ed25519"
    assert body["state"] == "current"
    assert client.get(f"/alertas/v/{other.verify_code}/firma.json").status_code == 404


def test_the_about_page_shows_every_key_with_its_fingerprint(c) -> None:
    html = visitor("en").get("/alertas/acerca/").content.decode()
    for key in verify.listed_keys():
        assert key.fingerprint in html
        assert key.base64 in html
    assert "/.well-known/defensa-signing-keys.json" in html
    no_third_party_requests(html)


def test_the_phone_menu_reads_the_current_alerts_of_a_zip_code(c) -> None:
    with translation.override("en"):
        alert = approved(c)
    spoken = voice.verified_alerts_for_zip("60608", "en")
    assert spoken == [alert.texts["en"]["voice"]]
    assert voice.verified_alerts_for_zip("60608", "fr") == [alert.texts["es"]["voice"]]
    assert voice.verified_alerts_for_zip("80012", "es") == []  # Aurora, far away
    assert voice.verified_alerts_for_zip("nope", "es") == []
