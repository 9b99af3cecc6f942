"""State and county maps as inline SVG, drawn on the server from the offline shapes.

A state is drawn with a simple equirectangular projection, longitudes shrunk by the cosine of
the state's middle latitude (good enough for one state; no projection library). Paths use
whole-pixel relative moves, which keeps a state of 254 counties (Texas) small. The drawn paths
are kept per state: the shapes never change while the process runs. Nothing is loaded from
elsewhere: no tiles, no scripts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from defensa.campaigns import geography, topology

WIDTH = 640
PAD = 6
MAX_HEIGHT = 640


@dataclass(frozen=True)
class StateMap:
    width: int
    height: int
    counties: Mapping[str, str]  # FIPS -> path data
    names: Mapping[str, str]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


@dataclass(frozen=True)
class _Frame:
    west: float
    north: float
    scale: float
    cos: float

    def project(self, lng: float, lat: float) -> tuple[int, int]:
        x = (lng - self.west) * self.cos * self.scale + PAD
        y = (self.north - lat) * self.scale + PAD
        return round(x), round(y)


def _frame(shapes: Iterable[topology.Shape]) -> tuple[_Frame, int]:
    points = [p for s in shapes for poly in s.polygons for ring in poly for p in ring]
    west = min(p[0] for p in points)
    east = max(p[0] for p in points)
    south = min(p[1] for p in points)
    north = max(p[1] for p in points)
    cos = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * cos, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((WIDTH - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
    height = round(span_y * scale) + 2 * PAD
    return _Frame(west=west, north=north, scale=scale, cos=cos), height


def _path(shape: topology.Shape, frame: _Frame) -> str:
    parts: list[str] = []
    x0 = y0 = 0  # relative moves start from where the last ring began
    # The first move is absolute, so the paths of several counties can be joined into one.
    for polygon in shape.polygons:
        for ring in polygon:
            points: list[tuple[int, int]] = []
            for lng, lat in ring:
                point = frame.project(lng, lat)
                if not points or point != points[-1]:
                    points.append(point)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            if len(points) < 3:
                continue  # smaller than a pixel at this scale
            sx, sy = points[0]
            move = f"m{sx - x0} {sy - y0}" if parts else f"M{sx} {sy}"
            steps = " ".join(f"{b[0] - a[0]} {b[1] - a[1]}" for a, b in itertools.pairwise(points))
            parts.append(f"{move}l{steps}z")
            x0, y0 = sx, sy
    return "".join(parts)


@lru_cache(maxsize=64)
def state_map(state_postal: str) -> StateMap | None:
    """Every county of a state, projected to fit WIDTH; None for a state without shapes."""
    state = geography.states().get(state_postal)
    shapes = topology.counties_of(state.fips) if state else ()
    if not shapes:
        return None
    frame, height = _frame(shapes)
    return StateMap(
        width=WIDTH,
        height=height,
        counties={s.fips: _path(s, frame) for s in shapes},
        names={s.fips: s.name for s in shapes},
    )


def drawn_as(fips: str) -> frozenset[str]:
    """The shapes that draw a county: itself, or for a Connecticut planning region (no shape
    of its own) the old counties it overlaps."""
    if fips in topology.counties():
        return frozenset({fips})
    found = geography.county(fips)
    return frozenset(p for p in (found.predecessors if found else ()) if p in topology.counties())


def _svg_open(drawn: StateMap, *, ident: str, title: str, desc: str) -> SafeString:
    return format_html(
        '<svg class="shape-map" viewBox="{}" width="{}" height="{}" role="img" '
        'aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
        drawn.view_box,
        drawn.width,
        drawn.height,
        ident,
        ident,
        ident,
        title,
        ident,
        desc,
    )


def county_svg(fips: str, *, title: str, desc: str, ident: str = "county-map") -> SafeString | None:
    """The county filled, its state's other counties outlined."""
    county = geography.county(fips)
    drawn = state_map(county.state) if county else None
    highlight = drawn_as(fips)
    if drawn is None or not highlight:
        return None
    others = "".join(d for f, d in drawn.counties.items() if f not in highlight)
    mine = "".join(drawn.counties[f] for f in sorted(highlight))
    return format_html(
        '{}<path class="others" d="{}" fill="#f4f4f4" stroke="#999" stroke-width="0.6"/>'
        '<path class="this" d="{}" fill="#b3261e" stroke="#5c0f0b" stroke-width="1.2"/></svg>',
        _svg_open(drawn, ident=ident, title=title, desc=desc),
        others,
        mine,
    )


# Fills for "how many agreements", lightest to darkest; the class names carry the same steps.
STEPS = ((0, "#f4f4f4"), (1, "#f6c9c4"), (2, "#e3867c"), (5, "#b3261e"))


def step(count: int) -> int:
    return max(i for i, (low, _fill) in enumerate(STEPS) if count >= low)


def state_svg(
    state_postal: str,
    counts: Mapping[str, int],
    *,
    title: str,
    desc: str,
    labels: Mapping[str, str],
    ident: str = "state-map",
) -> SafeString | None:
    """Every county of the state shaded by `counts` (FIPS -> number), each with a tooltip
    from `labels` (FIPS -> text)."""
    drawn = state_map(state_postal)
    if drawn is None:
        return None
    by_step: dict[int, list[tuple[str, str]]] = {}
    for fips, d in drawn.counties.items():
        by_step.setdefault(step(counts.get(fips, 0)), []).append(
            (d, labels.get(fips, drawn.names[fips]))
        )
    # One group per step carries the fill and stroke, so each county is only its path.
    body = format_html_join(
        "",
        '<g class="step-{}" fill="{}" stroke="#777" stroke-width="0.5">{}</g>',
        (
            (
                level,
                STEPS[level][1],
                format_html_join("", '<path d="{}"><title>{}</title></path>', items),
            )
            for level, items in sorted(by_step.items())
        ),
    )
    return format_html("{}{}</svg>", _svg_open(drawn, ident=ident, title=title, desc=desc), body)
