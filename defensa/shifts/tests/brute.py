"""Brute-force references for the property tests: minute by minute, no cleverness.

They use only `zoneinfo` to read local clocks, never the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


def reading(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def first_minute_reading_at_least(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """Scan UTC minutes from well before, and return the first whose local reading is at or
    after `day clock`."""
    wanted = datetime.combine(day, clock)
    instant = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=16)
    while reading(instant, tz) < wanted:
        instant += MINUTE
    return instant


def occurrence(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    end_day = day if end > start else day + timedelta(days=1)
    return (
        first_minute_reading_at_least(day, start, tz),
        first_minute_reading_at_least(end_day, end, tz),
    )


def night_dates(starts: datetime, ends: datetime, tz: ZoneInfo) -> set[date]:
    """Nights D whose local 00:00–05:00 the interval overlaps, by scanning its minutes."""
    nights = set()
    instant = starts
    while instant < ends:
        local = reading(instant, tz)
        if local.time() < time(5, 0):
            nights.add(local.date())
        instant += MINUTE
    return nights
