"""In Debian's chromium: a coordinator creates a weekly schedule, two members sign up, the
week view fills, and the Spanish handover text names them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from defensa import testing
from defensa.network.models import Role
from defensa.shifts import timeutil
from defensa.shifts.tests.conftest import qualify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def sign_in(page: Page, base: str, person) -> None:
    secret = testing.enrol_totp(person.user)
    page.goto(base + "/accounts/login/")
    page.fill('input[name="login"]', person.user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main").get_by_role("button", name="Entrar", exact=True).click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill('input[name="code"]', testing.totp_code(secret))
    page.locator('main button[type="submit"]').first.click()
    page.wait_for_url("**/staff/")


def test_weekly_schedule_fills_up_and_hands_over_in_spanish(live_server, browser: Browser) -> None:
    committee = testing.committee("Comité de Defensa de Pilsen")
    coordinator = testing.member(committee, roles=[Role.COORDINATOR], username="chela")
    members = []
    for name, username in (("Tavo", "tavo"), ("Lupita", "lupita")):
        person = testing.member(committee, name=name, username=username)
        qualify(person, committee)
        members.append(person)
    tz = timeutil.committee_tz(committee)
    tomorrow = timeutil.local_date(timezone.now(), tz) + timedelta(days=1)
    week = timeutil.week_start(tomorrow).isoformat()
    base = live_server.url
    shifts = f"{base}/staff/c/{committee.code}/shifts"

    coordinator_page = browser.new_context().new_page()
    sign_in(coordinator_page, base, coordinator)
    coordinator_page.goto(f"{shifts}/setup/")
    coordinator_page.select_option('select[name="role"]', "confirmer")
    coordinator_page.fill('input[name="needed"]', "2")
    coordinator_page.get_by_role("button", name="Agregar", exact=True).click()
    expect(
        coordinator_page.get_by_role("heading", name="Verificador/a · Todo el comité")
    ).to_be_visible()
    coordinator_page.get_by_text("Agregar un horario").click()
    form = coordinator_page.locator("form[id^=block-form-]")
    form.locator('select[name="kind"]').select_option("weekly")
    form.locator('select[name="weekday"]').select_option(str(tomorrow.weekday()))
    form.locator('input[name="start_date"]').fill(timezone.localdate().isoformat())
    form.locator('input[name="start_time"]').fill("18:00")
    form.locator('input[name="end_time"]').fill("22:00")
    form.get_by_role("button", name="Agregar horario").click()
    expect(coordinator_page.get_by_text("Se agregó el horario.")).to_be_visible()

    coordinator_page.goto(f"{shifts}/?week={week}")
    slot = coordinator_page.locator(".slot.gap").first
    expect(slot).to_contain_text("0 de 2")
    expect(slot).to_contain_text("necesita gente")

    for person in members:
        page = browser.new_context().new_page()
        sign_in(page, base, person)
        page.goto(f"{shifts}/?week={week}")
        page.locator(".slot.gap").first.get_by_role("button", name="Tomar este turno").click()
        expect(page.get_by_text("Tiene este turno. ¡Gracias!")).to_be_visible()
        page.context.close()

    coordinator_page.reload()
    filled = coordinator_page.locator(".slot").filter(has_text="2 de 2").first
    expect(filled).to_contain_text("Tavo")
    expect(filled).to_contain_text("Lupita")
    expect(filled).not_to_have_class("slot gap")

    coordinator_page.goto(f"{shifts}/handover/?week={week}&lang=es")
    text = coordinator_page.locator("textarea#handover").input_value()
    assert text.startswith("Turnos: Comité de Defensa de Pilsen\n")
    assert "Verificador/a, todo el comité" in text
    assert "18:00–22:00: Tavo, Lupita" in text or "18:00–22:00: Lupita, Tavo" in text
