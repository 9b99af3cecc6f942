"""ICE's detention statistics workbook (FY2025_detentionStats*.xlsx): its per-facility table.

The sheet "Facilities FY25" (FY26: "Facilities FY26") lists each facility holding at least
one person at the data pull, with average daily population (ADP) by classification level,
criminality and threat level, average length of stay and inspections. Its header row is
found by its contents, since it moves between years (row 7 in FY25, rows 9-10 in FY26).
Facilities are matched to the facility table by name and state, then address and ZIP code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import openpyxl

from defensa.campaigns.geography import clean
from defensa.campaigns.importers import common, dates, facilities, xlsx
from defensa.campaigns.importers.base import (
    Importer,
    Parsed,
    Problem,
    RowRejected,
    Source,
    Stored,
    cells_text,
)
from defensa.campaigns.importers.reasons import ImportRefused
from defensa.campaigns.models import DetentionStatistic, SheetKind, SourceSheet

SHEET_RE = re.compile(r"^facilities fy ?(\d{2})$", flags=re.IGNORECASE)
PULLED_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
HEADER_ROWS = 30

# Statistic field -> how its header reads (lower case; FY numbers as \d+).
NUMBERS = {
    "average_stay_days": r"fy\d+ alos",
    "level_a": r"level a",
    "level_b": r"level b",
    "level_c": r"level c",
    "level_d": r"level d",
    "male_criminal": r"male crim",
    "male_non_criminal": r"male non-crim",
    "female_criminal": r"female crim",
    "female_non_criminal": r"female non-crim",
    "threat_level_1": r"ice threat level 1",
    "threat_level_2": r"ice threat level 2",
    "threat_level_3": r"ice threat level 3",
    "no_threat_level": r"no ice threat level",
    "mandatory": r"mandatory",
}
TEXTS = {
    "aor": (r"aor", 8),
    "type_detailed": (r"type detailed", 20),
    "gender": (r"male/female", 20),
    "last_inspection_type": (r"last inspection type", 40),
    "pending_inspection": (r"pending fy\d+ inspection", 40),
    "last_inspection_standard": (r"last inspection standard", 60),
    "last_final_rating": (r"last final rating", 60),
}
PLACE = {"name": "name", "address": "address", "city": "city", "state": "state", "zip": "zip"}


@dataclass
class FacilityRow:
    row: int
    name: str
    address: str
    city: str
    state: str
    zip_code: str
    county_fips: str
    aor: str = ""
    type_detailed: str = ""
    values: dict[str, Any] = field(default_factory=dict)


class DetentionStats(Importer):
    kinds: ClassVar[tuple[str, ...]] = (SheetKind.DETENTION_STATS,)
    label: ClassVar[str] = "ICE detention statistics"

    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed:
        name, year = _facilities_sheet(source)
        sheet = xlsx.read_sheet(source, sheet=name)
        header_at, columns = _header(sheet.rows)
        found, note = dates.list_date(source.name, sheet.modified, given=as_of)
        if found is None:
            raise ImportRefused("no_date")
        pulled = _pulled(sheet.rows, header_at)
        if pulled is not None and not note:
            note = {"code": "data_pulled", "date": pulled.isoformat()}
        records: list[FacilityRow] = []
        problems: list[Problem] = []
        seen: dict[tuple[str, str], int] = {}
        rows_read = 0
        for number, values in sheet.rows:
            if number <= header_at:
                continue
            rows_read += 1
            cells = cells_text(values)
            try:
                record, notes = _row(number, values, columns)
                key = (record.state, common.name_key(record.name))
                if key in seen:
                    raise RowRejected("duplicate_facility", row=seen[key])
            except RowRejected as exc:
                problems.append(Problem(number, exc.reason, exc.params, "row", exc.column, cells))
                continue
            seen[key] = number
            record.values["fiscal_year"] = year
            records.append(record)
            for problem in notes:
                problem.cells = cells
            problems.extend(notes)
        return Parsed(
            kind=SheetKind.DETENTION_STATS,
            as_of=found,
            as_of_note=note,
            records=records,
            problems=problems,
            rows_read=rows_read,
            stopped_at_row=sheet.stopped_at_row,
        )

    def store(self, parsed: Parsed, sheet: SourceSheet) -> Stored:
        matcher = facilities.Matcher()
        result = Stored()
        rows = []
        for record in parsed.records:
            facility, what = facilities.place(matcher, record, source=SheetKind.DETENTION_STATS)
            if what == "added":
                result.added += 1
            rows.append(
                DetentionStatistic(
                    sheet=sheet, facility=facility, row_number=record.row, **record.values
                )
            )
        DetentionStatistic.objects.bulk_create(rows, batch_size=500)
        result.updated = len(rows) - result.added
        return result


def _facilities_sheet(source: Source) -> tuple[str, int]:
    """The name of the per-facility sheet and its fiscal year, from the workbook's sheet list."""
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
        names = list(book.sheetnames)
        book.close()
    finally:
        fp = archive.fp
        archive.close()
        if fp is not None:
            fp.close()
    for name in names:
        match = SHEET_RE.match(name.strip())
        if match:
            return name.strip(), 2000 + int(match.group(1))
    raise ImportRefused("no_sheet", sheet="Facilities FY..")


