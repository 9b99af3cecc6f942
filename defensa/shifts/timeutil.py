"""Local wall-clock times to UTC, with one rule for daylight-saving changes.

A block starts (or ends) at the first instant at which the committee's clocks read its time or
later. So on the night clocks jump from 02:00 to 03:00, a shift "from 02:30" starts at 03:00;
on the night they fall back from 02:00 to 01:00, a shift "from 01:30" starts at the first
01:30. Shifts that cross a change are an hour longer or shorter in real time, as people
living by the clock expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from defensa.network.models import Committee

WEEK = timedelta(days=7)
# A shift is a night shift for night D if it overlaps D 00:00–05:00 local time.
NIGHT_START = time(0, 0)
NIGHT_END = time(5, 0)


def committee_tz(committee: Committee) -> ZoneInfo:
    return ZoneInfo(committee.timezone)


def wall_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The first instant at which local clocks read `day clock` or later."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _reading(first, tz) == naive:
        return first  # exists; for a repeated hour, fold=0 is its first occurrence
    # The clock jumps over `naive`: find the jump. Before it the clock reads less, after more.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if _reading(middle, tz) >= naive:
            high = middle
        else:
            low = middle
    return high


def _reading(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def interval(
    start_day: date, start: time, end_day: date, end: time, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    return wall_to_utc(start_day, start, tz), wall_to_utc(end_day, end, tz)


def weekly_occurrences(
    *,
    weekday: int,
    start: time,
    end: time,
    valid_from: date,
    valid_until: date | None,
    first: date,
    last: date,
    tz: ZoneInfo,
) -> Iterator[tuple[date, datetime, datetime]]:
    """(local start date, UTC start, UTC end) of each occurrence starting between the dates."""
    first = max(first, valid_from)
    if valid_until is not None:
        last = min(last, valid_until)
    for day in days(first, last):
        if day.weekday() != weekday:
            continue
        end_day = day if end > start else day + timedelta(days=1)
        starts, ends = interval(day, start, end_day, end, tz)
        if ends > starts:  # a block swallowed whole by a clock jump does not happen
            yield day, starts, ends


def night_dates(starts: datetime, ends: datetime, tz: ZoneInfo) -> set[date]:
    """The nights (local dates) whose 00:00–05:00 this interval overlaps."""
    nights = set()
    for day in days(local_date(starts, tz) - timedelta(days=1), local_date(ends, tz)):
        night_from, night_to = interval(day, NIGHT_START, day, NIGHT_END, tz)
        if starts < night_to and ends > night_from:
            nights.add(day)
    return nights


def longest_run_through(nights: set[date], through: set[date]) -> int:
    """The longest run of consecutive dates in `nights` that contains a date of `through`."""
    best = 0
    for day in through:
        run = 1
        before = day - timedelta(days=1)
        while before in nights:
            run += 1
            before -= timedelta(days=1)
        after = day + timedelta(days=1)
        while after in nights:
            run += 1
            after += timedelta(days=1)
        best = max(best, run)
    return best
