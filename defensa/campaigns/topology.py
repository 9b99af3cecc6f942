"""County and state shapes from the offline us-atlas TopoJSON (`data/us-atlas-counties-10m.json`).

TopoJSON stores each border once, as an "arc" of delta-encoded, quantized points; a polygon
is a list of rings, and a ring a list of arc indexes (a negative index `~i` is arc `i`
reversed). Decoding is small enough to do here rather than add a dependency. Everything is
read once per process and kept: the file is static, about 47,000 points in all.

The shapes are the Census Bureau's 2017 cartographic boundaries, so Connecticut has its eight
old counties, not the 2022 planning regions; a region's centre is taken from the old counties
that overlap it (`geography.CT_REGIONS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
TOPOLOGY = DATA / "us-atlas-counties-10m.json"
# What the pages name as the source of maps and county centres.
SOURCE_NAME = "us-atlas 3.0.1, counties-10m.json"
SOURCE_VINTAGE = "2017"

Point = tuple[float, float]  # (longitude, latitude)
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # the outer ring first, then holes


@dataclass(frozen=True)
class Shape:
    fips: str  # 2 digits for a state, 5 for a county
    name: str
    polygons: tuple[Polygon, ...]
    arcs: frozenset[int]  # the arcs it is drawn from (without direction)

    @property
    def state_fips(self) -> str:
        return self.fips[:2]


@cache
def _raw() -> dict[str, Any]:
    with TOPOLOGY.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def _arcs() -> tuple[tuple[Point, ...], ...]:
    """Every arc as absolute longitude and latitude."""
    raw = _raw()
    (sx, sy), (tx, ty) = raw["transform"]["scale"], raw["transform"]["translate"]
    out = []
    for arc in raw["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(tuple(points))
    return tuple(out)


def _shift(point: Point, alaska: bool) -> Point:
    # The Aleutians cross the 180th meridian: keep Alaska in one piece, west of -180.
    return (point[0] - 360.0, point[1]) if alaska and point[0] > 0 else point


def arc_points(index: int, *, alaska: bool = False) -> tuple[Point, ...]:
    arc = _arcs()[index if index >= 0 else ~index]
    points = arc if index >= 0 else tuple(reversed(arc))
    return tuple(_shift(p, alaska) for p in points) if alaska else points


def _ring(indexes: list[int], alaska: bool) -> Ring:
    points: list[Point] = []
    for i, index in enumerate(indexes):
        part = arc_points(index, alaska=alaska)
        points.extend(part if i == 0 else part[1:])  # arcs share their end points
    return tuple(points)


def _shape(geometry: dict[str, Any]) -> Shape | None:
    fips = str(geometry.get("id", ""))
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["arcs"]]
    elif kind == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return None
    alaska = fips[:2] == "02"
    used = frozenset(i if i >= 0 else ~i for poly in polygons for ring in poly for i in ring)
    return Shape(
        fips=fips,
        name=str(geometry.get("properties", {}).get("name", "")),
        polygons=tuple(tuple(_ring(ring, alaska) for ring in poly) for poly in polygons),
        arcs=used,
    )


def _collection(name: str) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for geometry in _raw()["objects"][name]["geometries"]:
        shape = _shape(geometry)
        if shape is not None and shape.fips:
            out[shape.fips] = shape
    return out


@cache
def counties() -> dict[str, Shape]:
    """County shapes by 5-digit FIPS (3,231, with Connecticut's old counties)."""
    return _collection("counties")


@cache
def states() -> dict[str, Shape]:
    """State and territory shapes by 2-digit FIPS."""
    return _collection("states")


@cache
def counties_of(state_fips: str) -> tuple[Shape, ...]:
    return tuple(s for fips, s in sorted(counties().items()) if fips[:2] == state_fips)


# --- Centres ----------------------------------------------------------------------------------


def _ring_moments(ring: Ring) -> tuple[float, float, float]:
    """Signed area and first moments of a ring (shoelace), in degrees."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return area / 2, cx / 6, cy / 6


def centre(shape: Shape) -> tuple[float, float]:
    """(lat, lng) of the shape's area centroid. Outer rings add, holes subtract, whatever
    way round the file winds them. Planar in degrees: within a county, the error against a
    true spherical centroid is far below what "the nearest office" needs."""
    total = mx = my = 0.0
    for polygon in shape.polygons:
        for i, ring in enumerate(polygon):
            area, cx, cy = _ring_moments(ring)
            if area < 0:
                area, cx, cy = -area, -cx, -cy
            sign = 1.0 if i == 0 else -1.0
            total += sign * area
            mx += sign * cx
            my += sign * cy
    if total <= 0:
        points = [p for polygon in shape.polygons for p in polygon[0]]
        lng = sum(p[0] for p in points) / len(points)
        lat = sum(p[1] for p in points) / len(points)
    else:
        lng, lat = mx / total, my / total
    if lng < -180:
        lng += 360.0
    return round(lat, 5), round(lng, 5)


@cache
def centroids() -> dict[str, tuple[float, float]]:
    """(lat, lng) of every county shape's centre, by FIPS."""
    return {fips: centre(shape) for fips, shape in counties().items()}
