"""Verified incidents, counted by county and month for the public facts pages and exports.

Only counts leave this module, never an incident: not its time, place, activity or code.
An incident counts when its confirmers' disposition is *confirmed* or *probable*. Its county
comes from its ZIP code, else from the centre of its coarse cell (`core.geo`); its month is
the month it was first seen, on its committee's clock.

Small numbers could point at one event ("one raid in Galveston County in March"), so a
county-month below SMALLEST is never shown as a number: pages say "fewer than 5" for it, the
same words for none at all (so a page never tells 0 from 1-4), and the export leaves such
rows out. No total across months is shown, since a total minus the months shown would give
the hidden ones back.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone

from defensa.core import geo
from defensa.incidents.models import Disposition, Incident

SMALLEST = 5
VERIFIED = (Disposition.CONFIRMED, Disposition.PROBABLE)
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first day of the month
    count: int | None  # None: fewer than SMALLEST (including none)

    @property
    def suppressed(self) -> bool:
        return self.count is None


@lru_cache(maxsize=65536)
def _county_of_cell(cell: str) -> str:
    try:
        lat, lng = geo.cell_center(cell)
    except (ValueError, TypeError):
        return ""
    found = geo.nearest_zip(lat, lng)
    return found.county_fips if found else ""


def county_of(*, zip_code: str, cell: str) -> str:
    """The county FIPS of an incident's place, or "" when it cannot be told offline."""
    if zip_code:
        found = geo.zip_code(zip_code)
        if found is not None and found.county_fips:
            return found.county_fips
    return _county_of_cell(cell) if cell else ""


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _month(at: datetime, zone: str) -> date:
    local = at.astimezone(_zone(zone))
    return date(local.year, local.month, 1)


def _verified_rows(fips: str | None = None) -> Iterator[tuple[str, date]]:
    """(county, month) of each verified incident; only those that may be in `fips` when given."""
    rows = Incident.objects.filter(disposition__in=VERIFIED)
    if fips is not None:
        zips = [z.code for z in geo.zips_in_county(fips)]
        # Candidates: a ZIP of the county, or no usable ZIP (then the cell decides).
        rows = rows.filter(zip_code__in=zips) | rows.filter(zip_code="").exclude(cell="")
    values = rows.values_list("zip_code", "cell", "first_seen_at", "committee__timezone")
    for zip_code, cell, seen, zone in values.iterator(chunk_size=2000):
        county = county_of(zip_code=zip_code, cell=cell)
        if county and (fips is None or county == fips):
            yield county, _month(seen, zone)


def _months_back(today: date, months: int) -> list[date]:
    out = []
    year, month = today.year, today.month
    for _i in range(months):
        out.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def monthly_counts(
    fips: str, *, months: int = MONTHS_SHOWN, today: date | None = None
) -> list[MonthCount]:
    """The last `months` months (this one included, oldest first) for one county."""
    today = today or timezone.localdate()
    counts = Counter(month for _county, month in _verified_rows(fips))
    return [
        MonthCount(month=m, count=n if (n := counts.get(m, 0)) >= SMALLEST else None)
        for m in _months_back(today, months)
    ]


def all_counts() -> list[tuple[str, date, int]]:
    """Every county-month with at least SMALLEST verified incidents, by county then month.
    Rows under the threshold are not there at all."""
    counts = Counter(_verified_rows())
    return sorted((county, month, n) for (county, month), n in counts.items() if n >= SMALLEST)
