"""Hostile workbooks: damaged, zip bombs, a million empty rows, lying dimensions, XML
entities, formulas. Each gives a clear error (or reads what is there), in bounded memory and
time, and writes nothing when it fails, not even half an import."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from defensa.campaigns import actions, history
from defensa.campaigns.importers.base import Source
from defensa.campaigns.importers.ice_287g import Agencies287g
from defensa.campaigns.importers.reasons import ImportRefused
from defensa.campaigns.models import Agency, Agreement, Listing, RejectedRow, SourceSheet
from defensa.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
HEADER = ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA")
GOOD_ROWS = [
    ("ALABAMA", "Autauga County Sheriff's Office ", "County ", "Autauga County",
     "Task Force Model", "45922", "link pending"),
    ("TEXAS", "Marlin Police Department", "Municipality", "Fall County",
     "Warrant Service Office", "45900", "link pending"),
]  # fmt: skip

PKG = "http://schemas.openxmlformats.org/package/2006"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def row_xml(number: int, values: tuple[str, ...], formulas: dict[int, str] | None = None) -> str:
    cells = []
    for i, value in enumerate(values):
        ref = f"{_letter(i)}{number}"
        formula = (formulas or {}).get(i)
        if formula is not None:
            cached = f"<v>{value}</v>" if value else ""
            kind = ' t="str"' if value and not value.isdigit() else ""
            cells.append(f'<c r="{ref}"{kind}><f>{formula}</f>{cached}</c>')
        elif value.isdigit():
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


def xlsx(sheet_body: str, *, dimension: str = "A1:G3", prolog: str = "") -> bytes:
    """A minimal workbook written by hand: no openpyxl, so anything can be put in it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            prolog + SHEET_OPEN + f'<dimension ref="{dimension}"/><sheetData>' + sheet_body
            + "</sheetData></worksheet>",
        )  # fmt: skip
    return buffer.getvalue()


def good_body() -> str:
    return row_xml(1, HEADER) + "".join(row_xml(i + 2, r) for i, r in enumerate(GOOD_ROWS))


def nothing_written() -> None:
    assert not SourceSheet.objects.exists()
    assert not Agency.objects.exists()
    assert not Agreement.objects.exists()
    assert not Listing.objects.exists()
    assert not RejectedRow.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="campaigns.").exists()


def run(data: bytes, name: str = "participatingAgencies01022026am.xlsx"):
    return actions.import_file(
        actor=None, committee=None, source=Source(name, data=data), importer=Agencies287g()
    )


class _Undo(Exception):
    pass


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except ImportRefused as exc:
        return exc


def bounded(call: Callable[[], object], *, seconds: float, megabytes: int) -> object:
    """The call's outcome, having checked its peak memory and its time. Memory is traced in a
    first run that is rolled back (tracing slows Python several times, so it would distort
    the time); the second run, untraced, is timed and kept."""
    tracemalloc.start()
    try:
        with transaction.atomic():
            _outcome(call)
            raise _Undo
    except _Undo:
        pass
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    started = time.monotonic()
    outcome = _outcome(call)
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * MB, f"peak {peak / MB:.0f} MB"
    return outcome


def test_a_well_formed_hand_written_workbook_imports() -> None:
    result = run(xlsx(good_body()))
    assert result.sheet.rows_read == 2
    agreements = {a.agency.name: a for a in Agreement.objects.select_related("agency")}
    assert agreements["Autauga County Sheriff's Office"].agency.county_fips == "01001"
    assert agreements["Marlin Police Department"].model == "wso"  # "Warrant Service Office"
    assert agreements["Marlin Police Department"].agency.county_fips == "48145"


def test_random_bytes_named_xlsx_are_refused() -> None:
    with pytest.raises(ImportRefused) as refused:
        run(b"this is not a workbook at all" * 100)
    assert refused.value.code == "not_a_zip"
    nothing_written()


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_a_truncated_workbook_is_refused(cut: float) -> None:
    data = xlsx(good_body())
    with pytest.raises(ImportRefused) as refused:
        run(data[: int(len(data) * cut)])
    assert refused.value.code in {"corrupt_zip", "not_a_workbook"}
    assert refused.value.message
    nothing_written()


def test_a_workbook_with_damaged_bytes_inside_is_refused() -> None:
    data = bytearray(xlsx(good_body() * 20))
    middle = len(data) // 3
    data[middle : middle + 200] = b"\x00" * 200
    with pytest.raises(ImportRefused) as refused:
        run(bytes(data))
    assert refused.value.code in {"corrupt_zip", "xml_malformed", "unreadable_workbook"}
    nothing_written()


def test_a_workbook_that_is_not_xml_inside_is_refused() -> None:
    with pytest.raises(ImportRefused) as refused:
        run(xlsx("<row r='1'><c r='A1'><v>1</v></c>"))  # unclosed
    assert refused.value.code == "xml_malformed"
    nothing_written()


