"""Grouping reports of the same event, incrementally and explainably.

Each new report is compared with the incidents that are near it in place and time, and joins
the best one whose score passes a threshold, or opens a new one. Nothing is learned: the
score is a sum of a few readable parts (how near, how close in time, what the words and the
facts have in common, what contradicts), and each part says why it counted.

Place is a point: the map pin or geocoded place of a report when it has one, else the centre
of its ZIP code or of its cell (what routing keeps in clear, a resolution-7 H3 cell of about
5 km²). Points live only in memory here; the index is by cell. This module imports no Django:
the benchmark runs it on its own, and `incidents.clustering` feeds it from the database.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import h3

CELL_RESOLUTION = 7


@dataclass(frozen=True)
class Rules:
    """The knobs a committee can read. Defaults were tuned on surges 1-3 of bench/surge.py
    (the benchmark scores other seeds)."""

    # Reports further apart than this are never the same event.
    max_km: float = 2.5
    # Nor reports further apart in time than this, measured from the incident's span.
    window_minutes: float = 120.0
    # The score an incident must reach for a report to join it.
    threshold: float = 1.4
    place_weight: float = 1.0
    time_weight: float = 0.3
    words_weight: float = 1.2
    same_zip_bonus: float = 0.2
    same_activity_bonus: float = 0.25
    same_agency_bonus: float = 0.25
    # Two named, different agencies (ICE vs. police) or activities point to two events.
    agency_conflict: float = 0.9
    activity_conflict: float = 0.5

    @property
    def rings(self) -> int:
        """How many rings of neighbouring cells can hold a point within max_km (one more than
        the distance alone asks: a point may sit at the far edge of its own cell)."""
        return math.ceil(self.max_km / CELL_SPACING_KM) + 1


# The least width of a resolution-7 cell (side to side, sqrt(3) times its edge; edges are 1.2-1.5 km
# in the United States): each ring of cells crossed adds at least this much distance.
CELL_SPACING_KM = 1.8

_STOPWORDS = """
    a al algo alli aqui ahi ahora asi con como cuando de del el ella ellos en es esta estan
    este esto hay la las le lo los me mi muy no o para pero por que se si sin son su sus un
    una uno unos y ya yo
    the a an and at are as be by for from has have he here in is it its of on or she that
    there they this to was were with near right now just
    li yo nan ak pou sou ki se te ap an la a
"""
STOPWORDS = frozenset(_STOPWORDS.split())
WORD_RE = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> frozenset[str]:
    """Content words without accents, case or the commonest words; numbers are kept (a street
    number, "3 camionetas"). Short stems make "camioneta" and "camionetas" one word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = set()
    for word in WORD_RE.findall(plain):
        if word in STOPWORDS or (len(word) < 3 and not word.isdigit()):
            continue
        words.add(word[:6])
    return frozenset(words)


# The furthest a point of a resolution-7 cell is from its centre (its edge, at most ~1.5 km
# in the United States).
CELL_RADIUS_KM = 1.6


@lru_cache(maxsize=65536)
def center(cell: str) -> tuple[float, float]:
    lat, lng = h3.cell_to_latlng(cell)
    return float(lat), float(lng)


@lru_cache(maxsize=65536)
def neighbourhood(cell: str, rings: int) -> tuple[str, ...]:
    return tuple(str(c) for c in h3.grid_disk(cell, rings))


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km on a local flat projection: within a few kilometres it is as good as a
    great circle (errors of metres), and cheap enough to call thousands of times a report."""
    dy = (a[0] - b[0]) * KM_PER_DEGREE_LAT
    dx = (a[1] - b[1]) * KM_PER_DEGREE_LNG * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.sqrt(dx * dx + dy * dy)


KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LNG = 111.320


@dataclass(frozen=True)
class Sighting:
    """What the engine knows of one report."""

    key: object  # the report's id, whatever the caller uses
    point: tuple[float, float]
    at: float  # seconds since the epoch
    zip_code: str = ""
    activity: str = ""
    agency: str = ""
    words: frozenset[str] = frozenset()

    @property
    def cell(self) -> str:
        return str(h3.latlng_to_cell(self.point[0], self.point[1], CELL_RESOLUTION))


# A group remembers this many of its points to measure distance against.
MAX_POINTS = 24


@dataclass
class Group:
    """An incident as the engine sees it: where and when its reports were, and what they said."""

    key: object
    cells: dict[str, int] = field(default_factory=dict)  # cell -> how many reports
    points: list[tuple[float, float]] = field(default_factory=list)
    # The box around its points: a cheap "too far from all of them" before measuring each.
    south: float = 90.0
    north: float = -90.0
    west: float = 180.0
    east: float = -180.0
    zips: set[str] = field(default_factory=set)
    activities: dict[str, int] = field(default_factory=dict)
    agencies: dict[str, int] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    first_at: float = 0.0
    last_at: float = 0.0
    size: int = 0

    def add(self, sighting: Sighting) -> None:
        self.cells[sighting.cell] = self.cells.get(sighting.cell, 0) + 1
        if len(self.points) < MAX_POINTS:
            self.points.append(sighting.point)
            lat, lng = sighting.point
            self.south, self.north = min(self.south, lat), max(self.north, lat)
            self.west, self.east = min(self.west, lng), max(self.east, lng)
        if sighting.zip_code:
            self.zips.add(sighting.zip_code)
        if sighting.activity:
            self.activities[sighting.activity] = self.activities.get(sighting.activity, 0) + 1
        if sighting.agency:
            self.agencies[sighting.agency] = self.agencies.get(sighting.agency, 0) + 1
        for word in sighting.words:
            self.words[word] = self.words.get(word, 0) + 1
        self.first_at = sighting.at if self.size == 0 else min(self.first_at, sighting.at)
        self.last_at = max(self.last_at, sighting.at)
        self.size += 1

    def main(self, counts: dict[str, int]) -> str:
        return max(counts, key=lambda k: (counts[k], k)) if counts else ""


@dataclass(frozen=True)
class Match:
    group: Group | None
    score: float
    because: tuple[tuple[str, str], ...]


Reason = tuple[str, str]  # (what, the value it is about): translated where it is shown


def nearest_km(sighting: Sighting, group: Group, limit: float) -> float:
    """The distance to the group's nearest point, or inf when its box is already too far."""
    lat, lng = sighting.point
    box = (min(max(lat, group.south), group.north), min(max(lng, group.west), group.east))
    if km(sighting.point, box) > limit:
        return math.inf
    return min(km(sighting.point, point) for point in group.points)


