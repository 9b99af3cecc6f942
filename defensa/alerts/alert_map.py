"""The public alerts map: the cells of current alerts as inline SVG, drawn on the server.

Each alert is drawn from its cells' boundaries (`h3.cell_to_boundary`); an alert of many
cells (a reminder for a whole county) is drawn as the outline of their union instead, which
keeps the page small on a 2G phone. A simple equirectangular projection with longitudes
shrunk by the cosine of the middle latitude is enough at a city's scale. Nothing is loaded
from elsewhere: no tiles, no scripts, no third-party request. Colours are presentation
attributes (the site's CSP allows no inline styles).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import h3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from defensa.alerts.models import AlertKind

WIDTH = 640
MAX_HEIGHT = 420
PAD = 14
PER_CELL_LIMIT = 150  # beyond this, the outline of the union

COLOURS: dict[str, tuple[str, str]] = {
    AlertKind.CONFIRMED: ("#c62828", "#8e0000"),
    AlertKind.FALSE_ALARM: ("#2e7d32", "#1b5e20"),
    AlertKind.ALL_CLEAR: ("#1565c0", "#0d47a1"),
    AlertKind.KNOW_YOUR_RIGHTS: ("#6a1b9a", "#4a148c"),
}

Ring = Sequence[tuple[float, float]]  # (lat, lng)


@dataclass(frozen=True)
class Shape:
    """One alert on the map: its number in the list, kind, title and link target."""

    number: int
    kind: str
    title: str
    anchor: str
    cells: Sequence[str]


def rings(cells: Sequence[str]) -> list[Ring]:
    """The outlines to draw for a set of cells: each cell, or the union's outer rings."""
    valid = [c for c in cells if h3.is_valid_cell(c)]
    if not valid:
        return []
    if len(valid) <= PER_CELL_LIMIT:
        return [h3.cell_to_boundary(c) for c in valid]
    return outline(valid)


def outline(cells: Sequence[str]) -> list[Ring]:
    """Outer rings of the union of same-resolution cells (holes are left out)."""
    shape = h3.cells_to_h3shape(list(cells))
    polys = [shape] if hasattr(shape, "outer") else list(shape)
    return [tuple(p.outer) for p in polys]


@dataclass(frozen=True)
class _Frame:
    west: float
    north: float
    scale: float
    cos: float

    def project(self, lat: float, lng: float) -> tuple[float, float]:
        x = (lng - self.west) * self.cos * self.scale + PAD
        y = (self.north - lat) * self.scale + PAD
        return round(x, 1), round(y, 1)


def _frame(points: Iterable[tuple[float, float]]) -> tuple[_Frame, int]:
    found = list(points)
    south = min(p[0] for p in found)
    north = max(p[0] for p in found)
    west = min(p[1] for p in found)
    east = max(p[1] for p in found)
    cos = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * cos, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((WIDTH - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
    return _Frame(west, north, scale, cos), round(span_y * scale) + 2 * PAD


def _path(shape_rings: Iterable[Ring], frame: _Frame) -> str:
    parts = []
    for ring in shape_rings:
        points = [frame.project(lat, lng) for lat, lng in ring]
        if len(points) < 3:
            continue
        head, *rest = points
        parts.append(f"M{head[0]:g} {head[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest) + "Z")
    return "".join(parts)


def _centre(cells: Sequence[str]) -> tuple[float, float]:
    points = [h3.cell_to_latlng(c) for c in cells if h3.is_valid_cell(c)]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def draw(shapes: Sequence[Shape], *, title: str, desc: str) -> SafeString | None:
    """An accessible inline SVG of the shapes, or None when there is nothing to draw."""
    drawn = [(s, rings(s.cells)) for s in shapes]
    drawn = [(s, r) for s, r in drawn if r]
    if not drawn:
        return None
    frame, height = _frame(p for _s, shape_rings in drawn for ring in shape_rings for p in ring)
    groups = []
    for shape, shape_rings in drawn:
        fill, stroke = COLOURS.get(shape.kind, ("#555555", "#333333"))
        x, y = frame.project(*_centre(shape.cells))
        groups.append(
            format_html(
                '<a href="#{}"><g><title>{}</title>'
                '<path d="{}" fill="{}" fill-opacity="0.35" stroke="{}" stroke-width="1"/>'
                '<circle cx="{}" cy="{}" r="10" fill="#ffffff" stroke="{}" stroke-width="2"/>'
                '<text x="{}" y="{}" text-anchor="middle" dominant-baseline="central" '
                'font-size="12" font-weight="bold" fill="{}">{}</text></g></a>',
                shape.anchor,
                shape.title,
                _path(shape_rings, frame),
                fill,
                stroke,
                f"{x:g}",
                f"{y:g}",
                stroke,
                f"{x:g}",
                f"{y:g}",
                stroke,
                shape.number,
            )
        )
    body = format_html_join("", "{}", ((g,) for g in groups))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
        'role="img" aria-labelledby="alerts-map-title alerts-map-desc" class="alerts-map">'
        '<title id="alerts-map-title">{}</title><desc id="alerts-map-desc">{}</desc>'
        '<rect x="0" y="0" width="{}" height="{}" fill="#f4f1ea"/>{}</svg>',
        WIDTH,
        height,
        title,
        desc,
        WIDTH,
        height,
        body,
    )
