"""Who an alert's area reaches: every cell any part of which is within the radius, and the
subscriptions holding those cells or coarser ones containing them."""

from __future__ import annotations

import math
import random

import h3
import pytest

from defensa import testing
from defensa.alerts import selection
from defensa.alerts.models import SubscriptionStatus
from defensa.alerts.tests import delivery_fakes as world

CENTER = world.CENTER


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    ky, kx = selection._plane(*a)
    return math.hypot((a[0] - b[0]) * ky, (a[1] - b[1]) * kx)


def _point_at(rng: random.Random, radius_km: float) -> tuple[float, float]:
    distance = radius_km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    ky, kx = selection._plane(*CENTER)
    return (
        CENTER[0] + distance * math.sin(angle) / ky,
        CENTER[1] + distance * math.cos(angle) / kx,
    )


@pytest.mark.parametrize("radius_km", [0.3, 1.5, 5.0])
def test_every_point_within_the_radius_falls_in_a_selected_cell(radius_km: float) -> None:
    cells = selection.cells_within(CENTER, radius_km)
    rng = random.Random(radius_km)
    for _ in range(3000):
        point = _point_at(rng, radius_km * 0.999)
        assert h3.latlng_to_cell(*point, selection.RESOLUTION) in cells


@pytest.mark.parametrize("radius_km", [1.5, 5.0])
def test_no_cell_entirely_outside_the_radius_is_selected(radius_km: float) -> None:
    for cell in selection.cells_within(CENTER, radius_km):
        outline = h3.cell_to_boundary(cell)
        # Some part of the cell is close: a vertex, or an edge whose midpoint is near.
        near = min(_km(CENTER, vertex) for vertex in outline)
        assert near <= radius_km + 2.7  # an edge of a resolution-7 cell is ~1.4 km
    ring = h3.grid_ring(h3.latlng_to_cell(*CENTER, selection.RESOLUTION), 12)
    assert not set(ring) & selection.cells_within(CENTER, 5.0)


def test_coarse_cells_become_fine_ones() -> None:
    county = h3.cell_to_parent(h3.latlng_to_cell(*CENTER, 7), 5)
    assert selection.finest([county]) == set(h3.cell_to_children(county, 7))
    assert selection.finest(["not a cell", h3.latlng_to_cell(*CENTER, 9)]) == set()


def test_the_in_memory_index_agrees_with_the_database() -> None:
    pairs = []
    rng = random.Random(5)
    for n in range(400):
        lat, lng = _point_at(rng, 12.0)
        resolution = rng.choice([7, 7, 7, 6, 5])
        pairs.append((n, h3.latlng_to_cell(lat, lng, resolution)))
    index = selection.CellIndex(pairs)
    area = selection.cells_within(CENTER, 3.0)
    keys = selection.match_keys(area)
    expected = {n for n, cell in pairs if cell in keys}
    assert index.lookup(keys) == expected == index.within(CENTER, 3.0)
    assert expected  # the area holds someone


@pytest.mark.django_db
def test_stopped_and_gone_subscriptions_are_not_selected() -> None:
    committee = testing.committee()
    cell = h3.latlng_to_cell(*CENTER, 7)
    active, stopped, gone = world.subscribe(
        committee,
        channel="sms",
        addresses=["+13125550001", "+13125550002", "+13125550003"],
        cells=[cell],
    )
    stopped.status = SubscriptionStatus.STOPPED
    stopped.save(update_fields=["status"])
    gone.status = SubscriptionStatus.GONE
    gone.save(update_fields=["status"])
    assert selection.subscriptions_in([cell]) == {active.pk}
    assert selection.CellIndex.from_database().lookup({cell}) == {active.pk}
