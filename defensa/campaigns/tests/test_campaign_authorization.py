"""Who may read and run campaigns: every campaign staff page, for every role, in the
committee of the URL, in another committee, or signed out. Members of the committee (any
role) read and count actions; its coordinators manage; everyone else gets 404, the same as a
missing campaign. An unexpected allow fails; so does an unlisted page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from defensa import testing
from defensa.campaigns import campaign_actions as actions
from defensa.campaigns.campaign_models import Campaign, Target
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"
STAFF_MODULES = {"defensa.campaigns.campaign_views"}


@dataclass
class World:
    committee: Any
    other: Any
    campaign: Campaign
    theirs: Campaign
    target: Target
    clients: dict[str, Client]


def build_world() -> World:
    committee = testing.committee("Own")
    other = testing.committee("Other")
    campaign = actions.create_campaign(
        actor=None, committee=committee, title="End 287(g)", state="TX", county="Galveston"
    )
    theirs = actions.create_campaign(actor=None, committee=other, title="Theirs", state="IL")
    target = actions.add_target(actor=None, campaign=campaign, name="Sheriff", office="Sheriff")
    clients: dict[str, Client] = {}
    n = 0
    for role in Role:
        for scope, where in ((OWN, committee), (OTHER, other)):
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(where, roles=roles, username=f"k{n}")
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(committee, other, campaign, theirs, target, clients)


def member_of_own(role: str, scope: str) -> bool:
    return scope == OWN


def coordinator_of_own(role: str, scope: str) -> bool:
    return scope == OWN and role == Role.COORDINATOR


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    allow: Callable[[str, str], bool]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def c(w: World) -> str:
    return f"/staff/c/{w.committee.code}/campaigns"


def one(w: World) -> str:
    return f"{c(w)}/{w.campaign.code}"


def today(world: Any) -> Any:
    """Counts are per day on the committee's clock, which may not be UTC's."""
    return actions.committee_today(world.committee)


ENDPOINTS = [
    Endpoint("campaigns:campaigns", "get", lambda w: f"{c(w)}/", member_of_own),
    Endpoint("campaigns:new_campaign", "get", lambda w: f"{c(w)}/new/", coordinator_of_own),
    Endpoint("campaigns:new_campaign", "post", lambda w: f"{c(w)}/new/", coordinator_of_own,
             lambda w: {"title": "Fin del 287(g)", "state": "FL", "county": "Brevard"}),
    Endpoint("campaigns:campaign", "get", lambda w: f"{one(w)}/", member_of_own),
    Endpoint("campaigns:edit_campaign", "post", lambda w: f"{one(w)}/edit/", coordinator_of_own,
             lambda w: {"title": "End 287(g) now", "status": "active"}),
    Endpoint("campaigns:add_target", "post", lambda w: f"{one(w)}/targets/", coordinator_of_own,
             lambda w: {"name": "Commissioner", "office": "County Commission"}),
    Endpoint("campaigns:remove_target", "post",
             lambda w: f"{one(w)}/targets/{w.target.code}/remove/", coordinator_of_own),
    Endpoint("campaigns:set_script", "post", lambda w: f"{one(w)}/scripts/", coordinator_of_own,
             lambda w: {"language": "es", "text": "Buenos días."}),
    Endpoint("campaigns:log_actions", "post", lambda w: f"{one(w)}/actions/", member_of_own,
             lambda w: {"kind": "call", "count": 1, "day": today(w)}),
    Endpoint("campaigns:correct_actions", "post", lambda w: f"{one(w)}/actions/correct/",
             coordinator_of_own, lambda w: {"kind": "call", "count": 0, "day": today(w)}),
    Endpoint("campaigns:fact_sheet", "get", lambda w: f"{one(w)}/sheet/", member_of_own),
]  # fmt: skip


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.name}:{e.method}" for e in ENDPOINTS])
def test_campaign_authorization_matrix(endpoint: Endpoint) -> None:
    world = build_world()
    surprises = testing.access_surprises(
        world.clients,
        method=endpoint.method,
        url=lambda: endpoint.url(world),
        data=lambda: endpoint.data(world),
        allow=endpoint.allow,
    )
    assert surprises == [], f"{endpoint.name}:{endpoint.method}:\n" + "\n".join(surprises)


def test_another_committees_campaign_is_not_found_through_ones_own() -> None:
    world = build_world()
    coordinator = world.clients[f"{Role.COORDINATOR}@{OWN}"]
    theirs = f"{c(world)}/{world.theirs.code}"
    assert coordinator.get(f"{theirs}/").status_code == 404
    assert coordinator.get(f"{theirs}/sheet/").status_code == 404
    posted = coordinator.post(
        f"{theirs}/actions/", {"kind": "call", "count": 5, "day": today(world)}
    )
    assert posted.status_code == 404
    assert not world.theirs.tallies.exists()
    assert coordinator.get(f"{c(world)}/not-a-code/").status_code == 404


def test_matrix_covers_every_campaign_staff_page() -> None:
    names = {
        f"campaigns:{p.name}"
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern) and p.callback.__module__ in STAFF_MODULES
    }
    assert names == {e.name for e in ENDPOINTS}
