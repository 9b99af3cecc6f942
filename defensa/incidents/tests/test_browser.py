"""In Debian's chromium: three reports of the same operation arrive by the web form, SMS and
Signal and become one incident; the dispatcher sends two confirmers; one accepts on a
phone-sized page and records "confirmed"; the dispatcher sees the incident verified."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, ViewportSize, expect

from defensa import testing
from defensa.hotline.models import Report
from defensa.hotline.tests.texting import post
from defensa.incidents import clustering
from defensa.incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from defensa.incidents.tests.test_dispatch import confirmer, on_call, zone
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role
from defensa.shifts.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 360, "height": 640}


def test_three_channels_one_incident_two_confirmers_one_confirmed(
    live_server, browser: Browser
) -> None:
    committee = testing.committee("Comité de Defensa de Pilsen")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    dispatcher = testing.member(committee, roles=[Role.DISPATCHER], username="paty")
    tavo = confirmer(committee, "Tavo", "+13125550111")
    lupita = confirmer(committee, "Lupita", "+13125550112")
    on_call(committee, zone(committee, "Pilsen", "60608"), [tavo, lupita])
    base = live_server.url

    # 1. A neighbour on a phone, on the web.
    neighbour = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    neighbour.goto(f"{base}/reportar/")
    neighbour.get_by_label("¿Qué vio?").fill("Agentes de ICE arrestando a un señor en la escuela")
    neighbour.get_by_label("¿Dónde? (calle, esquina, negocio, lugar conocido)").fill(
        "Escuela de la calle 18"
    )
    neighbour.get_by_label("Código postal").fill("60608")
    neighbour.get_by_role("button", name="Enviar reporte").click()
    expect(neighbour.get_by_text("Gracias. Recibimos su reporte.")).to_be_visible()
    # 2. Another by SMS, and 3. one by Signal.
    with fakes.twilio():
        post(
            fakes.sms_payload("+17735550177", "la migra se llevó a un señor de la escuela 60608"),
            client=Client(),
        )
    with fakes.signal_cli() as signal:
        signal.inbox.append(
            fakes.signal_envelope(
                number="+17735550188",
                account_uuid="6b0c1c8e-1d1f-4a4e-9d0e-2b1f5a3c7e11",
                text="ICE en la escuela de la 18, 60608, arrestando",
                timestamp=1795767300000,
            )
        )
        call_command("signal_receive", "--once")
    # The task worker groups them (here, in the test's own process).
    assert {r.channel for r in Report.objects.all()} == {"web", "sms", "signal"}
    for item in Report.objects.order_by("received_at"):
        clustering.cluster_report(report=item)
    incident = Incident.objects.get()
    assert incident.reports_count == 3

    # The dispatcher sees one incident of three reports and sends confirmers.
    desk = browser.new_context().new_page()
    sign_in(desk, base, dispatcher)
    desk.goto(f"{base}/staff/c/{committee.code}/incidents/")
    row = desk.locator(f"#incident-{incident.code}")
    expect(row).to_contain_text("3 reportes")
    row.get_by_role("link").click()
    expect(desk.get_by_role("heading", name=re.compile("Arresto"))).to_be_visible()
    with fakes.twilio():
        desk.get_by_role("button", name="Enviar verificadores").click()
        expect(desk.get_by_text("Se pidió a 2 verificadores: Lupita, Tavo.")).to_be_visible()
    assert set(Dispatch.objects.values_list("status", flat=True)) == {DispatchStatus.OFFERED}
    assert Dispatch.objects.count() == 2

    # Tavo, on his phone, accepts and records what he found.
    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    sign_in(phone, base, tavo)
    phone.goto(f"{base}/staff/dispatches/")
    phone.get_by_role("button", name="Sí, voy").click()
    phone.get_by_role("link", name="Registrar lo que encontró").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_label("Confirmado").check()
    phone.get_by_label("Notas (lo que dijeron los vecinos, cualquier otra cosa)").fill(
        "Dos camionetas sin placas frente a la escuela"
    )
    phone.get_by_role("button", name="Enviar lo que encontré").click()
    expect(
        phone.get_by_text("Enviado. El despachador ya ve lo que usted encontró.")
    ).to_be_visible()

    # The dispatcher's page shows it verified, with what Tavo saw.
    desk.reload()
    expect(desk.locator("#incident-state")).to_contain_text("Verificado")
    expect(desk.locator("#incident-state")).to_contain_text("Confirmado")
    expect(desk.get_by_text("Dos camionetas sin placas frente a la escuela")).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.VERIFIED
    assert Dispatch.objects.get(person=lupita).status == DispatchStatus.CANCELLED
