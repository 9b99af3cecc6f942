"""The authorization matrix: every network view and API endpoint, for every role, held in the
committee concerned, in a sibling committee of the same network, in another network, or not at
all (plus anonymous, and signed in without a second factor). An unexpected allow fails.

Each request runs inside a savepoint that is rolled back, so every case meets the same world.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from defensa import testing
from defensa.network import actions
from defensa.network.api import router
from defensa.network.models import (
    AreaKind,
    AreaUnit,
    Committee,
    Invitation,
    Membership,
    Network,
    Qualification,
    Role,
    User,
    Zone,
)

pytestmark = pytest.mark.django_db

OWN, SIBLING, FOREIGN = "own", "sibling", "foreign"
SCOPES = (OWN, SIBLING, FOREIGN)
FUTURE = (timezone.now() + dt.timedelta(days=200)).date().isoformat()


class Rollback(Exception):
    pass


@dataclass
class World:
    network: Network
    own: Committee
    sibling: Committee
    foreign: Committee
    fresh: Committee  # same network, no coordinator yet: what a network admin may start
    target: Membership
    qualification: Qualification
    invitation: Invitation
    zone: Zone
    unit: AreaUnit
    clients: dict[str, Client] = field(default_factory=dict)


def build_world() -> World:
    net = testing.network("Red A")
    own = testing.committee("Own", reg=testing.region("Illinois", net=net))
    sibling = testing.committee("Sibling", reg=testing.region("Colorado", net=net))
    foreign = testing.committee(
        "Foreign", reg=testing.region("Texas", net=testing.network("Red B"))
    )
    committees = {OWN: own, SIBLING: sibling, FOREIGN: foreign}
    # Every committee keeps a coordinator, so removals in the matrix never hit the last one.
    for committee in committees.values():
        testing.member(committee, roles=[Role.COORDINATOR], name="Standing coordinator")
    target_person = testing.member(own, name="Target", roles=[Role.CONFIRMER])
    target = testing.membership_of(target_person, own)
    qualification = target_person.qualifications.get()
    invitation, _token = actions.issue_invitation(actor=None, committee=own, roles=[])
    zone = actions.create_zone(actor=None, committee=own, name="Zona")
    unit = actions.add_area_unit(actor=None, committee=own, kind=AreaKind.ZIP, value="60623")
    fresh = testing.committee("Fresh", reg=testing.region("Colorado", net=net))
    world = World(net, own, sibling, foreign, fresh, target, qualification, invitation, zone, unit)
    n = 0
    for role in Role:
        for scope in SCOPES:
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(committees[scope], roles=roles, username=f"u{n}")
            world.clients[f"{role}@{scope}"] = testing.staff_client(person)
    # An account whose only membership ended.
    former = testing.member(own, username="former")
    actions.end_membership(actor=None, membership=testing.membership_of(former, own))
    assert former.user is not None
    former.user.refresh_from_db()  # ending the last membership signed them out; sign in again
    world.clients["former"] = testing.staff_client(former)
    # An account with a second factor but no member profile at all.
    stranger = User.objects.create_user(username="stranger", password="correct horse battery")
    world.clients["stranger"] = testing.signed_in(Client(), stranger)
    # A coordinator of the committee concerned, signed in without a second factor.
    careless = testing.member(own, roles=[Role.COORDINATOR], username="careless")
    assert careless.user is not None
    world.clients["no-mfa"] = testing.signed_in(Client(), careless.user, mfa=False)
    world.clients["anonymous"] = Client()
    return world


Allow = Callable[[str, str], bool]  # (role, scope) -> allowed


def anyone(role: str, scope: str) -> bool:
    return True


def member_of_own(role: str, scope: str) -> bool:
    return scope == OWN


def coordinator_of_own(role: str, scope: str) -> bool:
    return scope == OWN and role == Role.COORDINATOR


def admin_of_network(role: str, scope: str) -> bool:
    return role == Role.NETWORK_ADMIN and scope in {OWN, SIBLING}


@dataclass(frozen=True)
class Endpoint:
    name: str  # URL name (views) or "METHOD path" (API)
    method: str
    url: Callable[[World], str]
    allow: Allow
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    api: bool = False
    public: bool = False  # open to anonymous visitors by design
    personal: bool = False  # about the viewer only: any signed-in account with a second factor
    needs_person: bool = False  # personal, but about the viewer's member profile


def c(w: World) -> str:
    return str(w.own.code)


VIEWS = [
    Endpoint("network:dashboard", "get", lambda w: "/staff/", anyone, personal=True),
    Endpoint(
        "network:mfa_required", "get", lambda w: "/staff/second-factor/", anyone, personal=True
    ),
    Endpoint(
        "network:profile", "get", lambda w: "/staff/me/", anyone, personal=True, needs_person=True
    ),
    Endpoint(
        "network:sign_out_other_sessions",
        "post",
        lambda w: "/staff/me/sign-out/",
        anyone,
        personal=True,
    ),
    Endpoint("network:committee", "get", lambda w: f"/staff/c/{c(w)}/", member_of_own),
    Endpoint(
        "network:sign_out_member",
        "post",
        lambda w: f"/staff/c/{c(w)}/members/{w.target.code}/sign-out/",
        coordinator_of_own,
    ),
    Endpoint(
        "network:issue_invitation",
        "post",
        lambda w: f"/staff/c/{c(w)}/invitations/",
        coordinator_of_own,
        lambda w: {"roles": ["trainer"]},
    ),
    Endpoint(
        "network:revoke_invitation",
        "post",
        lambda w: f"/staff/c/{c(w)}/invitations/{w.invitation.code}/revoke/",
        coordinator_of_own,
    ),
    Endpoint(
        "network:change_role",
        "post",
        lambda w: f"/staff/c/{c(w)}/members/{w.target.code}/roles/",
        coordinator_of_own,
        lambda w: {"role": "trainer", "op": "grant"},
    ),
    Endpoint(
        "network:end_membership",
        "post",
        lambda w: f"/staff/c/{c(w)}/members/{w.target.code}/end/",
        coordinator_of_own,
    ),
    Endpoint(
        "network:grant_qualification",
        "post",
        lambda w: f"/staff/c/{c(w)}/members/{w.target.code}/qualifications/",
        coordinator_of_own,
        lambda w: {"kind": "dispatcher", "expires_on": FUTURE},
    ),
    Endpoint(
        "network:revoke_qualification",
        "post",
        lambda w: f"/staff/c/{c(w)}/qualifications/{w.qualification.code}/revoke/",
        coordinator_of_own,
    ),
    Endpoint(
        "network:add_zone",
        "post",
        lambda w: f"/staff/c/{c(w)}/zones/",
        coordinator_of_own,
        lambda w: {"name": "Zona Nueva"},
    ),
    Endpoint(
        "network:add_area",
        "post",
        lambda w: f"/staff/c/{c(w)}/area/",
        coordinator_of_own,
        lambda w: {"kind": "zip", "value": "60608", "zone": ""},
    ),
    Endpoint(
        "network:remove_area",
        "post",
        lambda w: f"/staff/c/{c(w)}/area/{w.unit.code}/remove/",
        coordinator_of_own,
    ),
    Endpoint("network:network", "get", lambda w: f"/staff/n/{w.network.code}/", admin_of_network),
    Endpoint(
        "network:add_region",
        "post",
        lambda w: f"/staff/n/{w.network.code}/regions/",
        admin_of_network,
        lambda w: {"name": "Nevada"},
    ),
    Endpoint(
        "network:add_committee",
        "post",
        lambda w: f"/staff/n/{w.network.code}/committees/",
        admin_of_network,
        lambda w: {
            "region": str(w.own.region.code),
            "name": "Nuevo",
            "timezone": "America/Chicago",
        },
    ),
    Endpoint(
        "network:invite_coordinator",
        "post",
        lambda w: f"/staff/n/{w.network.code}/committees/{w.fresh.code}/invite/",
        admin_of_network,
    ),
    Endpoint("network:join", "get", lambda w: "/join/", anyone, public=True),
    Endpoint("network:join_token", "get", lambda w: "/join/ABCD-EFGH-JKMN/", anyone, public=True),
]

A = "/api/v1"
API = [
    Endpoint(
        "GET /me", "get", lambda w: f"{A}/me", anyone, api=True, personal=True, needs_person=True
    ),
    Endpoint(
        "PATCH /me",
        "patch",
        lambda w: f"{A}/me",
        anyone,
        lambda w: {"display_name": "Nuevo nombre"},
        api=True,
        personal=True,
        needs_person=True,
    ),
    Endpoint(
        "GET /committees", "get", lambda w: f"{A}/committees", anyone, api=True, personal=True
    ),
    Endpoint(
        "GET /committees/{code}", "get", lambda w: f"{A}/committees/{c(w)}", member_of_own, api=True
    ),
    Endpoint(
        "GET /committees/{code}/members",
        "get",
        lambda w: f"{A}/committees/{c(w)}/members",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "DELETE /committees/{code}/members/{member}",
        "delete",
        lambda w: f"{A}/committees/{c(w)}/members/{w.target.code}",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "PUT /committees/{code}/members/{member}/roles/{role}",
        "put",
        lambda w: f"{A}/committees/{c(w)}/members/{w.target.code}/roles/trainer",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "DELETE /committees/{code}/members/{member}/roles/{role}",
        "delete",
        lambda w: f"{A}/committees/{c(w)}/members/{w.target.code}/roles/confirmer",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "POST /committees/{code}/members/{member}/qualifications",
        "post",
        lambda w: f"{A}/committees/{c(w)}/members/{w.target.code}/qualifications",
        coordinator_of_own,
        lambda w: {"kind": "dispatcher", "expires_on": FUTURE},
        api=True,
    ),
    Endpoint(
        "DELETE /committees/{code}/qualifications/{item}",
        "delete",
        lambda w: f"{A}/committees/{c(w)}/qualifications/{w.qualification.code}",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "GET /committees/{code}/invitations",
        "get",
        lambda w: f"{A}/committees/{c(w)}/invitations",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "POST /committees/{code}/invitations",
        "post",
        lambda w: f"{A}/committees/{c(w)}/invitations",
        coordinator_of_own,
        lambda w: {"roles": ["trainer"]},
        api=True,
    ),
    Endpoint(
        "DELETE /committees/{code}/invitations/{item}",
        "delete",
        lambda w: f"{A}/committees/{c(w)}/invitations/{w.invitation.code}",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "POST /committees/{code}/zones",
        "post",
        lambda w: f"{A}/committees/{c(w)}/zones",
        coordinator_of_own,
        lambda w: {"name": "Zona Nueva"},
        api=True,
    ),
    Endpoint(
        "POST /committees/{code}/area",
        "post",
        lambda w: f"{A}/committees/{c(w)}/area",
        coordinator_of_own,
        lambda w: {"kind": "zip", "value": "60608"},
        api=True,
    ),
    Endpoint(
        "DELETE /committees/{code}/area/{unit}",
        "delete",
        lambda w: f"{A}/committees/{c(w)}/area/{w.unit.code}",
        coordinator_of_own,
        api=True,
    ),
    Endpoint(
        "GET /networks/{code}/committees",
        "get",
        lambda w: f"{A}/networks/{w.network.code}/committees",
        admin_of_network,
        api=True,
    ),
    Endpoint(
        "POST /networks/{code}/regions",
        "post",
        lambda w: f"{A}/networks/{w.network.code}/regions",
        admin_of_network,
        lambda w: {"name": "Nevada"},
        api=True,
    ),
    Endpoint(
        "POST /networks/{code}/committees",
        "post",
        lambda w: f"{A}/networks/{w.network.code}/committees",
        admin_of_network,
        lambda w: {"region": str(w.own.region.code), "name": "Nuevo"},
        api=True,
    ),
    Endpoint(
        "POST /networks/{code}/committees/{committee}/invitations",
        "post",
        lambda w: f"{A}/networks/{w.network.code}/committees/{w.fresh.code}/invitations",
        admin_of_network,
        api=True,
    ),
]

ENDPOINTS = VIEWS + API


def send(client: Client, endpoint: Endpoint, world: World) -> Any:
    url, data = endpoint.url(world), endpoint.data(world)
    call = getattr(client, endpoint.method)
    if endpoint.api:
        if endpoint.method == "get":
            return call(url)
        return call(url, data=json.dumps(data), content_type="application/json")
    return call(url, data) if endpoint.method == "post" else call(url)


def outcome(endpoint: Endpoint, response: Any) -> str:
    """'allowed', 'denied', 'sign-in', 'mfa' or 'unexpected <status>'."""
    status = response.status_code
    location = response.get("Location", "")
    if endpoint.api:
        return {
            200: "allowed",
            201: "allowed",
            204: "allowed",
            404: "denied",
            401: "sign-in",
            403: "mfa",
        }.get(status, f"unexpected {status}")
    if status == 404:
        return "denied"
    if status == 302 and "/accounts/login/" in location:
        return "sign-in"
    if status == 302 and "/staff/second-factor/" in location:
        return "mfa"
    if status in (200, 302):
        return "allowed"
    return f"unexpected {status}"


def expected(endpoint: Endpoint, who: str) -> str:
    if endpoint.public:
        # Open to visitors; a signed-in account still has to have used its second factor.
        return "mfa" if who == "no-mfa" else "allowed"
    if who == "anonymous":
        return "sign-in"
    if who == "no-mfa":
        return "allowed" if endpoint.name == "network:mfa_required" else "mfa"
    if who == "stranger":
        return "allowed" if endpoint.personal and not endpoint.needs_person else "denied"
    if who == "former":
        if endpoint.personal:
            return "allowed"
        return "denied"
    role, scope = who.split("@")
    if endpoint.personal:
        return "allowed"
    return "allowed" if endpoint.allow(role, scope) else "denied"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_authorization_matrix(endpoint: Endpoint) -> None:
    world = build_world()
    surprises: list[str] = []
    for who, client in world.clients.items():
        try:
            with transaction.atomic():
                response = send(client, endpoint, world)
                got = outcome(endpoint, response)
                raise Rollback
        except Rollback:
            pass
        want = expected(endpoint, who)
        if got != want:
            surprises.append(f"{who}: expected {want}, got {got}")
    assert surprises == [], f"{endpoint.name}:\n" + "\n".join(surprises)


def test_matrix_covers_every_network_view_and_api_endpoint() -> None:
    resolver = get_resolver()
    view_names = {
        f"network:{p.name}"
        for p in resolver.url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern)
        and getattr(p, "name", None)
        and p.callback.__module__ == "defensa.network.views"
    }
    assert view_names == {e.name for e in VIEWS}
    api_routes = {
        f"{method} {path}"
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    assert api_routes == {e.name for e in API}
