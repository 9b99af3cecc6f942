"""The hotline cast: two committees with areas and numbers, and their dispatchers."""

from __future__ import annotations

import pytest

from defensa import testing
from defensa.hotline.models import HotlineNumber
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role

PILSEN_NUMBER = "+13125550000"
AURORA_NUMBER = "+17205550000"


@pytest.fixture
def pilsen():
    committee = testing.committee("Comité de Pilsen")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    HotlineNumber.objects.create(committee=committee, number=PILSEN_NUMBER)
    return committee


@pytest.fixture
def aurora():
    committee = testing.committee(
        "Comité de Aurora", reg=testing.region("Colorado", net=testing.network())
    )
    network_actions.add_area_unit(
        actor=None, committee=committee, kind=AreaKind.COUNTY, value="08005"
    )
    HotlineNumber.objects.create(committee=committee, number=AURORA_NUMBER)
    return committee


@pytest.fixture
def dispatcher(pilsen):
    return testing.member(pilsen, roles=[Role.DISPATCHER], name="Paty", username="paty")
