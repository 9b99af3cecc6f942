"""The staff pages of alerts: who may use each (other committees' staff see nothing, a 404;
only dispatchers and coordinators compose and approve), and what a dispatcher does with them
in Spanish and English: compose from the incident's page, read the previews with their SMS
segments, change a text, and have a second person approve."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver
from django.utils import translation

from defensa import testing
from defensa.alerts import actions, compose, fanout
from defensa.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionCell,
)
from defensa.alerts.tests.test_compose import Cast, approved, cast, draft, verified
from defensa.incidents.models import Incident
from defensa.messaging import transports
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"


@dataclass
class World:
    cast: Cast
    incident: Incident
    draft: Alert
    approved: Alert
    clients: dict[str, Client]


def build_world() -> World:
    c = cast()
    item = verified(c.tavo)
    with translation.override("en"):
        first = approved(c, item)
        second = draft(c, item)
    clients: dict[str, Client] = {}
    n = 0
    for role in Role:
        for scope, where in ((OWN, c.pilsen), (OTHER, c.aurora)):
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(where, roles=roles, username=f"a{n}")
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(c, item, second, first, clients)


def reads(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}


def composes(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.DISPATCHER, Role.COORDINATOR}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    allow: Callable[[str, str], bool]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def base(w: World) -> str:
    return f"/staff/c/{w.cast.pilsen.code}"


VIEWS = [
    Endpoint("alerts:list", "get", lambda w: f"{base(w)}/alerts/", reads),
    Endpoint("alerts:new_reminder", "get", lambda w: f"{base(w)}/alerts/new/", composes),
    Endpoint(
        "alerts:new_reminder",
        "post",
        lambda w: f"{base(w)}/alerts/new/",
        composes,
        lambda w: {"place": "area", "advice": "silent", "expires_in": "24"},
    ),
    Endpoint(
        "alerts:compose",
        "post",
        lambda w: f"{base(w)}/incidents/{w.incident.code}/alert/",
        composes,
        lambda w: {"place": "zip:60608", "advice": "door", "expires_in": "6"},
    ),
    Endpoint("alerts:alert", "get", lambda w: f"{base(w)}/alerts/{w.draft.code}/", reads),
    Endpoint(
        "alerts:alert",
        "post",
        lambda w: f"{base(w)}/alerts/{w.draft.code}/",
        composes,
        lambda w: {"place": "zip:60608", "advice": "silent", "expires_in": ""},
    ),
    Endpoint(
        "alerts:approve", "post", lambda w: f"{base(w)}/alerts/{w.draft.code}/approve/", composes
    ),
    Endpoint(
        "alerts:discard", "post", lambda w: f"{base(w)}/alerts/{w.draft.code}/discard/", composes
    ),
    Endpoint(
        "alerts:correct",
        "post",
        lambda w: f"{base(w)}/alerts/{w.approved.code}/correct/",
        composes,
        lambda w: {"kind": AlertKind.FALSE_ALARM},
    ),
]


def test_who_may_use_each_alerts_page() -> None:
    world = build_world()
    surprises = []
    for endpoint in VIEWS:
        found = testing.access_surprises(
            world.clients,
            method=endpoint.method,
            url=partial(endpoint.url, world),
            data=partial(endpoint.data, world),
            allow=endpoint.allow,
        )
        surprises += [f"{endpoint.method} {endpoint.name} {s}" for s in found]
    assert surprises == []


def test_every_alerts_staff_page_is_in_the_matrix() -> None:
    names = {
        f"alerts:{p.name}"
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern) and p.callback.__module__ == "defensa.alerts.views"
    }
    assert names == {e.name for e in VIEWS}


def test_another_committees_alert_is_not_found_even_for_its_dispatchers() -> None:
    world = build_world()
    otto = testing.staff_client(world.cast.otto)
    aurora = world.cast.aurora.code
    for url in (
        f"/staff/c/{aurora}/alerts/{world.draft.code}/",
        f"/staff/c/{world.cast.pilsen.code}/alerts/{world.draft.code}/",
    ):
        assert otto.get(url).status_code == 404
        assert otto.post(url.rstrip("/") + "/approve/").status_code == 404
    world.draft.refresh_from_db()
    assert world.draft.status == AlertStatus.DRAFT


def test_a_dispatcher_composes_from_the_incident_page_and_another_approves() -> None:
    c = cast()
    item = verified(c.tavo)
    paty, rosa = testing.staff_client(c.paty), testing.staff_client(c.rosa)
    paty.cookies["django_language"] = "es"
    incident_page = paty.get(f"/staff/c/{c.pilsen.code}/incidents/{item.code}/")
    html = incident_page.content.decode()
    assert 'id="compose-form"' in html
    assert 'value="zip:60608"' in html
    response = paty.post(
        f"/staff/c/{c.pilsen.code}/incidents/{item.code}/alert/",
        {"place": "zip:60608", "advice": "door", "expires_in": "6"},
    )
    alert = Alert.objects.get()
    assert response["Location"] == f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/"
    page = paty.get(response["Location"])
    html = page.content.decode()
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]
    assert 'id="approve-form"' not in html
    assert 'id="approval-refusal"' in html  # the composer is told why not
    assert 'class="meta sms-count"' in html
    assert html.count("<textarea") == 2 * len(compose.CHANNELS)
    assert compose.shown_code(alert.verify_code) in html

    rosa.cookies["django_language"] = "en"
    html = rosa.get(response["Location"]).content.decode()
    assert 'id="approve-form"' in html
    assert "GSM-7" in html
    rosa.post(
        f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/approve/", {"version": version_in(html)}
    )
    alert.refresh_from_db()
    assert alert.approved_by == c.rosa
    assert alert.status in (AlertStatus.SENDING, AlertStatus.SENT)
    html = rosa.get(response["Location"]).content.decode()
    assert 'id="edit-form"' not in html
    assert 'id="correct-form"' in html
    listing = rosa.get(f"/staff/c/{c.pilsen.code}/alerts/").content.decode()
    assert f'id="alert-{alert.code}"' in listing


def version_in(html: str) -> str:
    found = re.search(r'name="version" value="([0-9a-f]{64})"', html)
    assert found, "the approve form carries the version the approver read"
    return found.group(1)


def test_a_draft_changed_after_the_approver_opened_it_is_not_approved() -> None:
    """The composer cannot slip another text under the second person's approval."""
    c = cast()
    with translation.override("en"):
        alert = draft(c)
    rosa = testing.staff_client(c.rosa)
    rosa.cookies["django_language"] = "en"
    url = f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/"
    read = version_in(rosa.get(url).content.decode())
    # Meanwhile the composer changes the draft.
    texts = {lang: dict(by) for lang, by in alert.texts.items()}
    texts["es"]["sms"] = "Vayan a la esquina. " + texts["es"]["sms"]
    actions.edit_draft(actor=c.paty, alert=alert, texts=texts)
    response = rosa.post(url + "approve/", {"version": read}, follow=True)
    assert "This draft changed after you opened it" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DRAFT
    assert not alert.signature
    # Without any version (not from the page) nothing is approved either.
    rosa.post(url + "approve/")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DRAFT
    # Read again, it is approved as it now reads.
    fresh = version_in(rosa.get(url).content.decode())
    assert fresh != read
    rosa.post(url + "approve/", {"version": fresh})
    alert.refresh_from_db()
    assert alert.approved_by == c.rosa
    assert "Vayan a la esquina." in alert.texts["es"]["sms"]


