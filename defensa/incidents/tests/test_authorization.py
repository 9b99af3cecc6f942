"""Who may see and act on incidents: every incident page, for every role, in the committee, in
another committee, or in none; and the confirmer who was sent. Dispatchers of another
committee see nothing; confirmers see only the requests made to them. An unexpected allow
fails; so does an unlisted page."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone
from PIL import Image

from defensa import testing
from defensa.incidents import confirmers, field
from defensa.incidents.models import Dispatch, DispatchStatus, Disposition
from defensa.incidents.tests.conftest import place, report
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"
MODULES = {
    "defensa.incidents.views",
    "defensa.incidents.dispatch_views",
    "defensa.incidents.field_views",
}
SCHOOL = (41.8536, -87.6657)


class Rollback(Exception):
    pass


@dataclass
class World:
    committee: Any
    incident: Any
    other_incident: Any
    report: Any
    dispatch: Dispatch
    media: Any
    token: str
    member: str
    clients: dict[str, Client]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 10)).save(out, format="JPEG")
    return out.getvalue()


def build_world(pilsen, aurora) -> World:
    incident = place(report("ICE arrestando en la escuela de la 18", point=SCHOOL))
    other_incident = place(report("retén de la policía en Cermak", point=(41.8521, -87.6930)))
    sent = testing.member(pilsen, roles=[Role.CONFIRMER], name="Sent", username="sent")
    dispatch = Dispatch.objects.create(
        incident=incident,
        person=sent,
        status=DispatchStatus.ACCEPTED,
        answer_by=timezone.now() + timedelta(minutes=5),
        token_hash=confirmers.link_hash("a" * 43),
        reply_code="111222",
    )
    finding = field.record_finding(
        actor=sent,
        dispatch=dispatch,
        disposition=Disposition.CONFIRMED,
        observations={"size": "3"},
        notes="",
        files=[field.FieldFile(data=_photo(), content_type="image/jpeg")],
    )
    # A second confirmer, asked and not yet answering (after the finding, which
    # cancels open requests): their link is live.
    asked = testing.member(pilsen, roles=[Role.CONFIRMER], name="Asked", username="asked")
    token = "t" * 43
    Dispatch.objects.create(
        incident=incident,
        person=asked,
        status=DispatchStatus.OFFERED,
        answer_by=timezone.now() + timedelta(minutes=5),
        token_hash=confirmers.link_hash(token),
        reply_code="333444",
    )
    clients: dict[str, Client] = {"sent@own": testing.staff_client(sent)}
    n = 0
    for role in Role:
        for scope, where in ((OWN, pilsen), (OTHER, aurora)):
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(where, roles=roles, username=f"i{n}")
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(
        committee=pilsen,
        incident=incident,
        other_incident=other_incident,
        report=incident.links.get().report,
        dispatch=dispatch,
        media=finding.media.get(),
        token=token,
        member=str(testing.membership_of(asked, pilsen).code),
        clients=clients,
    )


def reads(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}


def triages(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.DISPATCHER, Role.COORDINATOR}


def evidence(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.COORDINATOR, Role.LEGAL_PARTNER}


def the_one_sent(role: str, scope: str) -> bool:
    return role == "sent"


def anyone(role: str, scope: str) -> bool:
    return True


def nobody(role: str, scope: str) -> bool:
    return False


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    allow: Callable[[str, str], bool]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    # Pages that need no account (a link's token is the key): anonymous is "allowed".
    public: bool = False


def c(w: World) -> str:
    return f"/staff/c/{w.committee.code}/incidents"


def i(w: World) -> str:
    return f"{c(w)}/{w.incident.code}"


ENDPOINTS = [
    Endpoint("incidents:inbox", "get", lambda w: f"{c(w)}/", reads),
    Endpoint("incidents:priorities", "get", lambda w: f"{c(w)}/priorities/", triages),
    # Nothing is shared with its own committee, and it is not verified yet: nobody.
    Endpoint("incidents:shared", "get", lambda w: f"{c(w)}/shared/{w.incident.code}/", nobody),
    Endpoint("incidents:incident", "get", lambda w: f"{i(w)}/", reads),
    Endpoint(
        "incidents:merge", "post", lambda w: f"{i(w)}/merge/", triages,
        lambda w: {"other": str(w.other_incident.code)},
    ),
    Endpoint(
        "incidents:split", "post", lambda w: f"{i(w)}/split/", triages,
        lambda w: {"report": [str(w.report.code)]},
    ),
    Endpoint("incidents:close", "post", lambda w: f"{i(w)}/close/", triages),
    # The world's committee has no neighbour: sharing it anywhere is not found.
    Endpoint("incidents:share", "post", lambda w: f"{i(w)}/share/", nobody,
             lambda w: {"committee": str(w.committee.code)}),
    Endpoint("incidents:dispatch", "post", lambda w: f"{i(w)}/dispatch/", triages),
    Endpoint("incidents:dispatch_by_hand", "post", lambda w: f"{i(w)}/dispatch/hand/", triages,
             lambda w: {"member": w.member}),
    Endpoint("incidents:dispatch_panel", "get", lambda w: f"{i(w)}/dispatch/panel/", reads),
    Endpoint("incidents:settle", "post", lambda w: f"{i(w)}/settle/", triages,
             lambda w: {"disposition": Disposition.CONFIRMED}),
    Endpoint("incidents:evidence", "get", lambda w: f"{i(w)}/evidence/", evidence),
    Endpoint("incidents:finding_media", "get",
             lambda w: f"{c(w)}/finding-media/{w.media.code}/", reads),
    Endpoint("incidents:my_dispatches", "get", lambda w: "/staff/dispatches/", anyone),
    Endpoint("incidents:my_dispatch_answer", "post",
             lambda w: f"/staff/dispatches/{w.dispatch.code}/answer/", the_one_sent,
             lambda w: {"answer": "yes"}),
    Endpoint("incidents:finding", "get",
             lambda w: f"/staff/dispatches/{w.dispatch.code}/finding/", the_one_sent),
    Endpoint("incidents:dispatch_link", "get", lambda w: f"/d/{w.token}/", anyone, public=True),
    Endpoint("incidents:dispatch_link_answer", "post", lambda w: f"/d/{w.token}/answer/",
             anyone, lambda w: {"answer": "maybe"}, public=True),
]  # fmt: skip


def outcome(response: Any) -> str:
    status, location = response.status_code, response.get("Location", "")
    if status == 404:
        return "denied"
    if status == 302 and "/accounts/login/" in location:
        return "sign-in"
    if status in (200, 204, 302):
        return "allowed"
    if status == 400 and response.get("Content-Type", "").startswith("text/html"):
        return "allowed"  # reached the view, which refused the input (nothing written)
    return f"unexpected {status}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_incident_authorization_matrix(endpoint: Endpoint, pilsen, aurora) -> None:
    world = build_world(pilsen, aurora)
    surprises = []
    for who, client in world.clients.items():
        try:
            with transaction.atomic():
                call = getattr(client, endpoint.method)
                url = endpoint.url(world)
                response = (
                    call(url, endpoint.data(world)) if endpoint.method == "post" else call(url)
                )
                got = outcome(response)
                raise Rollback
        except Rollback:
            pass
        if who == "anonymous":
            want = "allowed" if endpoint.public else "sign-in"
        else:
            role, scope = who.split("@")
            want = "allowed" if endpoint.allow(role, scope) else "denied"
        if got != want:
            surprises.append(f"{who}: expected {want}, got {got}")
    assert surprises == [], f"{endpoint.name}:\n" + "\n".join(surprises)


def _patterns(patterns: list[Any]) -> list[URLPattern]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            found.append(pattern)
        else:
            found += _patterns(pattern.url_patterns)
    return found


def test_matrix_covers_every_incident_page() -> None:
    names = {
        f"incidents:{p.name}"
        for p in _patterns(get_resolver().url_patterns)
        if p.callback.__module__ in MODULES
    }
    assert names == {e.name for e in ENDPOINTS}


def test_a_confirmer_who_was_not_sent_sees_nothing_of_the_incident(pilsen, aurora) -> None:
    world = build_world(pilsen, aurora)
    bystander = world.clients["confirmer@own"]
    assert bystander.get(f"{i(world)}/").status_code == 404
    assert bystander.get(f"/staff/dispatches/{world.dispatch.code}/finding/").status_code == 404
    mine = bystander.get("/staff/dispatches/").content.decode()
    assert str(world.dispatch.code) not in mine
    sent = world.clients["sent@own"].get("/staff/dispatches/").content.decode()
    assert "escuela" not in sent  # not even the one sent reads the reports
