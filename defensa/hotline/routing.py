"""Which committee a report goes to: the one whose area holds its place, else the one whose
number it reached, else the network's intake committee (the oldest committee)."""

from __future__ import annotations

from defensa.core import geo
from defensa.hotline.models import HotlineNumber, RoutedBy
from defensa.network.models import AreaKind, AreaUnit, Committee


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


def route(*, zip_code: str = "", cell: str = "", number: str = "") -> tuple[Committee, str]:
    committee = committee_for_place(zip_code=zip_code, cell=cell)
    if committee is not None:
        return committee, RoutedBy.AREA
    committee = committee_for_number(number) if number else None
    if committee is not None:
        return committee, RoutedBy.NUMBER
    fallback = Committee.objects.order_by("created_at", "id").first()
    if fallback is None:
        raise LookupError("there is no committee to take reports")
    return fallback, RoutedBy.DEFAULT
