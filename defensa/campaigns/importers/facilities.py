"""Detention facilities with coordinates, from two third-party lists, merged into one table.

- UWCHR's `facilities.csv.gz` (pipe-delimited, 1,532 facilities up to 2017): keyed by ICE's
  DETLOC code, with county, type and Google geocodes.
- icewatch's `facilities_geocoded_*.json` (the 187 facilities of ICE's FY2025 statistics):
  no code, so matched to a known facility by name and state, then by address and ZIP code;
  a facility matched nowhere is added.

A facility keeps the first coordinates it was given (UWCHR's when both have them); missing
ones are filled from the other source. Both sets are provisional third-party geocodes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from defensa.campaigns.importers import common, dates
from defensa.campaigns.importers.base import (
    Importer,
    Parsed,
    Problem,
    RowRejected,
    Source,
    Stored,
)
from defensa.campaigns.importers.reasons import ImportRefused
from defensa.campaigns.models import DetentionFacility, SheetKind, SourceSheet

MAX_TEXT_BYTES = 32 * 1024 * 1024
MAX_ROWS = 20_000
DETLOC_RE = re.compile(r"^[A-Z0-9]{2,12}$")
UWCHR_COLUMNS = ("detloc", "name", "state")


@dataclass
class Facility:
    row: int
    name: str
    detloc: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    county_fips: str = ""
    aor: str = ""
    type_detailed: str = ""
    capacity: int | None = None
    first_used: date | None = None
    last_used: date | None = None
    lat: float | None = None
    lng: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _bounded_gunzip(source: Source) -> bytes:
    """The decompressed bytes, refusing anything that would unpack past MAX_TEXT_BYTES."""
    out = bytearray()
    try:
        with source.open() as raw, gzip.GzipFile(fileobj=raw) as unpacked:
            while chunk := unpacked.read(1024 * 1024):
                out += chunk
                if len(out) > MAX_TEXT_BYTES:
                    raise ImportRefused("total_too_large", limit=MAX_TEXT_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportRefused("not_gzip") from exc
    return bytes(out)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused("not_text") from exc


class UwchrFacilities(Importer):
    kinds: ClassVar[tuple[str, ...]] = (SheetKind.FACILITIES_UWCHR,)
    label: ClassVar[str] = "UWCHR facilities"

    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed:
        data = _bounded_gunzip(source) if source.name.endswith(".gz") else source.open().read()
        if len(data) > MAX_TEXT_BYTES:
            raise ImportRefused("total_too_large", limit=MAX_TEXT_BYTES)
        reader = csv.reader(io.StringIO(_text(data)), delimiter="|")
        try:
            header = [h.strip().casefold() for h in next(reader)]
        except (StopIteration, csv.Error) as exc:
            raise ImportRefused("no_rows") from exc
        missing = [c for c in UWCHR_COLUMNS if c not in header]
        if missing:
            raise ImportRefused("missing_columns", columns=", ".join(missing))
        col = {name: i for i, name in enumerate(header)}
        records: list[Facility] = []
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        latest: date | None = None
        rows_read = 0
        try:
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                rows_read += 1
                if rows_read > MAX_ROWS:
                    raise ImportRefused("too_many_rows", limit=MAX_ROWS)
                cells = [v[:300] for v in values]

                def get(name: str, values: list[str] = values) -> str:
                    index = col.get(name)
                    return values[index] if index is not None and index < len(values) else ""

                try:
                    facility, notes = _uwchr_row(number, get)
                    if facility.detloc in seen:
                        raise RowRejected("duplicate_facility", row=seen[facility.detloc])
                except RowRejected as exc:
                    problems.append(
                        Problem(number, exc.reason, exc.params, "row", exc.column, cells)
                    )
                    continue
                seen[facility.detloc] = number
                records.append(facility)
                for problem in notes:
                    problem.cells = cells
                problems.extend(notes)
                for used in (facility.first_used, facility.last_used):
                    if used is not None and (latest is None or used > latest):
                        latest = used
        except csv.Error as exc:
            raise ImportRefused("bad_structure", detail=str(exc)[:80]) from exc
        found, note = dates.list_date(source.name, "", given=as_of)
        if found is None and latest is not None:
            found, note = latest, {"code": "as_of_from_contents", "date": latest.isoformat()}
        if found is None:
            raise ImportRefused("no_date")
        return Parsed(SheetKind.FACILITIES_UWCHR, found, records, problems, rows_read, note)

    def store(self, parsed: Parsed, sheet: SourceSheet) -> Stored:
        return merge(parsed.records, source=SheetKind.FACILITIES_UWCHR)


def _uwchr_row(number: int, get: Any) -> tuple[Facility, list[Problem]]:
    notes: list[Problem] = []
    detloc = common.text(get("detloc"), limit=20).upper()
    if not DETLOC_RE.match(detloc):
        raise RowRejected("missing_value", column="detloc")
    state = common.required_state(get("state"), "state")
    zip_code = common.zip5(get("zip"))
    county_name = common.text(get("county"), limit=80)
    county_fips = common.county_of(state, county_name, zip_code)
    if county_name and not county_fips:
        notes.append(
            Problem(
                number, "county_unmatched", {"value": county_name, "state": state}, column="county"
            )
        )
    lat, lng, refused = common.coordinates(get("lat"), get("long"))
    if refused:
        notes.append(Problem(number, "coordinates_refused", refused, column="lat"))
    facility = Facility(
        row=number,
        detloc=detloc,
        name=common.required(get("name"), "name"),
        address=common.text(get("address"), limit=300),
        city=common.text(get("city"), limit=80),
        state=state,
        zip_code=zip_code,
        county_fips=county_fips,
        aor=common.text(get("aor"), limit=8),
        type_detailed=common.text(get("type_detailed"), limit=20),
        lat=lat,
        lng=lng,
    )
    try:
        facility.capacity = common.whole(get("capacity"), "capacity")
    except RowRejected as exc:
        notes.append(Problem(number, exc.reason, exc.params, column="capacity"))
    for column, attribute in (
        ("date_of_first_use", "first_used"),
        ("date_of_last_use", "last_used"),
    ):
        raw = common.text(get(column), limit=20)
        try:
            value = dates.cell_date(raw or None, low=date(1950, 1, 1), high=date(2100, 1, 1))
        except RowRejected as exc:
            notes.append(Problem(number, exc.reason, exc.params, column=column))
            continue
        setattr(facility, attribute, value)
    return facility, notes


class IcewatchFacilities(Importer):
    kinds: ClassVar[tuple[str, ...]] = (SheetKind.FACILITIES_ICEWATCH,)
    label: ClassVar[str] = "icewatch facilities"

    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed:
        with source.open() as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
        if len(data) > MAX_TEXT_BYTES:
            raise ImportRefused("file_too_large", limit=MAX_TEXT_BYTES)
        try:
            document = json.loads(_text(data))
        except (ValueError, RecursionError) as exc:
            raise ImportRefused("not_json", detail=type(exc).__name__) from exc
        if not isinstance(document, dict) or not isinstance(document.get("facilities"), list):
            raise ImportRefused("bad_structure", detail="facilities")
        items = document["facilities"]
        if len(items) > MAX_ROWS:
            raise ImportRefused("too_many_rows", limit=MAX_ROWS)
        metadata = document.get("metadata")
        if not isinstance(metadata, dict):
            metadata = {}
        records: list[Facility] = []
        problems: list[Problem] = []
        seen: dict[tuple[str, str], int] = {}
        for number, item in enumerate(items, start=1):
            cells = [f"{k}={v}"[:300] for k, v in item.items()] if isinstance(item, dict) else []
            try:
                if not isinstance(item, dict):
                    raise RowRejected("missing_value", column="Name")
                facility, notes = _icewatch_item(number, item)
                key = (facility.state, common.name_key(facility.name))
                if key in seen:
                    raise RowRejected("duplicate_facility", row=seen[key])
            except RowRejected as exc:
                problems.append(Problem(number, exc.reason, exc.params, "row", exc.column, cells))
                continue
            seen[key] = number
            records.append(facility)
            for problem in notes:
                problem.cells = cells
            problems.extend(notes)
        found, note = dates.list_date(source.name, "", given=as_of)
        stated = dates.saved_date(str(metadata.get("source_date", ""))[:30])
        if found is None and stated is not None:
            found, note = stated, {"code": "as_of_from_metadata", "date": stated.isoformat()}
        if found is None:
            raise ImportRefused("no_date")
        return Parsed(SheetKind.FACILITIES_ICEWATCH, found, records, problems, len(items), note)

    def store(self, parsed: Parsed, sheet: SourceSheet) -> Stored:
        return merge(parsed.records, source=SheetKind.FACILITIES_ICEWATCH)


def _icewatch_item(number: int, item: dict[str, Any]) -> tuple[Facility, list[Problem]]:
    notes: list[Problem] = []
    state = common.required_state(item.get("State"), "State")
    zip_code = common.zip5(item.get("Zip"))
    lat, lng, refused = common.coordinates(item.get("latitude"), item.get("longitude"))
    if refused:
        notes.append(Problem(number, "coordinates_refused", refused, column="latitude"))
    return (
        Facility(
            row=number,
            name=common.required(item.get("Name"), "Name"),
            address=common.text(item.get("Address"), limit=300),
            city=common.text(item.get("City"), limit=80),
            state=state,
            zip_code=zip_code,
            county_fips=common.county_of(state, "", zip_code),
            lat=lat,
            lng=lng,
        ),
        notes,
    )


# --- Merging ---------------------------------------------------------------------------------


class Matcher:
    """Finds the known facility a row means: DETLOC code, else name in the state, else
    address and ZIP code. Facilities added while matching are found by later rows."""

    def __init__(self) -> None:
        self.by_detloc: dict[str, DetentionFacility] = {}
        self.by_name: dict[tuple[str, str], list[DetentionFacility]] = {}
        self.by_address: dict[tuple[str, str], list[DetentionFacility]] = {}
        for facility in DetentionFacility.objects.all():
            self.add(facility)

    def add(self, facility: DetentionFacility) -> None:
        if facility.detloc:
            self.by_detloc[facility.detloc] = facility
        self.by_name.setdefault((facility.state, facility.name_key), []).append(facility)
        if facility.address and facility.zip_code:
            key = (facility.zip_code, common.name_key(facility.address))
            self.by_address.setdefault(key, []).append(facility)

    def find(self, record: Any) -> DetentionFacility | None:
        if getattr(record, "detloc", ""):
            return self.by_detloc.get(record.detloc)
        named = self.by_name.get((record.state, common.name_key(record.name)), [])
        if len(named) == 1:
            return named[0]
        if record.address and record.zip_code:
            placed = self.by_address.get((record.zip_code, common.name_key(record.address)), [])
            if len(placed) == 1:
                return placed[0]
        return None


FLAG: dict[str, str] = {
    SheetKind.FACILITIES_UWCHR: "in_uwchr",
    SheetKind.FACILITIES_ICEWATCH: "in_icewatch",
    SheetKind.DETENTION_STATS: "in_stats",
}
FILLED = ("address", "city", "state", "zip_code", "county_fips", "aor", "type_detailed")


def place(matcher: Matcher, record: Any, *, source: str) -> tuple[DetentionFacility, str]:
    """The facility for a record (created if new, completed if known): (facility, what)
    where what is "added", "updated" or "unchanged"."""
    facility = matcher.find(record)
    if facility is None:
        facility = DetentionFacility(
            detloc=getattr(record, "detloc", ""),
            name=record.name,
            name_key=common.name_key(record.name),
        )
        what = "added"
    else:
        what = "unchanged"
    before = {f.attname: getattr(facility, f.attname) for f in DetentionFacility._meta.fields}
    for name in FILLED:
        value = getattr(record, name, "")
        if value and (source == SheetKind.FACILITIES_UWCHR or not getattr(facility, name)):
            setattr(facility, name, value)
    for name in ("capacity", "first_used", "last_used"):
        value = getattr(record, name, None)
        if value is not None:
            setattr(facility, name, value)
    if facility.lat is None and getattr(record, "lat", None) is not None:
        facility.lat, facility.lng = record.lat, record.lng
        facility.coordinates_from = source
    setattr(facility, FLAG[source], True)
    if what == "added":
        facility.save()
        matcher.add(facility)
    else:
        after = {f.attname: getattr(facility, f.attname) for f in DetentionFacility._meta.fields}
        if after != before:
            facility.save()
            what = "updated"
    return facility, what


def merge(records: list[Facility], *, source: str) -> Stored:
    matcher = Matcher()
    result = Stored()
    for record in records:
        _facility, what = place(matcher, record, source=source)
        if what == "added":
            result.added += 1
        elif what == "updated":
            result.updated += 1
        else:
            result.unchanged += 1
    return result
