"""Demo schedules: dispatchers around the clock, confirmers in pairs by zone, some gaps."""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.utils import timezone

from defensa.core.errors import ActionRefused
from defensa.network.models import Committee, Person, Zone
from defensa.shifts import actions, timeutil
from defensa.shifts.models import QUALIFICATION_FOR, BlockKind, ShiftRole, Slot

DISPATCH = [(time(8), time(20)), (time(20), time(8))]
CONFIRM = [(time(6), time(11)), (time(17), time(21))]
OBSERVE = [(time(7), time(13))]


def load(seed: int = 2026) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data
    for committee in Committee.objects.filter(region__network__name__contains="demo"):
        tz = timeutil.committee_tz(committee)
        today = timeutil.local_date(timezone.now(), tz)
        plans: list[tuple[Zone | None, str, int, list[tuple[time, time]], range]] = [
            (None, ShiftRole.DISPATCHER, 1, DISPATCH, range(7)),
            (None, ShiftRole.LEGAL_OBSERVER, 1, OBSERVE, range(0, 5, 2)),
        ]
        plans += [
            (zone, ShiftRole.CONFIRMER, 2, CONFIRM, range(5))
            for zone in committee.zones.order_by("name")
        ]
        for where, role, needed, hours, weekdays in plans:
            template = actions.create_template(
                actor=None, committee=committee, zone=where, role=role, needed=needed
            )
            for weekday in weekdays:
                for start, end in hours:
                    actions.add_block(
                        actor=None,
                        template=template,
                        kind=BlockKind.WEEKLY,
                        weekday=weekday,
                        start_date=today,
                        start_time=start,
                        end_time=end,
                    )
        _sign_up_some(committee, rng, days=10)


def _sign_up_some(committee: Committee, rng: random.Random, *, days: int) -> None:
    """Qualified members take about two thirds of the next days' places; the rest stay gaps."""
    soon = timezone.now() + timedelta(days=days)
    slots = list(Slot.objects.filter(committee=committee, starts_at__lt=soon).order_by("starts_at"))
    people = list(
        Person.objects.filter(
            memberships__committee=committee, memberships__ended_at__isnull=True
        ).distinct()
    )
    for slot in slots:
        kind = QUALIFICATION_FOR[ShiftRole(slot.role)]
        candidates = [p for p in people if p.qualifications.filter(kind=kind).exists()]
        rng.shuffle(candidates)
        for person in candidates[: slot.needed]:
            if rng.random() < 0.35:
                continue
            try:
                actions.sign_up(actor=person, person=person, slot=slot)
            except ActionRefused:
                continue  # limits, overlaps: the demo respects them like everyone else