def score(sighting: Sighting, group: Group, rules: Rules) -> tuple[float, list[Reason]]:
    """How much a report looks like an incident, and why. -inf when it cannot be the same."""
    # Minutes outside the incident's span (0 within it: reports need not arrive in order).
    if sighting.at > group.last_at:
        gap_minutes = (sighting.at - group.last_at) / 60.0
    elif sighting.at < group.first_at:
        gap_minutes = (group.first_at - sighting.at) / 60.0
    else:
        gap_minutes = 0.0
    if gap_minutes > rules.window_minutes:
        return -math.inf, []
    distance = nearest_km(sighting, group, rules.max_km)
    if distance > rules.max_km:
        return -math.inf, []
    because: list[Reason] = [("km", f"{distance:.1f}"), ("minutes", f"{gap_minutes:.0f}")]
    total = rules.place_weight * (1.0 - distance / rules.max_km)
    total += rules.time_weight * (1.0 - gap_minutes / rules.window_minutes)
    if sighting.zip_code and sighting.zip_code in group.zips:
        total += rules.same_zip_bonus
        because.append(("zip", sighting.zip_code))
    if sighting.words and group.words:
        shared = [w for w in sighting.words if w in group.words]
        if shared:
            # Overlap against the smaller vocabulary: a short report fully contained in a
            # long incident is a strong sign.
            overlap = len(shared) / min(len(sighting.words), len(group.words))
            total += rules.words_weight * overlap
            because.append(("words", ", ".join(sorted(shared)[:6])))
    main_agency, main_activity = group.main(group.agencies), group.main(group.activities)
    if sighting.agency and main_agency:
        if sighting.agency == main_agency:
            total += rules.same_agency_bonus
            because.append(("same_agency", sighting.agency))
        elif sighting.agency not in group.agencies:
            total -= rules.agency_conflict
            because.append(("other_agency", f"{sighting.agency}/{main_agency}"))
    if sighting.activity and main_activity:
        if sighting.activity == main_activity:
            total += rules.same_activity_bonus
            because.append(("same_activity", sighting.activity))
        elif sighting.activity not in group.activities:
            total -= rules.activity_conflict
            because.append(("other_activity", f"{sighting.activity}/{main_activity}"))
    return total, because


class Engine:
    """The incidents open now, indexed by the cells their reports were in.

    `place(sighting)` decides where a new report goes and adds it; incidents whose last
    report is older than the window leave the index as time moves on (they can be found
    again in the database, to reopen, by the caller).
    """

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        self.groups: dict[object, Group] = {}
        self.by_cell: dict[str, set[object]] = {}
        self._next = 0

    def candidates(self, sighting: Sighting) -> Iterable[Group]:
        seen: set[object] = set()
        reach = self.rules.max_km + CELL_RADIUS_KM
        for cell in neighbourhood(sighting.cell, self.rules.rings):
            keys = self.by_cell.get(cell)
            # A cell whose centre is further than max_km plus its own radius holds no point
            # near enough.
            if not keys or km(sighting.point, center(cell)) > reach:
                continue
            for key in keys:
                if key not in seen:
                    seen.add(key)
                    yield self.groups[key]

    def best(self, sighting: Sighting) -> Match:
        best: Match = Match(None, -math.inf, ())
        for group in self.candidates(sighting):
            total, because = score(sighting, group, self.rules)
            if total > best.score:
                best = Match(group, total, tuple(because))
        if best.group is None or best.score < self.rules.threshold:
            return Match(None, best.score, best.because)
        return best

    def add_to(self, group: Group, sighting: Sighting) -> None:
        group.add(sighting)
        self.by_cell.setdefault(sighting.cell, set()).add(group.key)

    def open(self, sighting: Sighting, key: object | None = None) -> Group:
        if key is None:
            self._next += 1
            key = self._next
        group = Group(key=key)
        self.groups[key] = group
        self.add_to(group, sighting)
        return group

    def place(self, sighting: Sighting) -> Match:
        match = self.best(sighting)
        if match.group is not None:
            self.add_to(match.group, sighting)
            return match
        return Match(self.open(sighting), 0.0, (("new", ""),))

    def expire(self, now: float) -> int:
        """Forget incidents quiet for longer than the window (they can no longer match)."""
        limit = now - self.rules.window_minutes * 60
        gone = [key for key, group in self.groups.items() if group.last_at < limit]
        for key in gone:
            group = self.groups.pop(key)
            for cell in group.cells:
                keys = self.by_cell.get(cell)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.by_cell[cell]
        return len(gone)
