"""CSV and JSON exports of every public table, streamed row by row.

Each table is a list of columns and a row source; both formats come from the same rows, so
they always agree. Rows name the file and date they come from (`*_file`, `*_as_of`). The
verified-incident table holds only county-months with at least `verified.SMALLEST`
incidents. Policies are exported without the committee that recorded them.

In CSV, a text cell that a spreadsheet would run as a formula (starting with = + - @ or a
tab) gets a leading apostrophe; JSON carries values unchanged.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from defensa.campaigns import geography, verified
from defensa.campaigns.models import (
    Agency,
    Agreement,
    DetentionFacility,
    DetentionStatistic,
    IceOffice,
    PendingAgreement,
    Policy,
    SourceSheet,
)

Row = dict[str, Any]
CHUNK = 1000


def _file(sheet: SourceSheet | None) -> str:
    return sheet.file_name if sheet else ""


def _as_of(sheet: SourceSheet | None) -> date | None:
    return sheet.as_of if sheet else None


def _seen(item: Agreement | PendingAgreement) -> Row:
    return {
        "first_seen_file": _file(item.first_seen),
        "first_seen_as_of": _as_of(item.first_seen),
        "last_seen_file": _file(item.last_seen),
        "last_seen_as_of": _as_of(item.last_seen),
        "ended_seen_file": _file(item.ended_seen),
        "ended_seen_as_of": _as_of(item.ended_seen),
        "current": item.ended_seen_id is None,
    }


SEEN = [
    "first_seen_file",
    "first_seen_as_of",
    "last_seen_file",
    "last_seen_as_of",
    "ended_seen_file",
    "ended_seen_as_of",
    "current",
]


def _iterate(items: QuerySet[Any]) -> Iterator[Any]:
    return items.iterator(chunk_size=CHUNK)


def _sheets() -> Iterator[Row]:
    for s in _iterate(SourceSheet.objects.order_by("kind", "as_of", "imported_at")):
        yield {
            "code": s.code,
            "kind": s.kind,
            "file_name": s.file_name,
            "sha256": s.sha256,
            "size": s.size,
            "as_of": s.as_of,
            "imported_on": s.imported_at.date(),
            "rows_read": s.rows_read,
            "rows_rejected": s.rows_rejected,
        }


def _agencies() -> Iterator[Row]:
    items = Agency.objects.select_related("described_by", "county_source").order_by("state", "name")
    for a in _iterate(items):
        yield {
            "code": a.code,
            "name": a.name,
            "state": a.state,
            "type": a.type,
            "county_fips": a.county_fips,
            "county_name": _county(a.county_fips),
            "county_as_written": a.county_raw,
            "described_by_file": _file(a.described_by),
            "described_by_as_of": _as_of(a.described_by),
            "county_source_file": _file(a.county_source),
            "county_source_as_of": _as_of(a.county_source),
        }


def _county(fips: str) -> str:
    found = geography.county(fips) if fips else None
    return found.name if found else ""


def _agreements() -> Iterator[Row]:
    items = Agreement.objects.select_related(
        "agency", "first_seen", "last_seen", "ended_seen"
    ).order_by("agency__state", "agency__name", "model")
    for a in _iterate(items):
        yield {
            "code": a.code,
            "agency_code": a.agency.code,
            "agency_name": a.agency.name,
            "state": a.agency.state,
            "county_fips": a.agency.county_fips,
            "model": a.model,
            "signed": a.signed,
            "signed_as_written": a.signed_raw,
            "moa_url": a.moa_url,
            "addendum_url": a.addendum_url,
            **_seen(a),
        }


def _pending() -> Iterator[Row]:
    items = PendingAgreement.objects.select_related(
        "agency", "first_seen", "last_seen", "ended_seen"
    ).order_by("agency__state", "agency__name", "model")
    for a in _iterate(items):
        yield {
            "code": a.code,
            "agency_code": a.agency.code,
            "agency_name": a.agency.name,
            "state": a.agency.state,
            "county_fips": a.agency.county_fips,
            "model": a.model,
            "moa_url": a.moa_url,
            **_seen(a),
        }


def _offices() -> Iterator[Row]:
    for o in _iterate(IceOffice.objects.select_related("source").order_by("state", "name")):
        yield {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "agency": o.agency,
            "field_office": o.field_office,
            "sub_office": o.sub_office,
            "address": o.address,
            "city": o.city,
            "state": o.state,
            "zip_code": o.zip_code,
            "county_fips": o.county_fips,
            "lat": o.lat,
            "lng": o.lng,
            "area": o.area,
            "source_file": o.source.file_name,
            "source_as_of": o.source.as_of,
        }


FACILITY_FIELDS = [
    "detloc", "name", "address", "city", "state", "zip_code", "county_fips", "aor",
    "type_detailed", "capacity", "first_used", "last_used", "lat", "lng", "coordinates_from",
    "in_uwchr", "in_icewatch", "in_stats",
]  # fmt: skip


def _facilities() -> Iterator[Row]:
    for f in _iterate(DetentionFacility.objects.order_by("state", "name")):
        yield {"code": f.code, **{name: getattr(f, name) for name in FACILITY_FIELDS}}


STATISTIC_FIELDS = [
    "fiscal_year", "aor", "type_detailed", "gender", "average_stay_days", "level_a", "level_b",
    "level_c", "level_d", "male_criminal", "male_non_criminal", "female_criminal",
    "female_non_criminal", "threat_level_1", "threat_level_2", "threat_level_3",
    "no_threat_level", "mandatory", "guaranteed_minimum", "last_inspection_type",
    "last_inspection_end", "pending_inspection", "last_inspection_standard", "last_final_rating",
]  # fmt: skip


def _statistics() -> Iterator[Row]:
    items = DetentionStatistic.objects.select_related("facility", "sheet").order_by(
        "sheet__as_of", "facility__state", "facility__name"
    )
    for s in _iterate(items):
        yield {
            "facility_code": s.facility.code,
            "detloc": s.facility.detloc,
            "facility_name": s.facility.name,
            "state": s.facility.state,
            **{name: getattr(s, name) for name in STATISTIC_FIELDS},
            "average_daily_population": s.average_daily_population,
            "source_file": s.sheet.file_name,
            "source_as_of": s.sheet.as_of,
            "source_row": s.row_number,
        }


def _policies() -> Iterator[Row]:
    items = Policy.objects.select_related("jurisdiction").order_by("jurisdiction__state", "name")
    for p in _iterate(items):
        yield {
            "code": p.code,
            "name": p.name,
            "level": p.level,
            "state": p.jurisdiction.state,
            "jurisdiction_fips": p.jurisdiction.fips,
            "jurisdiction_name": p.jurisdiction.name,
            "adopted": p.adopted,
            "summary": p.summary,
            "source_url": p.source_url,
            "recorded_on": p.created_at.date(),
        }


def _incidents() -> Iterator[Row]:
    counted_on = timezone.localdate()
    for fips, month, count in verified.all_counts():
        found = geography.county(fips)
        yield {
            "county_fips": fips,
            "county_name": found.name if found else "",
            "state": found.state if found else "",
            "month": month.strftime("%Y-%m"),
            "verified_incidents": count,
            "counted_on": counted_on,
        }


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: Callable[[], Iterable[Row]]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "source-sheets",
            ["code", "kind", "file_name", "sha256", "size", "as_of", "imported_on", "rows_read",
             "rows_rejected"],
            _sheets,
        ),
        Table(
            "agencies",
            ["code", "name", "state", "type", "county_fips", "county_name", "county_as_written",
             "described_by_file", "described_by_as_of", "county_source_file",
             "county_source_as_of"],
            _agencies,
        ),
        Table(
            "agreements",
            ["code", "agency_code", "agency_name", "state", "county_fips", "model", "signed",
             "signed_as_written", "moa_url", "addendum_url", *SEEN],
            _agreements,
        ),
        Table(
            "pending-agreements",
            ["code", "agency_code", "agency_name", "state", "county_fips", "model", "moa_url",
             *SEEN],
            _pending,
        ),
        Table(
            "ice-offices",
            ["code", "name", "short_name", "agency", "field_office", "sub_office", "address",
             "city", "state", "zip_code", "county_fips", "lat", "lng", "area", "source_file",
             "source_as_of"],
            _offices,
        ),
        Table("facilities", ["code", *FACILITY_FIELDS], _facilities),
        Table(
            "detention-statistics",
            ["facility_code", "detloc", "facility_name", "state", *STATISTIC_FIELDS,
             "average_daily_population", "source_file", "source_as_of", "source_row"],
            _statistics,
        ),
        Table(
            "policies",
            ["code", "name", "level", "state", "jurisdiction_fips", "jurisdiction_name",
             "adopted", "summary", "source_url", "recorded_on"],
            _policies,
        ),
        Table(
            "verified-incidents",
            ["county_fips", "county_name", "state", "month", "verified_incidents", "counted_on"],
            _incidents,
        ),
    )
}  # fmt: skip


def plain(value: Any) -> Any:
    """A value as JSON carries it: dates ISO, codes as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(plain(value))


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(table.columns)
    for row in table.rows():
        yield writer.writerow([_cell(row[c]) for c in table.columns])


def json_chunks(table: Table) -> Iterator[str]:
    head = {"table": table.name, "generated": timezone.now().isoformat(), "columns": table.columns}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    first = True
    for row in table.rows():
        body = json.dumps({c: plain(row[c]) for c in table.columns}, ensure_ascii=False)
        yield ("\n" if first else ",\n") + body
        first = False
    yield "\n]}\n"
