"""Reading untrusted .xlsx workbooks in bounded memory and time.

Before openpyxl sees a file: it must be a zip whose parts unpack to bounded sizes at a sane
compression ratio (zip bombs), and every XML part must be well-formed without a DOCTYPE (no
entity expansion). The sheet is then read once with our own streaming parser for what
openpyxl's read-only mode cannot give (hyperlinks, which cells are formulas), and once by
openpyxl in read-only mode for the values, formulas as their saved values. The sheet's
`dimension` is ignored (it can lie); reading stops after MAX_BLANK_RUN blank rows in a row
and refuses sheets longer than MAX_ROWS.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.parsers import expat

import openpyxl

from defensa.campaigns.importers.base import Source
from defensa.campaigns.importers.reasons import ImportRefused

MAX_MEMBERS = 500
MAX_MEMBER_BYTES = 48 * 1024 * 1024
MAX_TOTAL_BYTES = 96 * 1024 * 1024
# Spreadsheet XML compresses 5-30 times; a bomb compresses a thousand times and more.
MAX_RATIO = 150
RATIO_CHECKED_ABOVE = 1024 * 1024
MAX_ROWS = 50_000
MAX_BLANK_RUN = 1_000
MAX_COLUMNS = 64
MAX_FORMULAS = 20_000
MAX_LINKS = 50_000
CHUNK = 64 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # encrypted workbooks are OLE containers, not zips
CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def column_index(letters: str) -> int:
    """1 for A, 27 for AA."""
    n = 0
    for char in letters:
        n = n * 26 + ord(char) - 64
    return n


def _cell(ref: str) -> tuple[int, int] | None:
    match = CELL_REF.match(ref or "")
    if match is None:
        return None
    return int(match.group(2)), column_index(match.group(1))


SAFELINKS = ".safelinks.protection.outlook.com"
EMBEDDED = re.compile(r"^chrome-extension://[a-z]+/(https?):/+(.+)$", flags=re.IGNORECASE)


def unwrap(target: str) -> str:
    """The address a wrapped link points to: Outlook's SafeLinks (`?url=...`) and a PDF
    viewer extension's `chrome-extension://.../https:/...` both carry it inside."""
    target = target.strip()
    for _depth in range(3):
        target = re.sub(r"^(https?):/(?=[^/])", r"\1://", target, flags=re.IGNORECASE)
        embedded = EMBEDDED.match(target)
        if embedded:
            target = f"{embedded.group(1)}://{embedded.group(2)}"
            continue
        try:
            parts = urlsplit(target)
        except ValueError:
            return target
        if (parts.hostname or "").endswith(SAFELINKS):
            inner = parse_qs(parts.query).get("url")
            if inner:
                target = inner[0].strip()
                continue
        break
    return target


def safe_url(target: str) -> str:
    """An http(s) link as a storable URL (unwrapped, spaces and the like escaped), or ""."""
    target = unwrap(target)
    try:
        parts = urlsplit(target)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(target) > 480:
        return ""
    return quote(target, safe=":/?#[]@!$&'()*+,;=%~")


# --- The archive ------------------------------------------------------------------------------


def open_archive(source: Source) -> zipfile.ZipFile:
    """The workbook's zip, after checking its size, ratios and XML; or ImportRefused."""
    with source.open() as handle:
        head = handle.read(8)
    if not head:
        raise ImportRefused("empty_file")
    if head.startswith(OLE_MAGIC):
        raise ImportRefused("encrypted")
    if not head.startswith(b"PK"):
        raise ImportRefused("not_a_zip")
    stream = source.open()
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        stream.close()
        raise ImportRefused("corrupt_zip", detail=str(exc)[:120]) from exc
    try:
        _check_members(archive)
        _check_xml(archive)
    except BaseException:
        archive.close()
        stream.close()
        raise
    return archive


