"""In a real browser (Debian's chromium): a coordinator signs in with a TOTP code, switches
between Spanish and English and sees the committee home; an outsider cannot.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from defensa import testing
from defensa.network.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def code_for(secret: str) -> str:
    return testing.totp_code(secret)


def sign_in(page: Page, base: str, username: str, secret: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Entrar", exact=True).click()
    page.fill('input[name="login"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main").get_by_role("button", name="Entrar", exact=True).click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill('input[name="code"]', testing.totp_code(secret))
    page.locator('main button[type="submit"]').first.click()
    page.wait_for_url("**/staff/")


def test_coordinator_signs_in_with_totp_and_reads_the_committee_in_both_languages(
    live_server, page: Page, tmp_path: Path
) -> None:
    committee = testing.committee("Comité de Defensa de Pilsen")
    coordinator = testing.member(
        committee, roles=[Role.COORDINATOR], name="Doña Chela", username="chela"
    )
    testing.member(committee, roles=[Role.CONFIRMER], name="Tavo", languages=["es", "mam"])
    assert coordinator.user is not None
    secret = testing.enrol_totp(coordinator.user)

    sign_in(page, live_server.url, "chela", secret)
    expect(page.get_by_role("heading", name="Mis comités")).to_be_visible()
    page.get_by_role("link", name="Comité de Defensa de Pilsen").click()
    expect(page.get_by_role("heading", name="2 integrantes")).to_be_visible()
    expect(page.locator(".roster")).to_contain_text("Tavo")
    expect(page.locator(".roster")).to_contain_text("Verificador/a")
    expect(page.locator(".roster")).to_contain_text("Mam")
    page.screenshot(path=str(tmp_path / "committee-es.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="2 members")).to_be_visible()
    expect(page.locator(".roster")).to_contain_text("Confirmer")
    expect(page.get_by_role("link", name="My committees")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(tmp_path / "committee-en.png"), full_page=True)

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="2 integrantes")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es"


def test_outsider_signed_in_with_totp_cannot_open_the_committee(live_server, page: Page) -> None:
    committee = testing.committee("Comité de Defensa de Pilsen")
    testing.member(committee, roles=[Role.COORDINATOR], name="Doña Chela")
    outsider = testing.member(
        testing.committee("Otro comité"), roles=[Role.COORDINATOR], username="intruso"
    )
    assert outsider.user is not None
    secret = testing.enrol_totp(outsider.user)

    sign_in(page, live_server.url, "intruso", secret)
    response = page.goto(f"{live_server.url}/staff/c/{committee.code}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="No encontrado")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Doña Chela")


def test_pages_run_under_the_strict_content_security_policy(live_server, page: Page) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/accounts/login/")
    assert page.evaluate("typeof window.htmx") == "object"
    assert [v for v in violations if "Content Security Policy" in v] == []


def test_new_member_adds_a_passkey_and_signs_in_with_it(live_server, page: Page) -> None:
    """The safest factor, end to end, with Chromium's virtual authenticator."""
    committee = testing.committee("Comité de Defensa de Aurora")
    testing.member(committee, roles=[Role.COORDINATOR], name="Brenda", username="brenda")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill('input[name="login"]', "brenda")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main").get_by_role("button", name="Entrar", exact=True).click()
    page.goto(f"{base}/staff/c/{committee.code}/")
    expect(page.get_by_role("heading", name="Proteja su cuenta")).to_be_visible()

    page.get_by_role("link", name="Agregar una llave de acceso (passkey)").click()
    page.fill('input[name="password"]', PASSWORD)  # allauth asks for the password again
    page.locator('main button[type="submit"]').first.click()
    page.wait_for_url("**/accounts/2fa/webauthn/add/**")
    page.locator('input[name="passwordless"]').check()  # a passkey: sign in without password
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    page.goto(f"{base}/staff/c/{committee.code}/")
    expect(page.get_by_role("heading", name="Comité de Defensa de Aurora")).to_be_visible()

    page.locator("header").get_by_role("button", name="Salir").click()
    page.goto(base + "/accounts/login/")
    page.get_by_role("button", name="Entrar con una llave de acceso (passkey)").click()
    page.wait_for_url("**/staff/")
    page.goto(f"{base}/staff/c/{committee.code}/")
    expect(page.get_by_role("heading", name="1 integrante")).to_be_visible()
