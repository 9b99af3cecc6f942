"""Who may see and change shifts: every shift page, for every role, in the committee, in
another committee, or in none. An unexpected allow fails; so does an unlisted page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from defensa import testing
from defensa.network.models import Role
from defensa.shifts import actions
from defensa.shifts.models import BlockKind, ShiftRole
from defensa.shifts.tests.conftest import qualify
from defensa.shifts.tests.test_schedule import slot_of

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"


@dataclass
class World:
    committee: Any
    template: Any
    block: Any
    slot: Any
    assignment: Any
    target_membership: Any
    clients: dict[str, Client]


def build_world() -> World:
    committee = testing.committee("Own")
    other = testing.committee("Other")
    template = actions.create_template(
        actor=None, committee=committee, zone=None, role=ShiftRole.CONFIRMER, needed=3
    )
    block = actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.WEEKLY,
        weekday=(timezone.localdate().weekday() + 2) % 7,
        start_date=timezone.localdate(),
        start_time=time(18),
        end_time=time(22),
    )
    slot = slot_of(block)
    target = testing.member(committee, name="Target")
    qualify(target, committee)
    assignment = actions.sign_up(actor=target, person=target, slot=slot)
    clients: dict[str, Client] = {}
    n = 0
    for role in Role:
        for scope, where in ((OWN, committee), (OTHER, other)):
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(where, roles=roles, username=f"s{n}")
            qualify(person, where)
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(
        committee=committee,
        template=template,
        block=block,
        slot=slot,
        assignment=assignment,
        target_membership=testing.membership_of(target, committee),
        clients=clients,
    )


def member_of_own(role: str, scope: str) -> bool:
    return scope == OWN


def coordinator_of_own(role: str, scope: str) -> bool:
    return scope == OWN and role == Role.COORDINATOR


def sees_names(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.COORDINATOR, Role.DISPATCHER}


def anyone(role: str, scope: str) -> bool:
    return True


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    allow: Callable[[str, str], bool]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def base(w: World) -> str:
    return f"/staff/c/{w.committee.code}/shifts"


ENDPOINTS = [
    Endpoint("shifts:schedule", "get", lambda w: f"{base(w)}/", member_of_own),
    Endpoint("shifts:setup", "get", lambda w: f"{base(w)}/setup/", coordinator_of_own),
    Endpoint(
        "shifts:add_template",
        "post",
        lambda w: f"{base(w)}/templates/",
        coordinator_of_own,
        lambda w: {"role": "legal_observer", "zone": "", "needed": 1},
    ),
    Endpoint(
        "shifts:add_block",
        "post",
        lambda w: f"{base(w)}/templates/{w.template.code}/blocks/",
        coordinator_of_own,
        lambda w: {
            "kind": "weekly",
            "weekday": (timezone.localdate().weekday() + 4) % 7,
            "start_date": timezone.localdate().isoformat(),
            "start_time": "08:00",
            "end_time": "12:00",
        },
    ),
    Endpoint(
        "shifts:remove_block",
        "post",
        lambda w: f"{base(w)}/blocks/{w.block.code}/remove/",
        coordinator_of_own,
    ),
    Endpoint(
        "shifts:set_limits",
        "post",
        lambda w: f"{base(w)}/limits/",
        coordinator_of_own,
        lambda w: {"max_hours_per_week": 30, "max_consecutive_nights": 2, "min_rest_hours": 8},
    ),
    Endpoint(
        "shifts:sign_up", "post", lambda w: f"{base(w)}/slots/{w.slot.code}/sign-up/", member_of_own
    ),
    Endpoint(
        "shifts:assign",
        "post",
        lambda w: f"{base(w)}/slots/{w.slot.code}/assign/",
        coordinator_of_own,
        lambda w: {"membership": str(w.target_membership.code)},
    ),
    Endpoint(
        "shifts:offer",
        "post",
        lambda w: f"{base(w)}/slots/{w.slot.code}/offer/",
        coordinator_of_own,
    ),
    Endpoint(
        "shifts:cancel",
        "post",
        lambda w: f"{base(w)}/assignments/{w.assignment.code}/cancel/",
        coordinator_of_own,  # only its owner (not in the cast) or a coordinator
    ),
    Endpoint(
        "shifts:set_call",
        "post",
        lambda w: f"{base(w)}/assignments/{w.assignment.code}/call/",
        coordinator_of_own,
        lambda w: {"on_call": "0"},
    ),
    Endpoint("shifts:now", "get", lambda w: f"{base(w)}/now/", sees_names),
    Endpoint("shifts:load", "get", lambda w: f"{base(w)}/load/", coordinator_of_own),
    Endpoint("shifts:handover", "get", lambda w: f"{base(w)}/handover/", coordinator_of_own),
    Endpoint("shifts:mine", "get", lambda w: "/staff/shifts/", anyone),
    Endpoint("shifts:calendar_create", "post", lambda w: "/staff/shifts/calendar/", anyone),
    Endpoint("shifts:calendar_revoke", "post", lambda w: "/staff/shifts/calendar/revoke/", anyone),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_shift_authorization_matrix(endpoint: Endpoint) -> None:
    world = build_world()
    surprises = testing.access_surprises(
        world.clients,
        method=endpoint.method,
        url=lambda: endpoint.url(world),
        data=lambda: endpoint.data(world),
        allow=endpoint.allow,
    )
    assert surprises == [], f"{endpoint.name}:\n" + "\n".join(surprises)


def test_matrix_covers_every_shift_page() -> None:
    names = {
        f"shifts:{p.name}"
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern) and p.callback.__module__ == "defensa.shifts.views"
    }
    covered = {e.name for e in ENDPOINTS} | {"shifts:calendar_feed"}  # token, tested apart
    assert names == covered


def test_the_owner_cancels_their_own_sign_up_but_nobody_else_does() -> None:
    world = build_world()
    owner = world.target_membership.person
    assert owner.user is None  # made without an account: give one
    from defensa.network.models import User

    owner.user = User.objects.create_user(username="owner", password="correct horse battery")
    owner.save(update_fields=["user"])
    url = f"{base(world)}/assignments/{world.assignment.code}/cancel/"
    assert world.clients["confirmer@own"].post(url).status_code == 404
    assert testing.staff_client(owner).post(url).status_code == 302
    world.assignment.refresh_from_db()
    assert world.assignment.cancelled_at is not None


def test_unqualified_members_cannot_sign_up_through_the_page() -> None:
    world = build_world()
    untrained = testing.member(world.committee, username="untrained")
    response = testing.staff_client(untrained).post(
        f"{base(world)}/slots/{world.slot.code}/sign-up/", follow=True
    )
    assert "certificación" in response.content.decode()
    assert not world.slot.assignments.filter(person=untrained).exists()


def test_bad_weeks_are_refused_clearly() -> None:
    world = build_world()
    client = world.clients["coordinator@own"]
    response = client.get(f"{base(world)}/?week=2026-13-45")
    assert response.status_code == 400
    assert "2026-11-30" in response.content.decode()
