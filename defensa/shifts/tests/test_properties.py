"""Property tests over random schedules: "on now" against a brute-force computation across
daylight-saving changes, and care limits that no sequence of sign-ups can break."""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.network.models import Person
from defensa.shifts import access, actions, timeutil
from defensa.shifts.models import Assignment, BlockKind, ShiftRole, Slot
from defensa.shifts.tests import brute
from defensa.shifts.tests.conftest import qualify

pytestmark = pytest.mark.django_db

ZONES = ["America/Chicago", "America/New_York", "America/Denver", "America/Phoenix"]
# Future US changes: slots are only made for dates that have not passed.
CHANGES = [date(2027, 3, 14), date(2027, 11, 7)]
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = itertools.count()


def _committee(zone: str):
    committee = testing.committee(f"Comité {next(_names)}")
    committee.timezone = zone
    committee.save(update_fields=["timezone"])
    actions.set_care_limits(
        actor=None,
        committee=committee,
        max_hours_per_week=168,
        max_consecutive_nights=7,
        min_rest_hours=0,
    )
    return committee


def _people(committee, count: int) -> list[Person]:
    people = []
    for _index in range(count):
        person = testing.member(committee, name=f"P{next(_names)}")
        qualify(person, committee)
        people.append(person)
    return people


times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))


@HYPOTHESIS
@given(data=st.data())
def test_on_now_agrees_with_brute_force_across_clock_changes(data) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    change = data.draw(st.sampled_from(CHANGES))
    tz = ZoneInfo(zone)
    committee = _committee(zone)
    template = actions.create_template(
        actor=None, committee=committee, zone=None, role=ShiftRole.CONFIRMER, needed=3
    )
    blocks = []
    for _index in range(data.draw(st.integers(1, 3))):
        start, end = data.draw(times), data.draw(times)
        if start == end:
            continue
        try:
            blocks.append(
                actions.add_block(
                    actor=None,
                    template=template,
                    kind=BlockKind.WEEKLY,
                    weekday=data.draw(st.integers(0, 6)),
                    start_date=change - timedelta(days=3),
                    end_date=change + timedelta(days=3),
                    start_time=start,
                    end_time=end,
                )
            )
        except ActionRefused:
            continue  # overlapping another block: refused whole, which is right
    # Slots are exactly the brute-force occurrences of each block.
    for block in blocks:
        expected = set()
        for day in timeutil.days(block.start_date, block.end_date):  # type: ignore[arg-type]
            if day.weekday() == block.weekday:
                starts, ends = brute.occurrence(day, block.start_time, block.end_time, tz)
                if ends > starts:
                    expected.add((starts, ends))
        made = set(Slot.objects.filter(block=block).values_list("starts_at", "ends_at"))
        assert made == expected
    slots = list(Slot.objects.filter(committee=committee))
    for person in _people(committee, data.draw(st.integers(1, 3))):
        for slot in data.draw(st.lists(st.sampled_from(slots), max_size=4)) if slots else []:
            with contextlib.suppress(ActionRefused):
                actions.sign_up(actor=person, person=person, slot=slot)
    window_start = datetime.combine(change - timedelta(days=3), time(0), tzinfo=tz)
    active = list(Assignment.objects.filter(committee=committee, cancelled_at__isnull=True))
    for minutes in data.draw(st.lists(st.integers(0, 7 * 24 * 60), min_size=5, max_size=12)):
        at = window_start + timedelta(minutes=minutes)
        on_now = set(
            access.on_call_now(committee, ShiftRole.CONFIRMER, at=at).values_list(
                "person_id", flat=True
            )
        )
        assert on_now == {a.person_id for a in active if a.starts_at <= at < a.ends_at}


def _check_limits(assignments: list[Assignment], limits, tz: ZoneInfo) -> None:
    """Independent check of every care limit over a volunteer's whole schedule."""
    spans = sorted((a.starts_at, a.ends_at) for a in assignments)
    minutes_by_week: dict[date, float] = defaultdict(float)
    nights: set[date] = set()
    for starts, ends in spans:
        local_start = starts.astimezone(tz).date()
        week = local_start - timedelta(days=local_start.weekday())
        minutes_by_week[week] += (ends - starts).total_seconds() / 60
        nights |= brute.night_dates(starts, ends, tz)
    for week, minutes in minutes_by_week.items():
        assert minutes <= limits.max_hours_per_week * 60, week
    run = longest = 0
    previous = None
    for night in sorted(nights):
        run = run + 1 if previous and night - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = night
    assert longest <= limits.max_consecutive_nights
    for (_s1, e1), (s2, e2) in itertools.combinations(spans, 2):
        gap = s2 - e1 if e1 <= s2 else None
        assert gap is not None or e2 <= _s1, "overlapping shifts"
        if gap is not None:
            assert gap >= timedelta(hours=limits.min_rest_hours)


@HYPOTHESIS
@given(data=st.data())
def test_no_sequence_of_sign_ups_breaks_the_limits(data) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    committee = _committee(zone)
    limits = actions.set_care_limits(
        actor=None,
        committee=committee,
        max_hours_per_week=data.draw(st.integers(4, 30)),
        max_consecutive_nights=data.draw(st.integers(0, 3)),
        min_rest_hours=data.draw(st.integers(0, 12)),
    )
    from defensa.network import actions as network_actions

    zones = [
        network_actions.create_zone(actor=None, committee=committee, name=f"Z{i}") for i in range(3)
    ]
    templates = [
        actions.create_template(
            actor=None, committee=committee, zone=z, role=ShiftRole.CONFIRMER, needed=1
        )
        for z in zones
    ]
    first_day = CHANGES[0] - timedelta(days=6)
    for _index in range(data.draw(st.integers(4, 14))):
        day = first_day + timedelta(days=data.draw(st.integers(0, 13)))
        start = data.draw(times)
        hours = data.draw(st.integers(1, 12))
        end_at = datetime.combine(day, start) + timedelta(hours=hours)
        with contextlib.suppress(ActionRefused):
            actions.add_block(
                actor=None,
                template=data.draw(st.sampled_from(templates)),
                kind=BlockKind.ONCE,
                start_date=day,
                start_time=start,
                end_date=end_at.date(),
                end_time=end_at.time(),
            )
    slots = list(Slot.objects.filter(committee=committee))
    if not slots:
        return
    [person] = _people(committee, 1)
    for slot in data.draw(st.lists(st.sampled_from(slots), max_size=20)):
        mine = list(Assignment.objects.filter(person=person, cancelled_at__isnull=True))
        if mine and data.draw(st.booleans()):
            actions.cancel_assignment(actor=person, assignment=data.draw(st.sampled_from(mine)))
        with contextlib.suppress(ActionRefused):
            actions.sign_up(actor=person, person=person, slot=slot)
        _check_limits(
            list(Assignment.objects.filter(person=person, cancelled_at__isnull=True)), limits, tz
        )