def test_xml_entities_are_refused_before_anything_expands_them() -> None:
    laughs = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with pytest.raises(ImportRefused) as refused:
        run(xlsx(good_body(), prolog=laughs))
    assert refused.value.code == "xml_entities"
    nothing_written()


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gigabyte of zeros compressed into a part of a workbook, renamed .xlsx."""
    path = tmp_path_factory.mktemp("bomb") / "participatingAgencies01022026am.xlsx"
    zeros = b"\x00" * (16 * MB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _ in range(64):
                part.write(zeros)
    return path


def test_a_zip_bomb_is_refused_without_unpacking_it(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 8 * MB
    outcome = bounded(
        lambda: actions.import_file(
            actor=None,
            committee=None,
            source=Source(zip_bomb.name, path=zip_bomb),
            importer=Agencies287g(),
        ),
        seconds=3,
        megabytes=50,
    )
    assert isinstance(outcome, ImportRefused)
    assert outcome.code == "member_too_large"
    nothing_written()


def test_a_part_that_lies_about_its_size_stops_at_the_size_it_declared() -> None:
    """A bomb whose headers claim a small size: unpacking stops there and fails its check."""
    data = bytearray(xlsx(good_body() + "<!--" + "x" * (4 * MB) + "-->"))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(4, "little")
    claimed = (1000).to_bytes(4, "little")
    data = bytearray(bytes(data).replace(real, claimed))
    with pytest.raises(ImportRefused) as refused:
        run(bytes(data))
    assert refused.value.code in {"corrupt_zip", "xml_malformed"}
    nothing_written()


def million_blank_rows(*, lying_dimension: bool) -> bytes:
    body = good_body() + "".join(f'<row r="{n}"/>' for n in range(4, 1_000_004))
    body += row_xml(1_000_004, GOOD_ROWS[0])  # after the blanks: reported, never read
    return xlsx(body, dimension="A1:XFD1048576" if lying_dimension else "A1:G3")


@pytest.mark.parametrize("lying_dimension", [False, True])
def test_a_million_empty_rows_stop_the_reading_quickly(lying_dimension: bool) -> None:
    data = million_blank_rows(lying_dimension=lying_dimension)
    result = bounded(lambda: run(data), seconds=8, megabytes=100)
    assert isinstance(result, actions.ImportResult)
    assert result.sheet.rows_read == 2
    assert 1000 <= result.sheet.stopped_at_row <= 1010
    assert Agreement.objects.count() == 2


def test_too_many_rows_are_refused_whole() -> None:
    from defensa.campaigns.importers import xlsx as reader

    body = row_xml(1, HEADER) + "".join(
        row_xml(n, (*GOOD_ROWS[0][:1], f"Agency {n}", *GOOD_ROWS[0][2:]))
        for n in range(2, reader.MAX_ROWS + 3)
    )
    with pytest.raises(ImportRefused) as refused:
        run(xlsx(body))
    assert refused.value.code == "too_many_rows"
    nothing_written()


def test_formulas_count_by_their_saved_value_or_are_refused_with_the_reason() -> None:
    saved = ("TEXAS", "Formula County Sheriff's Office", "County", "Travis County",
             "Task Force Model", "45900", "link pending")  # fmt: skip
    unsaved = ("TEXAS", "", "County", "Travis County", "Task Force Model", "", "link pending")
    no_date = ("TEXAS", "Dateless Police Department", "Municipality", "Travis County",
               "Task Force Model", "", "link pending")  # fmt: skip
    body = (
        row_xml(1, HEADER)
        + row_xml(2, saved, formulas={1: 'CONCAT("Formula"," County")', 5: "DATE(2025,9,1)"})
        + row_xml(3, unsaved, formulas={1: 'HYPERLINK("http://example.org/x","y")'})
        + row_xml(4, no_date, formulas={5: "TODAY()"})
    )
    result = run(xlsx(body, dimension="A1:G4"))
    assert result.sheet.rows_read == 3
    assert result.sheet.rows_rejected == 1
    problems = [(r.row_number, r.outcome, r.column, r.reason) for r in result.rejected]
    assert problems == [
        (3, "row", "LAW ENFORCEMENT AGENCY", "formula_without_value"),
        (4, "value", "SIGNED", "formula_without_value"),
    ]
    names = set(Agency.objects.values_list("name", flat=True))
    assert names == {"Formula County Sheriff's Office", "Dateless Police Department"}


def test_a_failure_while_writing_leaves_nothing_half_written(monkeypatch) -> None:
    def broken(kind: str) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(history, "refresh", broken)
    with pytest.raises(RuntimeError):
        run(xlsx(good_body()))
    nothing_written()


def test_the_command_says_why_it_refused_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "participatingAgencies01022026am.xlsx"
    path.write_bytes(b"PK\x03\x04 definitely damaged")
    with pytest.raises(CommandError, match=r"participatingAgencies01022026am\.xlsx: "):
        call_command("import_287g", str(path))
    nothing_written()
