"""Offline US geography: ZIP codes, counties (FIPS) and coarse H3 cells.

The finest location Defensa keeps for an area or a subscriber is an H3 cell of resolution 7
(about 5 km²). Tables come from packages with embedded data; nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import h3
import zipcodes

# Resolution 7 cells average ~5.16 km²: the finest grain we store.
FINEST_RESOLUTION = 7
COARSEST_AREA_RESOLUTION = 3

ZIP_RE = re.compile(r"^\d{5}$")
FIPS_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Zip:
    code: str
    state: str
    county_fips: str
    lat: float
    lng: float


@dataclass(frozen=True)
class County:
    fips: str
    name: str
    state: str


@cache
def _counties() -> dict[str, County]:
    """Every county FIPS code seen in the Census vintages shipped with `addfips`, newest name."""
    states: dict[str, str] = {}
    root = resources.files("addfips") / "data"
    with (root / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            states[row["fips"]] = row["postal"]
    counties: dict[str, County] = {}
    for vintage in ("2000", "2010", "2015", "2020"):
        with (root / f"counties_{vintage}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                fips = row["statefp"] + row["countyfp"]
                counties[fips] = County(fips, row["name"], states.get(row["statefp"], ""))
    return counties


@cache
def _county_by_name() -> dict[tuple[str, str], str]:
    return {(c.state, c.name.casefold()): c.fips for c in _counties().values()}


@cache
def _zips() -> dict[str, Zip]:
    table: dict[str, Zip] = {}
    by_name = _county_by_name()
    for entry in zipcodes.list_all():
        if not entry.get("active", True) or not entry.get("lat"):
            continue
        county = by_name.get((entry["state"], str(entry.get("county", "")).casefold()), "")
        table[entry["zip_code"]] = Zip(
            code=entry["zip_code"],
            state=entry["state"],
            county_fips=county,
            lat=float(entry["lat"]),
            lng=float(entry["long"]),
        )
    return table


def county(fips: str) -> County | None:
    return _counties().get(fips) if FIPS_RE.match(fips) else None


def zip_code(code: str) -> Zip | None:
    return _zips().get(code) if ZIP_RE.match(code) else None


def valid_area_cell(cell: str) -> bool:
    """An H3 cell usable for an area: valid, and no finer than FINEST_RESOLUTION."""
    try:
        return bool(h3.is_valid_cell(cell)) and (
            COARSEST_AREA_RESOLUTION <= h3.get_resolution(cell) <= FINEST_RESOLUTION
        )
    except (ValueError, TypeError):
        return False


def coarse_cell(lat: float, lng: float) -> str:
    """The resolution-7 cell around a point: the only form in which a point may be kept."""
    return str(h3.latlng_to_cell(lat, lng, FINEST_RESOLUTION))


def cell_center(cell: str) -> tuple[float, float]:
    lat, lng = h3.cell_to_latlng(cell)
    return float(lat), float(lng)


def parent_cells(cell: str) -> list[str]:
    """The cell itself and each coarser cell containing it, finest first, down to res 3."""
    resolution = h3.get_resolution(cell)
    return [
        str(h3.cell_to_parent(cell, r)) if r < resolution else cell
        for r in range(resolution, COARSEST_AREA_RESOLUTION - 1, -1)
    ]


# ZIP centres indexed by resolution-4 cells (~22 km across) for nearest-ZIP lookups.
_ZIP_INDEX_RESOLUTION = 4
NEAREST_ZIP_KM = 15.0


@cache
def _zip_index() -> dict[str, list[Zip]]:
    index: dict[str, list[Zip]] = {}
    for entry in _zips().values():
        if abs(entry.lat) < 0.01 and abs(entry.lng) < 0.01:
            continue  # military and overseas ZIPs listed at 0, 0
        cell = str(h3.latlng_to_cell(entry.lat, entry.lng, _ZIP_INDEX_RESOLUTION))
        index.setdefault(cell, []).append(entry)
    return index


def nearest_zip(lat: float, lng: float) -> Zip | None:
    """The ZIP code whose centre is nearest a point (within NEAREST_ZIP_KM), offline.

    Used to route a map pin or a geocoded place by ZIP and county when no ZIP was given.
    """
    try:
        origin = h3.latlng_to_cell(lat, lng, _ZIP_INDEX_RESOLUTION)
    except (ValueError, TypeError):
        return None
    index = _zip_index()
    best: tuple[float, Zip] | None = None
    for cell in h3.grid_disk(origin, 1):
        for entry in index.get(str(cell), ()):
            distance = h3.great_circle_distance((lat, lng), (entry.lat, entry.lng), unit="km")
            if distance <= NEAREST_ZIP_KM and (best is None or distance < best[0]):
                best = (distance, entry)
    return best[1] if best else None


@cache
def _zips_by_county() -> dict[str, tuple[Zip, ...]]:
    by: dict[str, list[Zip]] = {}
    for entry in _zips().values():
        if entry.county_fips:
            by.setdefault(entry.county_fips, []).append(entry)
    return {fips: tuple(found) for fips, found in by.items()}


def zips_in_county(fips: str) -> tuple[Zip, ...]:
    """The ZIP codes (with their centres) whose county is `fips`."""
    return _zips_by_county().get(fips, ())
