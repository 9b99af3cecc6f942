"""Importers of public data, one module per source, behind one interface (`base.Importer`).

`for_kind` maps a sheet kind to its importer; `detect` tells what an uploaded file is.
"""

from __future__ import annotations

import openpyxl

from defensa.campaigns.importers import xlsx
from defensa.campaigns.importers.base import Importer, Source
from defensa.campaigns.importers.detention_stats import SHEET_RE, DetentionStats
from defensa.campaigns.importers.facilities import IcewatchFacilities, UwchrFacilities
from defensa.campaigns.importers.ice_287g import Agencies287g
from defensa.campaigns.importers.ice_offices import IceOffices
from defensa.campaigns.importers.reasons import ImportRefused

IMPORTERS: tuple[type[Importer], ...] = (
    Agencies287g,
    IceOffices,
    UwchrFacilities,
    IcewatchFacilities,
    DetentionStats,
)
REGISTRY: dict[str, type[Importer]] = {kind: cls for cls in IMPORTERS for kind in cls.kinds}


def for_kind(kind: str) -> Importer:
    return REGISTRY[kind]()


def detect(source: Source) -> Importer:
    """The importer for a file, from its name and, for workbooks, its sheets and header."""
    name = source.name.casefold()
    if name.endswith(".json"):
        return IcewatchFacilities()
    if name.endswith((".csv.gz", ".csv", ".gz")):
        return UwchrFacilities()
    archive = xlsx.open_archive(source)
    try:
        try:
            book = openpyxl.load_workbook(
                archive.fp,
                read_only=True,
                data_only=True,
                keep_links=False,
            )
        except Exception as exc:  # damaged workbooks raise many kinds
            raise ImportRefused("unreadable_workbook", detail=type(exc).__name__) from exc
        try:
            if any(SHEET_RE.match(n.strip()) for n in book.sheetnames):
                return DetentionStats()
            if not book.worksheets:
                raise ImportRefused("no_sheet", sheet="1")
            sheet = book.worksheets[0]
            sheet.reset_dimensions()
            words: set[str] = set()
            for values in sheet.iter_rows(max_row=20, max_col=xlsx.MAX_COLUMNS, values_only=True):
                words |= {str(v).strip().casefold() for v in values if v is not None}
        finally:
            book.close()
    finally:
        fp = archive.fp
        archive.close()
        if fp is not None:
            fp.close()
    if "law enforcement agency" in words:
        return Agencies287g()
    if "office_name" in words:
        return IceOffices()
    raise ImportRefused("unknown_kind", name=source.name[:80])
