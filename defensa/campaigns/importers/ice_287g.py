"""ICE's 287(g) "Participating Agencies" and "Pending Agencies" workbooks, 2021 to now.

One row is one agreement (an agency and a model). The sheets vary: no COUNTY column before
mid-2025, "#N/A" for agencies without a county, trailing and no-break spaces, a typo'd model
("Warrant Service Office"), TYPE "State" or "State Agency", signed dates typed as text or with
an impossible year, MOA cells saying "link" with the link as a hyperlink, or "link pending",
and dozens of blank rows. Which list a file is comes from its columns: only participating
sheets have SIGNED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from defensa.campaigns import geography, history
from defensa.campaigns.geography import clean
from defensa.campaigns.importers import dates, xlsx
from defensa.campaigns.importers.base import (
    Importer,
    Parsed,
    Problem,
    RowRejected,
    Source,
    Stored,
    cells_text,
    header_map,
)
from defensa.campaigns.importers.reasons import ImportRefused
from defensa.campaigns.models import (
    Agency,
    AgencyType,
    Agreement,
    Jurisdiction,
    Listing,
    PendingAgreement,
    SheetKind,
    SourceSheet,
    SupportModel,
)

HEADER_ROWS = 20
MAX_AGENCY = 200

MODELS = {
    "jail enforcement model": SupportModel.JAIL,
    "task force model": SupportModel.TASK_FORCE,
    "warrant service officer": SupportModel.WARRANT,
    "warrant service office": SupportModel.WARRANT,  # ICE's typo, January 2026
    "jem": SupportModel.JAIL,
    "tfm": SupportModel.TASK_FORCE,
    "wso": SupportModel.WARRANT,
}
TYPES = {
    "county": AgencyType.COUNTY,
    "municipality": AgencyType.MUNICIPALITY,
    "state agency": AgencyType.STATE,
    "state": AgencyType.STATE,
}
REQUIRED = ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE")


def name_key(name: str) -> str:
    """Case, spacing and apostrophes folded, so one agency written two ways is one."""
    return clean(name).replace("\u2019", "'").replace("\u2018", "'").casefold()


@dataclass
class Row:
    row: int
    state: str
    agency: str
    agency_key: str
    type: str
    county_fips: str
    county_raw: str
    county_stated: bool  # the sheet has a COUNTY column or the name says the county
    model: str
    signed: date | None = None
    signed_raw: str = ""
    moa_url: str = ""
    addendum_url: str = ""


class Agencies287g(Importer):
    kinds: ClassVar[tuple[str, ...]] = (SheetKind.PARTICIPATING, SheetKind.PENDING)
    label: ClassVar[str] = "287(g)"

    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed:
        sheet = xlsx.read_sheet(source)
        header_at, columns = _find_header(sheet.rows)
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ImportRefused("missing_columns", columns=", ".join(missing))
        kind = SheetKind.PARTICIPATING if "SIGNED" in columns else SheetKind.PENDING
        found, note = dates.list_date(source.name, sheet.modified, given=as_of)
        if found is None:
            raise ImportRefused("no_date")
        reader = _RowReader(columns, sheet.facts, as_of=found)
        records: list[Row] = []
        problems: list[Problem] = []
        seen: dict[tuple[str, str, str], int] = {}
        rows_read = 0
        for number, values in sheet.rows:
            if number <= header_at:
                continue
            rows_read += 1
            cells = cells_text(values)
            try:
                record, notes = reader.read(number, values)
                key = (record.state, record.agency_key, record.model)
                if key in seen:
                    raise RowRejected("duplicate", row=seen[key])
            except RowRejected as exc:
                problems.append(Problem(number, exc.reason, exc.params, "row", exc.column, cells))
                continue
            seen[key] = number
            records.append(record)
            for problem in notes:
                problem.cells = cells
                problems.append(problem)
        return Parsed(
            kind=kind,
            as_of=found,
            as_of_note=note,
            records=records,
            problems=problems,
            rows_read=rows_read,
            stopped_at_row=sheet.stopped_at_row,
        )

    def store(self, parsed: Parsed, sheet: SourceSheet) -> Stored:
        records: list[Row] = parsed.records
        agencies = _store_agencies(records, sheet)
        pending = parsed.kind == SheetKind.PENDING
        model_cls: Any = PendingAgreement if pending else Agreement
        existing = {
            (a.agency_id, a.model): a
            for a in model_cls.objects.filter(agency__in=list(agencies.values()))
        }
        new = []
        for record in records:
            agency = agencies[(record.state, record.agency_key)]
            if (agency.id, record.model) not in existing:
                item = model_cls(
                    agency=agency, model=record.model, first_seen=sheet, last_seen=sheet
                )
                existing[(agency.id, record.model)] = item
                new.append(item)
        model_cls.objects.bulk_create(new)
        # Fetched again: bulk_create gives no ids on every database.
        ids = {
            (a.agency_id, a.model): a.id
            for a in model_cls.objects.filter(agency__in=list(agencies.values()))
        }
        listings = []
        for record in records:
            agency = agencies[(record.state, record.agency_key)]
            target = ids[(agency.id, record.model)]
            listings.append(
                Listing(
                    sheet=sheet,
                    row_number=record.row,
                    pending_id=target if pending else None,
                    agreement_id=None if pending else target,
                    signed=record.signed,
                    signed_raw=record.signed_raw,
                    moa_url=record.moa_url,
                    addendum_url=record.addendum_url,
                )
            )
        Listing.objects.bulk_create(listings, batch_size=500)
        history.refresh(parsed.kind)
        previous = history.previous_sheet(sheet)
        if previous is None:
            return Stored(added=len(records))
        change = history.changes(previous, sheet)
        return Stored(added=len(change.added), ended=len(change.ended))


def _find_header(rows: list[tuple[int, tuple[Any, ...]]]) -> tuple[int, dict[str, int]]:
    for number, values in rows:
        if number > HEADER_ROWS:
            break
        columns = header_map(values)
        if "LAW ENFORCEMENT AGENCY" in columns:
            return number, columns
    raise ImportRefused("no_header", limit=HEADER_ROWS, columns="LAW ENFORCEMENT AGENCY")


class _RowReader:
    def __init__(self, columns: dict[str, int], facts: xlsx.SheetFacts, *, as_of: date) -> None:
        self.columns = columns
        self.facts = facts
        self.as_of = as_of

    def _value(self, values: tuple[Any, ...], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index >= len(values):
            return None
        return values[index]

    def _formulas(self, values: tuple[Any, ...], number: int, notes: list[Problem]) -> None:
        """Formulas count by their saved value; one without a value is a missing value."""
        for column, index in self.columns.items():
            if (number, index + 1) in self.facts.formulas and self._value(values, column) is None:
                if column in REQUIRED:
                    raise RowRejected("formula_without_value", column=column)
                notes.append(Problem(number, "formula_without_value", column=column))

    def read(self, number: int, values: tuple[Any, ...]) -> tuple[Row, list[Problem]]:
        notes: list[Problem] = []
        self._formulas(values, number, notes)

        def text(column: str, *, required: bool = False) -> str:
            value = clean(self._value(values, column))
            if required and not value:
                raise RowRejected("missing_value", column=column)
            return value

        state_text = text("STATE", required=True)
        state = geography.state_code(state_text)
        if not state:
            raise RowRejected("unknown_state", column="STATE", value=state_text)
        agency = text("LAW ENFORCEMENT AGENCY", required=True)
        if len(agency) > MAX_AGENCY:
            raise RowRejected("too_long", column="LAW ENFORCEMENT AGENCY", limit=MAX_AGENCY)
        model_text = text("SUPPORT TYPE", required=True)
        model = MODELS.get(model_text.casefold())
        if model is None:
            raise RowRejected("unknown_model", column="SUPPORT TYPE", value=model_text[:80])
        type_text = text("TYPE")
        agency_type = TYPES.get(type_text.casefold(), AgencyType.UNKNOWN)
        if type_text and not agency_type:
            notes.append(Problem(number, "unknown_type", {"value": type_text[:80]}, column="TYPE"))
        county_fips, county_raw, stated = self._county(values, number, state, agency, notes)
        record = Row(
            row=number,
            state=state,
            agency=agency,
            agency_key=name_key(agency),
            type=agency_type,
            county_fips=county_fips,
            county_raw=county_raw,
            county_stated=stated,
            model=model,
        )
        if "SIGNED" in self.columns:
            self._signed(values, number, record, notes)
        record.moa_url = self._link(values, number, "MOA", notes)
        record.addendum_url = self._link(values, number, "ADDENDUM", notes)
        return record, notes

    def _county(
        self, values: tuple[Any, ...], number: int, state: str, agency: str, notes: list[Problem]
    ) -> tuple[str, str, bool]:
        raw = clean(self._value(values, "COUNTY"))
        has_column = "COUNTY" in self.columns
        if has_column and raw.casefold() in geography.NO_COUNTY:
            return "", raw, True
        found = geography.resolve_county(state, raw) if raw else None
        if found is None:
            found = geography.county_in_agency_name(state, agency)
        if found is not None:
            return found.fips, raw, True
        if raw:
            notes.append(
                Problem(
                    number,
                    "county_unmatched",
                    {"value": raw[:80], "state": state},
                    column="COUNTY",
                )
            )
        return "", raw, has_column

    def _signed(
        self, values: tuple[Any, ...], number: int, record: Row, notes: list[Problem]
    ) -> None:
        value = self._value(values, "SIGNED")
        record.signed_raw = "" if value is None else clean(value)[:40]
        if hasattr(value, "date") and value is not None:
            record.signed_raw = value.date().isoformat()
        try:
            record.signed = dates.cell_date(value, low=dates.PROGRAM_START, high=self.as_of)
        except RowRejected as exc:
            notes.append(Problem(number, exc.reason, exc.params, column="SIGNED"))
            return
        if record.signed is None and not any(p.column == "SIGNED" for p in notes):
            notes.append(Problem(number, "missing_value", column="SIGNED"))

    def _link(self, values: tuple[Any, ...], number: int, column: str, notes: list[Problem]) -> str:
        index = self.columns.get(column)
        if index is None:
            return ""
        link = self.facts.links.get((number, index + 1), "")
        if link:
            return link
        refused = self.facts.refused.get((number, index + 1))
        if refused:
            notes.append(Problem(number, "url_refused", {"value": refused[:80]}, column=column))
            return ""
        value = clean(self._value(values, column))
        if value.casefold().startswith(("http://", "https://")):
            url = xlsx.safe_url(value)
            if not url:
                notes.append(Problem(number, "url_refused", {"value": value[:80]}, column=column))
            return url
        if value and not value.casefold().startswith("link pending"):
            notes.append(Problem(number, "link_missing", {"value": value[:80]}, column=column))
        return ""


def _newer(sheet: SourceSheet, other: SourceSheet | None) -> bool:
    return other is None or (sheet.as_of, sheet.imported_at) >= (other.as_of, other.imported_at)


def _store_agencies(records: list[Row], sheet: SourceSheet) -> dict[tuple[str, str], Agency]:
    """Create the agencies the sheet names; keep each one's name, type and county from the
    newest sheet that states them (importing an older sheet later changes nothing)."""
    states = {r.state for r in records}
    existing = {
        (a.state, a.name_key): a
        for a in Agency.objects.filter(state__in=states).select_related(
            "described_by", "county_source"
        )
    }
    jurisdictions = {
        j.fips: j for j in Jurisdiction.objects.filter(fips__in=_fips_wanted(records, states))
    }
    created, changed = [], []
    for record in records:
        key = (record.state, record.agency_key)
        agency = existing.get(key)
        fresh = agency is None
        if agency is None:
            agency = Agency(state=record.state, name_key=record.agency_key)
            existing[key] = agency
            created.append(agency)
        before = (agency.name, agency.type, agency.county_fips, agency.county_raw)
        if _newer(sheet, agency.described_by):
            agency.name = record.agency
            agency.type = record.type or agency.type
            agency.described_by = sheet
        if record.county_stated and _newer(sheet, agency.county_source):
            agency.county_fips = record.county_fips
            agency.county_raw = record.county_raw
            agency.county_source = sheet
        agency.jurisdiction = jurisdictions.get(agency.county_fips) or jurisdictions.get(
            geography.states()[record.state].fips
        )
        if not fresh and before != (
            agency.name,
            agency.type,
            agency.county_fips,
            agency.county_raw,
        ):
            changed.append(agency)
    Agency.objects.bulk_create(created, batch_size=500)
    for agency in changed:
        agency.save(
            update_fields=[
                "name",
                "type",
                "described_by",
                "county_fips",
                "county_raw",
                "county_source",
                "jurisdiction",
            ]
        )
    return {(a.state, a.name_key): a for a in Agency.objects.filter(state__in=states)}


def _fips_wanted(records: list[Row], states: set[str]) -> set[str]:
    wanted = {r.county_fips for r in records if r.county_fips}
    wanted |= {geography.states()[s].fips for s in states}
    return wanted
