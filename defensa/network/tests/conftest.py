"""The cast most network tests share: a committee and its coordinator."""

from __future__ import annotations

import pytest

from defensa import testing
from defensa.network.models import Committee, Person, Role


@pytest.fixture
def committee() -> Committee:
    return testing.committee("Comité de Pilsen")


@pytest.fixture
def coordinator(committee: Committee) -> Person:
    return testing.member(committee, roles=[Role.COORDINATOR], name="Chela", username="chela")
