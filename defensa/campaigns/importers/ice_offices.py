"""ICE's office list (ERO field offices and sub-offices, OPLA, HSI...) with coordinates, as
the Deportation Data Project publishes it (`ice-offices.xlsx`). An office is its name and
address; importing a newer list updates the offices it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from defensa.campaigns.importers import common, dates, xlsx
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
from defensa.campaigns.models import IceOffice, SheetKind, SourceSheet

COLUMNS = ("OFFICE_NAME", "AGENCY", "CITY", "STATE")


@dataclass
class Office:
    row: int
    name: str
    short_name: str
    agency: str
    field_office: str
    sub_office: bool
    address: str
    city: str
    state: str
    zip_code: str
    area: str
    county_fips: str
    lat: float | None
    lng: float | None


class IceOffices(Importer):
    kinds: ClassVar[tuple[str, ...]] = (SheetKind.ICE_OFFICES,)
    label: ClassVar[str] = "ICE offices"

    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed:
        sheet = xlsx.read_sheet(source)
        if not sheet.rows:
            raise ImportRefused("no_rows")
        _header_at, header = sheet.rows[0]
        columns = header_map(header)
        missing = [c.lower() for c in COLUMNS if c not in columns]
        if missing:
            raise ImportRefused("missing_columns", columns=", ".join(missing))
        found, note = dates.list_date(source.name, sheet.modified, given=as_of)
        if found is None:
            raise ImportRefused("no_date")
        records: list[Office] = []
        problems: list[Problem] = []
        seen: dict[tuple[str, str], int] = {}
        for number, values in sheet.rows[1:]:
            cells = cells_text(values)

            def get(name: str, values: tuple[Any, ...] = values) -> Any:
                index = columns.get(name.upper())
                return values[index] if index is not None and index < len(values) else None

            try:
                office, notes = _office(number, get)
                key = (office.name, office.address)
                if key in seen:
                    raise RowRejected("duplicate_facility", row=seen[key])
            except RowRejected as exc:
                problems.append(Problem(number, exc.reason, exc.params, "row", exc.column, cells))
                continue
            seen[key] = number
            records.append(office)
            for problem in notes:
                problem.cells = cells
            problems.extend(notes)
        return Parsed(
            kind=SheetKind.ICE_OFFICES,
            as_of=found,
            as_of_note=note,
            records=records,
            problems=problems,
            rows_read=len(sheet.rows) - 1,
            stopped_at_row=sheet.stopped_at_row,
        )

    def store(self, parsed: Parsed, sheet: SourceSheet) -> Stored:
        existing = {(o.name, o.address): o for o in IceOffice.objects.all()}
        result = Stored()
        fields = [
            "short_name",
            "agency",
            "field_office",
            "sub_office",
            "city",
            "state",
            "zip_code",
            "area",
            "county_fips",
            "lat",
            "lng",
        ]
        created = []
        for record in parsed.records:
            values = {name: getattr(record, name) for name in fields}
            office = existing.get((record.name, record.address))
            if office is None:
                created.append(
                    IceOffice(name=record.name, address=record.address, source=sheet, **values)
                )
                continue
            if any(getattr(office, k) != v for k, v in values.items()):
                for name, value in values.items():
                    setattr(office, name, value)
                result.updated += 1
            else:
                result.unchanged += 1
            office.source = sheet
            office.save(update_fields=[*fields, "source"])
        IceOffice.objects.bulk_create(created, batch_size=500)
        result.added = len(created)
        return result


def _office(number: int, get: Any) -> tuple[Office, list[Problem]]:
    notes: list[Problem] = []
    name = common.required(get("office_name"), "office_name")
    # A few offices (community relations, OPR) are listed with a city but no street address.
    address = common.text(get("address_full"), limit=300) or common.text(get("address"), limit=300)
    state = common.required_state(get("state"), "state")
    zip_code = common.zip5(get("zip"))
    lat, lng, refused = common.coordinates(get("office_latitude"), get("office_longitude"))
    if refused:
        notes.append(Problem(number, "coordinates_refused", refused, column="office_latitude"))
    sub = get("sub_office")
    return (
        Office(
            row=number,
            name=name,
            short_name=common.text(get("office_name_short"), limit=120),
            agency=common.required(get("agency"), "agency", limit=10).upper(),
            field_office=common.text(get("field_office_name"), limit=120),
            sub_office=sub is True or common.text(sub).casefold() in ("true", "yes", "1"),
            address=address,
            city=common.text(get("city"), limit=80),
            state=state,
            zip_code=zip_code,
            area=common.text(get("area"), limit=2000),
            county_fips=common.county_of(state, "", zip_code),
            lat=lat,
            lng=lng,
        ),
        notes,
    )
