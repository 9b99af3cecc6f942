"""Which committee a report goes to: the one whose area holds its place, else the one whose
number it reached, else the network's intake committee (the oldest committee).

Answers are remembered in the cache (a report costs no routing query while areas stay as they
are). Any change to an area, a committee or a hotline number forgets them all at once: the
remembered answers hang off a version that `forget_routes` replaces.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.db import transaction

from defensa.core import geo
from defensa.hotline.models import HotlineNumber, RoutedBy
from defensa.network.models import AreaKind, AreaUnit, Committee

ROUTES_SECONDS = 600
_VERSION = "defensa:routes:version"


class NoCommittee(LookupError):
    """A new installation without any committee: nobody could read a report yet."""


def committee_for_place(*, zip_code: str = "", cell: str = "") -> Committee | None:
    """The committee whose area names this ZIP code, this cell, or the ZIP's county."""
    candidates = []
    if zip_code:
        candidates.append((AreaKind.ZIP, zip_code))
        found = geo.zip_code(zip_code)
        if found and found.county_fips:
            candidates.append((AreaKind.COUNTY, found.county_fips))
    if cell:
        # An area may name a coarser cell that contains the report's cell.
        candidates += [(AreaKind.CELL, parent) for parent in geo.parent_cells(cell)]
    # Most precise first: a ZIP or a cell beats a whole county.
    for kind, value in candidates:
        unit = (
            AreaUnit.objects.filter(kind=kind, value=value)
            .select_related("committee")
            .order_by("committee__created_at")
            .first()
        )
        if unit is not None:
            return unit.committee
    return None


def committee_for_number(number: str) -> Committee | None:
    found = HotlineNumber.objects.filter(number=number).select_related("committee").first()
    return found.committee if found else None


def _route(*, zip_code: str, cell: str, number: str) -> tuple[Committee, str]:
    committee = committee_for_place(zip_code=zip_code, cell=cell)
    if committee is not None:
        return committee, RoutedBy.AREA
    committee = committee_for_number(number) if number else None
    if committee is not None:
        return committee, RoutedBy.NUMBER
    fallback = Committee.objects.order_by("created_at", "id").first()
    if fallback is None:
        raise NoCommittee("there is no committee to take reports")
    return fallback, RoutedBy.DEFAULT


def route(*, zip_code: str = "", cell: str = "", number: str = "") -> tuple[Committee, str]:
    # The version is read before the database: an answer worked out from areas that changed
    # meanwhile is filed under a version already forgotten.
    version = cache.get(_VERSION)
    if version is None:
        cache.add(_VERSION, secrets.token_hex(8), timeout=None)
        version = cache.get(_VERSION)
    # ZIPs and cells are coarse (never a precise place); numbers are the hotline's own.
    key = f"defensa:route:{version}:{zip_code}:{cell}:{number}"
    remembered = cache.get(key) if version else None
    if remembered is not None:
        return remembered[0], remembered[1]
    committee, routed_by = _route(zip_code=zip_code, cell=cell, number=number)
    if version:
        cache.set(key, (committee, str(routed_by)), timeout=ROUTES_SECONDS)
    return committee, routed_by


def forget_routes(**kwargs: Any) -> None:
    """Areas, committees or numbers changed: no remembered answer holds any more."""
    cache.delete(_VERSION)
    # Once more after the change is committed, for answers worked out in between.
    transaction.on_commit(lambda: cache.delete(_VERSION))