def test_a_text_without_its_code_is_refused_on_the_page_and_nothing_is_saved() -> None:
    c = cast()
    with translation.override("en"):
        alert = draft(c)
    paty = testing.staff_client(c.paty)
    paty.cookies["django_language"] = "en"
    form = {"place": "zip:60608", "advice": "stay_away", "expires_in": ""}
    for language, by_channel in alert.texts.items():
        for channel, text in by_channel.items():
            form[f"text-{language}-{channel}"] = text
    form["text-en-sms"] = "ICE in Pilsen, share it"
    response = paty.post(f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/", form)
    assert response.status_code == 400
    assert "must keep the alert" in response.content.decode()
    before = alert.texts
    alert.refresh_from_db()
    assert alert.texts == before
    form["text-en-sms"] = f"ICE in Pilsen. Check: {compose.link(alert.verify_code)}"
    response = paty.post(f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/", form)
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.texts["en"]["sms"] == form["text-en-sms"]


def test_a_reminder_is_composed_from_its_own_page() -> None:
    c = cast()
    lola = testing.staff_client(c.lola)
    page = lola.get(f"/staff/c/{c.pilsen.code}/alerts/new/")
    assert page.status_code == 200
    response = lola.post(
        f"/staff/c/{c.pilsen.code}/alerts/new/",
        {"place": "area", "advice": "plan", "expires_in": "168"},
    )
    assert response.status_code == 302
    reminder = Alert.objects.get()
    assert reminder.kind == AlertKind.KNOW_YOUR_RIGHTS
    assert reminder.composed_by == c.lola


def test_a_correction_is_composed_from_the_alert_page() -> None:
    c = cast()
    with translation.override("en"):
        original = approved(c)
    paty = testing.staff_client(c.paty)
    response = paty.post(
        f"/staff/c/{c.pilsen.code}/alerts/{original.code}/correct/",
        {"kind": AlertKind.ALL_CLEAR},
    )
    correction = Alert.objects.get(corrects=original)
    assert response["Location"] == f"/staff/c/{c.pilsen.code}/alerts/{correction.code}/"
    html = paty.get(response["Location"]).content.decode()
    assert f'href="/staff/c/{c.pilsen.code}/alerts/{original.code}/"' in html
    actions.discard(actor=c.paty, alert=correction)


def test_the_committee_sees_delivery_counts_per_channel(monkeypatch) -> None:
    c = cast()
    monkeypatch.setattr(transports, "configured", lambda channel: True)
    with translation.override("en"):
        alert = draft(c)
        for cell in alert.cells[:2]:
            subscription = Subscription.objects.create(
                committee=c.pilsen, channel=Channel.SMS, address_index=cell, language="es"
            )
            SubscriptionCell.objects.create(subscription=subscription, cell=cell)
        actions.approve(actor=c.rosa, alert=alert)
    Delivery.objects.filter(alert=alert).update(status=DeliveryStatus.SENT, sent=2)
    dani = testing.staff_client(c.dani)
    dani.cookies["django_language"] = "en"
    html = dani.get(f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/").content.decode()
    assert 'id="delivery-counts"' in html
    assert '<th scope="row">SMS</th><td>2</td><td>0</td><td>0</td>' in html
    assert 'id="approve-form"' not in html  # documentarians read only
    listing = dani.get(f"/staff/c/{c.pilsen.code}/alerts/").content.decode()
    assert "SMS: 2 sent, 0 failed" in listing
    # Long after expiry the batches are forgotten; the page keeps showing their counts.
    with override_settings(DEFENSA_DELIVERY_RETENTION_DAYS=1):
        assert fanout.forget_old_deliveries(now=alert.expires_at + timedelta(days=2)) == 1
    assert not Delivery.objects.filter(alert=alert).exists()
    html = dani.get(f"/staff/c/{c.pilsen.code}/alerts/{alert.code}/").content.decode()
    assert '<th scope="row">SMS</th><td>2</td><td>0</td><td>0</td>' in html
