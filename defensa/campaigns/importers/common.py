"""Small readers shared by the importers of offices, facilities and statistics."""

from __future__ import annotations

import math
import re
from typing import Any

from defensa.campaigns import geography
from defensa.campaigns.geography import clean
from defensa.campaigns.importers.base import RowRejected
from defensa.core import geo

MISSING = frozenset({"", "na", "n/a", "#n/a", "null", "none", "nan"})
ZIP_RE = re.compile(r"^(\d{1,5})(?:-\d{4})?$")


def text(value: Any, *, limit: int = 200) -> str:
    found = clean(value)
    return "" if found.casefold() in MISSING else found[:limit]


def required(value: Any, column: str, *, limit: int = 200) -> str:
    found = text(value, limit=limit + 1)
    if not found:
        raise RowRejected("missing_value", column=column)
    if len(found) > limit:
        raise RowRejected("too_long", column=column, limit=limit)
    return found


def zip5(value: Any) -> str:
    """ "02863" from 2863 (Excel drops the zeros), "98520-1234" or "98520"; else ""."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    match = ZIP_RE.match(text(value))
    return match.group(1).zfill(5) if match else ""


def number(value: Any, column: str) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        found = float(value)
    else:
        raw = text(value)
        if not raw:
            return None
        try:
            found = float(raw.replace(",", ""))
        except ValueError as exc:
            raise RowRejected("number_unreadable", column=column, value=raw[:40]) from exc
    if not math.isfinite(found):
        raise RowRejected("number_unreadable", column=column, value=str(value)[:40])
    return found


def whole(value: Any, column: str) -> int | None:
    found = number(value, column)
    if found is None:
        return None
    if found < 0 or found > 10_000_000:
        raise RowRejected("number_unreadable", column=column, value=str(value)[:40])
    return round(found)


def in_us(lat: float, lng: float) -> bool:
    """Within the states and territories (Guam and the Marianas lie east of 140°E)."""
    return -15 <= lat <= 72 and (-180 <= lng <= -60 or 140 <= lng <= 150)


def coordinates(lat: Any, lng: Any) -> tuple[float | None, float | None, dict[str, Any] | None]:
    """(lat, lng, None), or (None, None, problem params) when they are not a US place."""
    try:
        a, b = number(lat, "lat"), number(lng, "lng")
    except RowRejected:
        return None, None, {"lat": str(lat)[:20], "lng": str(lng)[:20]}
    if a is None or b is None:
        return None, None, None
    if not in_us(a, b):
        return None, None, {"lat": str(lat)[:20], "lng": str(lng)[:20]}
    return a, b, None


def county_of(state: str, county_name: str, zip_code: str) -> str:
    """A county FIPS from a county name in a state, else from the ZIP code's county."""
    if county_name:
        found = geography.resolve_county(state, county_name)
        if found is not None:
            return found.fips
    entry = geo.zip_code(zip_code) if zip_code else None
    return entry.county_fips if entry is not None and entry.state == state else ""


def state_of(value: Any) -> str:
    return geography.state_code(text(value, limit=40))


def required_state(value: Any, column: str) -> str:
    raw = required(value, column, limit=40)
    found = geography.state_code(raw)
    if not found:
        raise RowRejected("unknown_state", column=column, value=raw)
    return found


def name_key(name: str) -> str:
    """Facility names compared loosely: case, punctuation and spacing folded."""
    return re.sub(r"[^a-z0-9]+", " ", clean(name).casefold()).strip()
