"""An incident's priority: points from plain rules a committee can read and change.

Every point has a reason a dispatcher sees ("an arrest", "at a school", "5 independent
reports"); the inbox orders incidents by the total. Nothing is learned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from defensa.hotline import salute

# The rules and their default points. A committee's TriageRules.points overrides any of them.
DEFAULTS: dict[str, int] = {
    "arrest": 40,
    "raid": 35,
    "checkpoint": 20,
    "surveillance": 10,
    "patrol": 5,
    "in_progress": 20,
    "school": 25,
    "courthouse": 20,
    "workplace": 15,
    "care": 15,
    "per_reporter": 8,
    "reporters_cap": 40,
    "trusted": 20,
}

LABELS = {
    "arrest": _("An arrest"),
    "raid": _("A raid"),
    "checkpoint": _("A checkpoint"),
    "surveillance": _("Agents watching or waiting"),
    "patrol": _("A patrol"),
    "in_progress": _("Happening now (seen in the last 30 minutes)"),
    "school": _("At or near a school"),
    "courthouse": _("At or near a courthouse"),
    "workplace": _("At a workplace"),
    "care": _("At a church, clinic or hospital"),
    "per_reporter": _("Each report after the first"),
    "reporters_cap": _("At most, for many reports"),
    "trusted": _("A trusted reporter"),
}

# Places people name, accent-free and lower case, in Spanish, English and Haitian Creole.
PLACES: dict[str, tuple[str, ...]] = {
    "school": ("escuela", "school", "colegio", "kinder", "prepa", "lekol", "high school"),
    "courthouse": ("corte", "courthouse", "tribunal", "juzgado", "court", "tribinal"),
    "workplace": (
        "fabrica", "factory", "trabajo", "work", "home depot", "construccion", "construction",
        "restaurante", "restaurant", "bodega", "warehouse", "car wash", "lavado", "faktori",
        "travay", "obra",
    ),
    "care": ("iglesia", "church", "clinica", "clinic", "hospital", "legliz", "klinik", "lopital"),
}  # fmt: skip

RECENT = timedelta(minutes=30)


@dataclass(frozen=True)
class Facts:
    """What triage reads of an incident."""

    activity: str
    reports: int
    trusted: bool
    last_seen_at: datetime | None
    words: str  # what its reports said, for the place rules (never stored)


def places_in(text: str) -> list[str]:
    plain = salute.plain(text)
    return [place for place, words in PLACES.items() if any(salute._has(plain, w) for w in words)]


def rules_for(points: Mapping[str, int] | None) -> dict[str, int]:
    merged = dict(DEFAULTS)
    for key, value in (points or {}).items():
        if key in DEFAULTS and isinstance(value, int) and 0 <= value <= 100:
            merged[key] = value
    return merged


def priority(facts: Facts, *, rules: Mapping[str, int], now: datetime) -> list[tuple[str, int]]:
    """The rules that apply and their points, largest first."""
    found: list[tuple[str, int]] = []
    if facts.activity in ("arrest", "raid", "checkpoint", "surveillance", "patrol"):
        found.append((facts.activity, rules[facts.activity]))
    if facts.last_seen_at is not None and now - facts.last_seen_at <= RECENT:
        found.append(("in_progress", rules["in_progress"]))
    for place in places_in(facts.words):
        found.append((place, rules[place]))
    if facts.reports > 1:
        more = min(rules["per_reporter"] * (facts.reports - 1), rules["reporters_cap"])
        found.append(("per_reporter", more))
    if facts.trusted:
        found.append(("trusted", rules["trusted"]))
    return sorted((item for item in found if item[1] > 0), key=lambda item: -item[1])


def total(found: Iterable[tuple[str, int]]) -> int:
    return min(sum(points for _rule, points in found), 999)