def _check_members(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ImportRefused("too_many_members", limit=MAX_MEMBERS)
    total = 0
    names = set()
    for info in members:
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise ImportRefused("encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise ImportRefused(
                "member_too_large", member=info.filename[:80], limit=MAX_MEMBER_BYTES
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ImportRefused("total_too_large", limit=MAX_TOTAL_BYTES)
        if info.file_size > RATIO_CHECKED_ABOVE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise ImportRefused(
                    "compression_ratio", member=info.filename[:80], ratio=int(ratio)
                )
    if "xl/workbook.xml" not in names:
        raise ImportRefused("not_a_workbook")


def _refuse_entities(*_args: Any) -> None:
    raise ValueError("entities")


def _parse_member(
    archive: zipfile.ZipFile, name: str, parser: expat.XMLParserType | None = None
) -> None:
    """Feed one part to an expat parser (a checking one if none is given), in chunks. The
    zip module stops at the part's declared size, so a lying header cannot unpack more."""
    if parser is None:
        parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_entities
    parser.EntityDeclHandler = _refuse_entities
    try:
        with archive.open(name) as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except ValueError as exc:
        if str(exc) == "entities":
            raise ImportRefused("xml_entities", member=name[:80]) from exc
        raise ImportRefused("xml_malformed", member=name[:80]) from exc
    except expat.ExpatError as exc:
        raise ImportRefused("xml_malformed", member=name[:80]) from exc
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise ImportRefused("corrupt_zip", detail=str(exc)[:120]) from exc


def _check_xml(archive: zipfile.ZipFile) -> None:
    for info in archive.infolist():
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            _parse_member(archive, info.filename)


# --- What read-only mode does not give: links and formulas -----------------------------------


@dataclass
class SheetFacts:
    # (row, column) -> link target, for external http(s) links.
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    # Links that are not web addresses (or too long), as written.
    refused: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: set[tuple[int, int]] = field(default_factory=set)


def _relationships(archive: zipfile.ZipFile, path: str) -> dict[str, str]:
    targets: dict[str, str] = {}
    if path not in archive.namelist():
        return targets

    def start(name: str, attrs: dict[str, str]) -> None:
        external = attrs.get("TargetMode") == "External"
        link = attrs.get("Type", "").endswith("/hyperlink")
        if name == f"{NS_PKG} Relationship" and len(targets) < MAX_LINKS and (external or link):
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    _parse_member(archive, path, parser)
    return targets


def sheet_facts(archive: zipfile.ZipFile, sheet_path: str) -> SheetFacts:
    """Hyperlinks and formula cells of one sheet, read with a streaming parser."""
    facts = SheetFacts()
    link_ids: dict[tuple[int, int], str] = {}
    current: list[tuple[int, int] | None] = [None]

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{NS_MAIN} c":
            current[0] = _cell(attrs.get("r", ""))
        elif name == f"{NS_MAIN} f" and current[0] is not None:
            if len(facts.formulas) >= MAX_FORMULAS:
                raise ImportRefused("too_many_formulas", limit=MAX_FORMULAS)
            facts.formulas.add(current[0])
        elif name == f"{NS_MAIN} hyperlink" and len(link_ids) < MAX_LINKS:
            where = _cell(attrs.get("ref", "").split(":")[0])
            rid = attrs.get(f"{NS_REL} id", "")
            if where is not None and rid:
                link_ids[where] = rid

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    _parse_member(archive, sheet_path, parser)
    directory, base = posixpath.split(sheet_path)
    targets = _relationships(archive, posixpath.join(directory, "_rels", base + ".rels"))
    for where, rid in link_ids.items():
        target = targets.get(rid, "")
        url = safe_url(target)
        if url:
            facts.links[where] = url
        elif target:
            facts.refused[where] = target[:200]
    return facts


# --- Values ----------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One sheet's rows as values (formulas as their saved values), with its links."""

    rows: list[tuple[int, tuple[Any, ...]]]
    facts: SheetFacts
    stopped_at_row: int = 0
    modified: str = ""  # the workbook's own saved date (docProps/core.xml), ISO text


def read_sheet(source: Source, *, sheet: str | None = None) -> Sheet:
    """Every non-blank row of one sheet (the first if none is named), bounded."""
    archive = open_archive(source)
    try:
        modified = _modified(archive)
        try:
            book = openpyxl.load_workbook(
                archive.fp,
                read_only=True,
                data_only=True,
                keep_links=False,
            )
        except ImportRefused:
            raise
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            raise ImportRefused("unreadable_workbook", detail=type(exc).__name__) from exc
        try:
            if sheet is None:
                worksheet = book.worksheets[0] if book.worksheets else None
            else:
                names = {name.strip(): name for name in book.sheetnames}
                worksheet = book[names[sheet]] if sheet in names else None
            if worksheet is None:
                raise ImportRefused("no_sheet", sheet=sheet or "1")
            facts = sheet_facts(archive, worksheet._worksheet_path)
            rows, stopped = _rows(worksheet)
        finally:
            book.close()
    finally:
        fp = archive.fp
        archive.close()
        if fp is not None:
            fp.close()
    return Sheet(rows=rows, facts=facts, stopped_at_row=stopped, modified=modified)


def _rows(worksheet: Any) -> tuple[list[tuple[int, tuple[Any, ...]]], int]:
    worksheet.reset_dimensions()  # the dimension written in the file is not trusted
    rows: list[tuple[int, tuple[Any, ...]]] = []
    blank_run = 0
    try:
        for number, values in enumerate(
            worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    return rows, number
                continue
            blank_run = 0
            if len(rows) >= MAX_ROWS:
                raise ImportRefused("too_many_rows", limit=MAX_ROWS)
            rows.append((number, tuple(values)))
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused("unreadable_workbook", detail=type(exc).__name__) from exc
    return rows, 0


def _modified(archive: zipfile.ZipFile) -> str:
    name = "docProps/core.xml"
    if name not in archive.namelist():
        return ""
    found: list[str] = []
    inside = [False]

    def start(tag: str, _attrs: dict[str, str]) -> None:
        inside[0] = tag.endswith(" modified")

    def text(data: str) -> None:
        if inside[0] and len("".join(found)) < 40:
            found.append(data)

    def end(_tag: str) -> None:
        inside[0] = False

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.EndElementHandler = end
    _parse_member(archive, name, parser)
    return "".join(found).strip()
