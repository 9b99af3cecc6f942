"""Dates in published sheets: the list's own date from its file name (checked against the
workbook's saved date), and cell dates typed every which way ("7/72025", "05/082025")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from defensa.campaigns.importers.base import RowRejected

# The 287(g) program began with IIRIRA, signed 1996-09-30: no agreement is older.
PROGRAM_START = date(1996, 9, 30)
EXCEL_EPOCH = date(1899, 12, 30)

_STAMP = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(\d{6})(?!\d)")  # 20250221214937
_EIGHT = re.compile(r"(?<!\d)(\d{8})(?!\d)")  # 05182026 or 20250912


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def from_name(name: str) -> date | None:
    """The date a file name carries: YYYYMMDDhhmmss, MMDDYYYY (ICE's way) or YYYYMMDD."""
    match = _STAMP.search(name)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    for digits in _EIGHT.findall(name):
        us = _make(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
        if us is not None and 1990 <= us.year <= 2100:
            return us
        iso = _make(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        if iso is not None and 1990 <= iso.year <= 2100:
            return iso
    return None


def list_date(
    name: str, saved: str, *, given: date | None = None
) -> tuple[date | None, dict[str, str]]:
    """The date a list describes, and a note when the file name was corrected.

    A date given by the person importing wins. Otherwise the file name's date; when the
    workbook's saved date has the same month and day in another year, the name's year was
    mistyped (ICE's participatingAgencies01052025pm.xlsx was saved on 2026-01-05) and the
    saved year is used. Without a date in the name, the saved date.
    """
    if given is not None:
        return given, {"code": "as_of_given"}
    named = from_name(name)
    stamp = saved_date(saved)
    if (
        named is not None
        and stamp is not None
        and (named.month, named.day) == (stamp.month, stamp.day)
        and named.year != stamp.year
    ):
        return stamp, {
            "code": "as_of_year_corrected",
            "named": named.isoformat(),
            "saved": stamp.isoformat(),
        }
    if named is not None:
        return named, {}
    if stamp is not None:
        return stamp, {"code": "as_of_from_saved", "saved": stamp.isoformat()}
    return None, {}


def saved_date(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date() if text else None
    except ValueError:
        return None


_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_US_RUN = re.compile(r"^(\d{1,2})/(\d{3,6})$")  # "7/72025", "05/082025": the second / lost
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _from_text(text: str) -> date:
    text = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_US, "mdy")):
        match = pattern.match(text)
        if match:
            parts = [int(g) for g in match.groups()]
            year, month, day = parts if order == "ymd" else (parts[2], parts[0], parts[1])
            found = _make(year, month, day)
            if found is None:
                raise RowRejected("date_unreadable", value=text)
            return found
    match = _US_RUN.match(text)
    if match:
        month, run = int(match.group(1)), match.group(2)
        # The run is day then a four-digit year; each way of cutting it that makes a date.
        readings = {
            found
            for cut in (1, 2)
            if len(run) - cut == 4
            and (found := _make(int(run[cut:]), month, int(run[:cut]))) is not None
        }
        if len(readings) == 1:
            return readings.pop()
        raise RowRejected("date_ambiguous" if readings else "date_unreadable", value=text)
    raise RowRejected("date_unreadable", value=text)


def cell_date(value: object, *, low: date, high: date) -> date | None:
    """A cell read as a date between `low` and `high`, None when empty, else RowRejected.

    US order (month/day) is ICE's; text with a lost slash is read when only one date fits.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value <= 2_958_465:
            raise RowRejected("date_unreadable", value=str(value))
        found = EXCEL_EPOCH + timedelta(days=int(value))
    else:
        found = _from_text(str(value))
    if not low <= found <= high:
        raise RowRejected(
            "date_out_of_range", value=found.isoformat(), low=low.isoformat(), high=high.isoformat()
        )
    return found
