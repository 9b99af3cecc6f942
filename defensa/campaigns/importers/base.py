"""The small interface every importer implements, and what passes between its two halves.

`parse(source)` reads a file into plain records and problems without touching the database
(a hostile file fails here, before anything is written); `store(parsed, sheet)` writes the
records inside the transaction `run` opens, after the SourceSheet row exists.
"""

from __future__ import annotations

import hashlib
import io
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, ClassVar

from defensa.campaigns.geography import clean
from defensa.campaigns.importers.reasons import ImportRefused

# The largest file any importer reads (the upload page has its own, smaller cap).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_CELL_TEXT = 300


@dataclass(frozen=True)
class Source:
    """A file to import: a path (management commands) or bytes (the upload page)."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def checked(self) -> Source:
        if self.size > MAX_FILE_BYTES:
            raise ImportRefused("file_too_large", limit=MAX_FILE_BYTES)
        if self.size == 0:
            raise ImportRefused("empty_file")
        return self

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass
class Problem:
    """A row (outcome "row", not imported) or one value of it ("value") that could not be read."""

    row: int
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    outcome: str = "value"
    column: str = ""
    cells: list[str] = field(default_factory=list)


class RowRejected(Exception):
    """Raised while reading a row: the row is not imported, for this reason."""

    def __init__(self, reason: str, *, column: str = "", **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column
        self.params = params


@dataclass
class Parsed:
    kind: str
    as_of: date
    records: list[Any]
    problems: list[Problem]
    rows_read: int
    as_of_note: dict[str, str] = field(default_factory=dict)
    stopped_at_row: int = 0

    @property
    def rows_rejected(self) -> int:
        return sum(1 for p in self.problems if p.outcome == "row")


@dataclass
class Stored:
    """What a store changed, for the result page and the audit event."""

    added: int = 0
    ended: int = 0
    updated: int = 0
    unchanged: int = 0


def cells_text(values: tuple[Any, ...]) -> list[str]:
    """A row as text for RejectedRow.cells: trailing empty cells dropped, each cut short."""
    out = ["" if v is None else str(v)[:MAX_CELL_TEXT] for v in values]
    while out and not out[-1].strip():
        out.pop()
    return out


def header_map(values: tuple[Any, ...]) -> dict[str, int]:
    """Column positions by upper-case, space-collapsed header text."""
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        text = clean(value).upper()
        if text and text not in found:
            found[text] = index
    return found


class Importer(ABC):
    """One source of public data. Subclasses set `kinds` and implement parse and store."""

    kinds: ClassVar[tuple[str, ...]]
    label: ClassVar[str]

    @abstractmethod
    def parse(self, source: Source, *, as_of: date | None = None) -> Parsed: ...

    @abstractmethod
    def store(self, parsed: Parsed, sheet: Any) -> Stored: ...
