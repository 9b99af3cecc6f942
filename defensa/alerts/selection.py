"""Who an alert concerns: the active subscriptions whose cells meet the alert's cells.

An area is a set of H3 cells. Subscriptions keep resolution-7 cells (about 5 km², the finest
place we keep) or coarser ones (a county-sized choice); an alert's area may be either too. Both
sides are brought to the same terms: the alert's cells become resolution-7 cells, and a
subscription matches when one of its cells is one of those or contains one (a parent).

`cells_within` turns a point and a radius into cells: every resolution-7 cell any part of which
lies within the radius (the edge decided exactly on the cell's outline, not by its centre).
Two ways to find subscriptions: the database (SubscriptionCell's cell index) for fan-out, and
`CellIndex`, the same mapping in memory, for places that ask many times.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable

import h3

from defensa.alerts.models import (
    Alert,
    Delivery,
    DeliveryStatus,
    Reached,
    Subscription,
    SubscriptionCell,
    SubscriptionStatus,
)
from defensa.core import geo

RESOLUTION = geo.FINEST_RESOLUTION
EARTH_KM = 6371.0088
QUERY_CHUNK = 2000


# --- Areas -------------------------------------------------------------------------------------


def _point(center: str | tuple[float, float]) -> tuple[float, float]:
    if isinstance(center, str):
        return geo.cell_center(center)
    return float(center[0]), float(center[1])


def _plane(lat0: float, lng0: float) -> tuple[float, float]:
    """Kilometres per degree of latitude and of longitude around a point (a local tangent
    plane: within tens of kilometres its error is far below a metre)."""
    per_degree = math.pi * EARTH_KM / 180.0
    return per_degree, per_degree * math.cos(math.radians(lat0))


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _meets(cell: str, lat0: float, lng0: float, radius_km: float) -> bool:
    """Whether any part of `cell` lies within `radius_km` of the point."""
    ky, kx = _plane(lat0, lng0)
    lat, lng = h3.cell_to_latlng(cell)
    if math.hypot((lat - lat0) * ky, (lng - lng0) * kx) <= radius_km:
        return True  # its centre is inside
    outline = [((b - lng0) * kx, (a - lat0) * ky) for a, b in h3.cell_to_boundary(cell)]
    inside = False
    for (ax, ay), (bx, by) in zip(outline, outline[1:] + outline[:1], strict=True):
        if _segment_distance(0.0, 0.0, ax, ay, bx, by) <= radius_km:
            return True
        if (ay > 0) != (by > 0) and (bx - ax) * (0 - ay) / (by - ay) + ax > 0:
            inside = not inside
    return inside  # the point is inside the cell (a radius smaller than the cell)


def cells_within(center: str | tuple[float, float], radius_km: float) -> set[str]:
    """Resolution-7 cells any part of which is within `radius_km` of `center` (a cell, whose
    centre is taken, or a (lat, lng) point)."""
    lat0, lng0 = _point(center)
    origin = h3.latlng_to_cell(lat0, lng0, RESOLUTION)
    found = {origin}
    k = 1
    # Each ring surrounds the ones inside it: once a whole ring misses the disc, so does
    # everything beyond it.
    while True:
        hits = [cell for cell in h3.grid_ring(origin, k) if _meets(cell, lat0, lng0, radius_km)]
        if not hits:
            return found
        found.update(hits)
        k += 1


def finest(cells: Iterable[str]) -> set[str]:
    """The area's cells as resolution-7 cells (a coarser cell becomes its children)."""
    out: set[str] = set()
    for cell in cells:
        if not geo.valid_area_cell(cell):
            continue
        resolution = h3.get_resolution(cell)
        if resolution == RESOLUTION:
            out.add(cell)
        else:
            out.update(h3.cell_to_children(cell, RESOLUTION))
    return out


def match_keys(cells: Iterable[str]) -> set[str]:
    """Every cell a subscription meeting the area can hold: the area's resolution-7 cells and
    the coarser cells containing them."""
    area = finest(cells)
    keys = set(area)
    for resolution in range(RESOLUTION - 1, geo.COARSEST_AREA_RESOLUTION - 1, -1):
        keys.update({h3.cell_to_parent(cell, resolution) for cell in area})
    return keys


# --- Subscriptions ---------------------------------------------------------------------------


def subscriptions_in(cells: Iterable[str]) -> set[int]:
    """Ids of active subscriptions meeting the area (the database path)."""
    keys = sorted(match_keys(cells))
    found: set[int] = set()
    for start in range(0, len(keys), QUERY_CHUNK):
        found.update(
            SubscriptionCell.objects.filter(
                cell__in=keys[start : start + QUERY_CHUNK],
                subscription__status=SubscriptionStatus.ACTIVE,
            ).values_list("subscription_id", flat=True)
        )
    return found


def targets(alert: Alert) -> dict[str, list[int]]:
    """Who the alert goes to, by channel: the area's active subscriptions, and for a
    correction also everyone the alert it corrects reached who is still subscribed, and
    everyone in its batches being sent right now (they may be reached after this query; its
    batches not yet started are withdrawn, see `fanout.deliver`)."""
    ids = subscriptions_in(alert.cells)
    if alert.corrects_id is not None:
        ids.update(
            Reached.objects.filter(alert_id=alert.corrects_id).values_list(
                "subscription_id", flat=True
            )
        )
        in_flight = Delivery.objects.filter(
            alert_id=alert.corrects_id, status=DeliveryStatus.CLAIMED
        ).values_list("subscriptions", flat=True)
        for members in in_flight:
            ids.update(int(pk) for pk in members)
    by_channel: dict[str, list[int]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), QUERY_CHUNK):
        rows = Subscription.objects.filter(
            pk__in=ordered[start : start + QUERY_CHUNK], status=SubscriptionStatus.ACTIVE
        ).values_list("pk", "channel")
        for pk, channel in rows:
            by_channel.setdefault(channel, []).append(pk)
    for members in by_channel.values():
        members.sort()
    return by_channel


class CellIndex:
    """Cell -> subscription ids, in memory (compact arrays: a million subscribers fit in tens of
    megabytes). Build it from (subscription id, cell) pairs."""

    def __init__(self, pairs: Iterable[tuple[int, str]] = ()) -> None:
        self._cells: dict[str, array[int]] = {}
        for subscription, cell in pairs:
            self.add(subscription, cell)

    def add(self, subscription: int, cell: str) -> None:
        ids = self._cells.get(cell)
        if ids is None:
            ids = self._cells[cell] = array("q")
        ids.append(subscription)

    def __len__(self) -> int:
        return len(self._cells)

    def lookup(self, keys: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            ids = self._cells.get(key)
            if ids is not None:
                found.update(ids)
        return found

    def within(self, center: str | tuple[float, float], radius_km: float) -> set[int]:
        return self.lookup(match_keys(cells_within(center, radius_km)))

    @classmethod
    def from_database(cls, *, chunk: int = 20000) -> CellIndex:
        index = cls()
        rows = SubscriptionCell.objects.filter(
            subscription__status=SubscriptionStatus.ACTIVE
        ).values_list("subscription_id", "cell")
        for subscription, cell in rows.iterator(chunk_size=chunk):
            index.add(subscription, cell)
        return index
