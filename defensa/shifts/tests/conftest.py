"""The shifts cast: a committee in Chicago time, its coordinator, and trained confirmers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from defensa import testing
from defensa.network import actions as network_actions
from defensa.network.models import Committee, Person, QualificationKind, Role
from defensa.shifts import actions
from defensa.shifts.models import ShiftRole, ShiftTemplate


def qualify(person: Person, committee: Committee, kind: str = QualificationKind.CONFIRMER) -> None:
    network_actions.grant_qualification(
        actor=None,
        committee=committee,
        person=person,
        kind=kind,
        expires_at=timezone.now() + timedelta(days=3 * 365),
    )


@pytest.fixture
def committee() -> Committee:
    return testing.committee("Comité de Pilsen")


@pytest.fixture
def zone(committee: Committee):
    return network_actions.create_zone(actor=None, committee=committee, name="Pilsen Este")


@pytest.fixture
def coordinator(committee: Committee) -> Person:
    return testing.member(committee, roles=[Role.COORDINATOR], name="Doña Chela", username="chela")


@pytest.fixture
def confirmers(committee: Committee) -> list[Person]:
    people = []
    for index, name in enumerate(["Tavo", "Lupita", "Marisol"]):
        person = testing.member(committee, name=name, username=f"confirmer{index}")
        qualify(person, committee)
        people.append(person)
    return people


@pytest.fixture
def template(committee: Committee, zone) -> ShiftTemplate:
    return actions.create_template(
        actor=None, committee=committee, zone=zone, role=ShiftRole.CONFIRMER, needed=2
    )
