"""Who may import public data and record policies: every campaigns staff page, for every
role, in the committee of the URL, in another committee, or signed out. Coordinators only;
404 for everyone else; sign-in for the anonymous. An unlisted page fails the matrix."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from defensa import testing
from defensa.campaigns import actions
from defensa.campaigns.models import Policy
from defensa.campaigns.tests.test_hostile import good_body, xlsx
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"


@dataclass
class World:
    committee: Any
    policy: Policy
    clients: dict[str, Client]


def build_world() -> World:
    committee = testing.committee("Own")
    other = testing.committee("Other")
    policy = actions.record_policy(
        actor=None, committee=committee, name="California Values Act", level="state", state="CA"
    )
    clients: dict[str, Client] = {}
    n = 0
    for role in Role:
        for scope, where in ((OWN, committee), (OTHER, other)):
            n += 1
            person = testing.member(
                where, roles=[] if role == Role.MEMBER else [role], username=f"c{n}"
            )
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(committee=committee, policy=policy, clients=clients)


def coordinator_of_own(role: str, scope: str) -> bool:
    return scope == OWN and role == Role.COORDINATOR


def _upload() -> io.BytesIO:
    data = io.BytesIO(xlsx(good_body()))
    data.name = "participatingAgencies01022026am.xlsx"
    return data


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def base(w: World) -> str:
    return f"/staff/c/{w.committee.code}/campaigns"


ENDPOINTS = [
    Endpoint("campaigns:import", "get", lambda w: f"{base(w)}/import/"),
    Endpoint("campaigns:import", "post", lambda w: f"{base(w)}/import/",
             lambda w: {"upload": _upload()}),
    Endpoint("campaigns:policies", "get", lambda w: f"{base(w)}/policies/"),
    Endpoint(
        "campaigns:policies", "post", lambda w: f"{base(w)}/policies/",
        lambda w: {"name": "Cook County Welcoming Ordinance", "level": "county", "state": "IL",
                   "place": "Cook County"},
    ),
    Endpoint("campaigns:remove_policy", "post",
             lambda w: f"{base(w)}/policies/{w.policy.code}/remove/"),
]  # fmt: skip


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.name}:{e.method}" for e in ENDPOINTS])
def test_campaigns_authorization_matrix(endpoint: Endpoint) -> None:
    world = build_world()
    surprises = testing.access_surprises(
        world.clients,
        method=endpoint.method,
        url=lambda: endpoint.url(world),
        data=lambda: endpoint.data(world),
        allow=coordinator_of_own,
    )
    assert surprises == [], f"{endpoint.name}:\n" + "\n".join(surprises)


def test_matrix_covers_every_campaigns_staff_page() -> None:
    names = {
        f"campaigns:{p.name}"
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern) and p.callback.__module__ == "defensa.campaigns.views"
    }
    assert names == {e.name for e in ENDPOINTS}