def _header(rows: list[tuple[int, tuple[Any, ...]]]) -> tuple[int, dict[str, int]]:
    for number, values in rows:
        if number > HEADER_ROWS:
            break
        texts = {clean(v).casefold(): i for i, v in enumerate(values) if clean(v)}
        if all(k in texts for k in PLACE):
            return number, texts
    raise ImportRefused("no_header", limit=HEADER_ROWS, columns="Name, Address, City, State, Zip")


def _pulled(rows: list[tuple[int, tuple[Any, ...]]], header_at: int) -> date | None:
    for number, values in rows:
        if number >= header_at:
            break
        for value in values:
            text = clean(value)
            if text.casefold().startswith("data source"):
                match = PULLED_RE.search(text)
                if match:
                    month, day, year = (int(g) for g in match.groups())
                    try:
                        return date(year, month, day)
                    except ValueError:
                        return None
    return None


def _column(columns: dict[str, int], pattern: str) -> int | None:
    for text, index in columns.items():
        if re.fullmatch(pattern, text):
            return index
    return None


def _row(
    number: int, values: tuple[Any, ...], columns: dict[str, int]
) -> tuple[FacilityRow, list[Problem]]:
    notes: list[Problem] = []

    def get(pattern: str) -> Any:
        index = _column(columns, pattern)
        return values[index] if index is not None and index < len(values) else None

    name = common.required(get("name"), "Name")
    state = common.required_state(get("state"), "State")
    zip_code = common.zip5(get("zip"))
    record = FacilityRow(
        row=number,
        name=name,
        address=common.text(get("address"), limit=300),
        city=common.text(get("city"), limit=80),
        state=state,
        zip_code=zip_code,
        county_fips=common.county_of(state, "", zip_code),
    )
    for attribute, pattern in NUMBERS.items():
        try:
            record.values[attribute] = common.number(get(pattern), attribute)
        except RowRejected as exc:
            notes.append(Problem(number, exc.reason, exc.params, column=exc.column))
            record.values[attribute] = None
    for attribute, (pattern, limit) in TEXTS.items():
        record.values[attribute] = common.text(get(pattern), limit=limit)
    record.aor = record.values["aor"]
    record.type_detailed = record.values["type_detailed"]
    try:
        record.values["guaranteed_minimum"] = common.whole(
            get(r"guaranteed minimum"), "Guaranteed Minimum"
        )
    except RowRejected as exc:
        notes.append(Problem(number, exc.reason, exc.params, column=exc.column))
        record.values["guaranteed_minimum"] = None
    try:
        record.values["last_inspection_end"] = dates.cell_date(
            get(r"last inspection end date"), low=date(1990, 1, 1), high=date(2100, 1, 1)
        )
    except RowRejected as exc:
        notes.append(Problem(number, exc.reason, exc.params, column="Last Inspection End Date"))
        record.values["last_inspection_end"] = None
    return record, notes
