"""Local times to UTC across daylight-saving changes, checked against a minute-by-minute scan."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from defensa.shifts import timeutil
from defensa.shifts.tests import brute

ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
]
# US changes in 2026 and 2027: spring forward and fall back.
TRANSITIONS = [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)]

days_near_changes = st.builds(
    lambda base, offset: base + timedelta(days=offset),
    st.sampled_from(TRANSITIONS),
    st.integers(min_value=-2, max_value=2),
)
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 45, 59]))


@settings(max_examples=200, deadline=None)
@given(day=days_near_changes, clock=clock_times, zone=st.sampled_from(ZONES))
def test_wall_time_is_the_first_instant_clocks_reach_it(day, clock, zone) -> None:
    tz = ZoneInfo(zone)
    assert timeutil.wall_to_utc(day, clock, tz) == brute.first_minute_reading_at_least(
        day, clock, tz
    )


def test_shifts_across_the_changes_are_as_long_as_the_clock_says() -> None:
    tz = ZoneInfo("America/Chicago")
    fall_back = date(2026, 10, 31)  # Saturday night into Sunday 1 November
    starts, ends = timeutil.interval(fall_back, time(22), fall_back + timedelta(1), time(6), tz)
    assert ends - starts == timedelta(hours=9)
    spring = date(2027, 3, 13)
    starts, ends = timeutil.interval(spring, time(22), spring + timedelta(1), time(6), tz)
    assert ends - starts == timedelta(hours=7)


def test_a_start_inside_the_skipped_hour_begins_when_clocks_jump() -> None:
    tz = ZoneInfo("America/Denver")
    starts = timeutil.wall_to_utc(date(2027, 3, 14), time(2, 30), tz)
    assert starts.astimezone(tz).time() == time(3, 0)


def test_a_start_inside_the_repeated_hour_is_its_first_occurrence() -> None:
    tz = ZoneInfo("America/New_York")
    starts = timeutil.wall_to_utc(date(2026, 11, 1), time(1, 30), tz)
    assert starts.astimezone(tz).utcoffset() == timedelta(hours=-4)  # still daylight time


@settings(max_examples=100, deadline=None)
@given(
    day=days_near_changes,
    start=clock_times,
    end=clock_times,
    zone=st.sampled_from(ZONES),
)
def test_night_shifts_match_a_minute_scan(day, start, end, zone) -> None:
    tz = ZoneInfo(zone)
    starts, ends = timeutil.interval(
        day, start, day if end > start else day + timedelta(1), end, tz
    )
    if ends <= starts:
        return
    assert timeutil.night_dates(starts, ends, tz) == brute.night_dates(starts, ends, tz)


@given(st.sets(st.dates(date(2027, 1, 1), date(2027, 1, 31)), max_size=20))
def test_longest_run_counts_consecutive_nights(nights) -> None:
    for day in nights:
        run = timeutil.longest_run_through(nights, {day})
        left = right = day
        while left - timedelta(1) in nights:
            left -= timedelta(1)
        while right + timedelta(1) in nights:
            right += timedelta(1)
        assert run == (right - left).days + 1
