"""The incidents cast: Pilsen (ZIP 60608) and Aurora (Arapahoe County) with their people."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from defensa import testing
from defensa.hotline import actions as hotline
from defensa.hotline.actions import Incoming
from defensa.hotline.models import Report
from defensa.incidents import clustering
from defensa.incidents.models import Incident
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role


@pytest.fixture
def pilsen():
    committee = testing.committee("Comité de Pilsen")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60609")
    return committee


@pytest.fixture
def aurora():
    committee = testing.committee(
        "Comité de Aurora", reg=testing.region("Colorado", net=testing.network("Red CO"))
    )
    network_actions.add_area_unit(
        actor=None, committee=committee, kind=AreaKind.COUNTY, value="08005"
    )
    return committee


@pytest.fixture
def dispatcher(pilsen):
    return testing.member(pilsen, roles=[Role.DISPATCHER], name="Paty", username="paty")


def report(
    text: str,
    *,
    channel: str = "web",
    point: tuple[float, float] | None = None,
    zip_code: str = "",
    minutes_ago: float = 0,
    now: datetime | None = None,
    **kw,
) -> Report:
    """A stored report, seen `minutes_ago` (so times can be arranged), then placed."""
    seen = (now or timezone.now()) - timedelta(minutes=minutes_ago)
    stored = hotline.receive_report(
        Incoming(
            channel=channel,
            language="es",
            text=text,
            point=point,
            zip_code=zip_code,
            observed_at=seen,
            **kw,
        )
    )
    return stored


def place(item: Report) -> Incident:
    """Group a report that has a place (use clustering.cluster_report for one without)."""
    found = clustering.cluster_report(report=item)
    assert found is not None
    return found
