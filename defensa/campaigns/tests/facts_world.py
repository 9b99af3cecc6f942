"""The published files the facts pages are tested with, imported once per test module.

Importing every real file takes several seconds, so a module's tests share one import inside
a transaction that is rolled back when the module ends (each test still runs in its own
savepoint). Galveston County, Texas has eleven agreements of all three models in the May 2026
list; the Houston ICE offices and several detention facilities are near it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from defensa import testing
from defensa.campaigns import actions
from defensa.campaigns.models import Policy
from defensa.campaigns.tests.conftest import load, research
from defensa.incidents.models import Disposition, Incident
from defensa.network.models import Committee

FILES = (
    ("ice-287g", "participatingAgencies-20250221214937.xlsx"),
    ("ice-287g", "participatingAgencies07182025pm.xlsx"),
    ("ice-287g", "participatingAgencies05182026am.xlsx"),
    ("ice-287g", "pendingAgencies02272026am.xlsx"),
    ("ice-offices", "ice-offices.xlsx"),
    ("ice-detention-facilities", "uwchr-facilities-geocoded.csv.gz"),
    ("ice-detention-facilities", "icewatch-facilities_geocoded_20250912_182537.json"),
    ("ice-detention-stats", "FY25_detentionStats09112025.xlsx"),
)
GALVESTON = "48167"


def import_all() -> None:
    for parts in FILES:
        load(research(*parts))


@dataclass(frozen=True)
class World:
    committee: Committee
    county_policy: Policy
    state_policy: Policy
    busy_month: datetime  # six verified incidents in Galveston County
    quiet_month: datetime  # two


def _incident(committee: Committee, *, at: datetime, disposition: str, zip_code: str) -> None:
    Incident.objects.create(
        committee=committee,
        first_seen_at=at,
        opened_at=at,
        last_report_at=at,
        zip_code=zip_code,
        disposition=disposition,
        status="verified" if disposition else "open",
    )


def build() -> World:
    import_all()
    committee = testing.committee("Comité de Galveston")
    committee.timezone = "America/Chicago"
    committee.save(update_fields=["timezone"])
    county_policy = actions.record_policy(
        actor=None,
        committee=committee,
        name="Galveston Welcoming Resolution",
        level="county",
        state="TX",
        place="Galveston County",
        summary="The county asks the sheriff not to hold people for ICE without a warrant.",
        source_url="https://example.org/resolution",
    )
    state_policy = actions.record_policy(
        actor=None, committee=committee, name="Texas SB 4 (2017)", level="state", state="TX"
    )
    now = datetime.now(UTC)
    busy = (now.replace(day=15, hour=18) - timedelta(days=62)).replace(day=15)
    quiet = (now.replace(day=15, hour=18) - timedelta(days=31)).replace(day=15)
    confirmed, probable = Disposition.CONFIRMED, Disposition.PROBABLE
    for i in range(4):
        _incident(committee, at=busy + timedelta(hours=i), disposition=confirmed, zip_code="77550")
    for i in range(2):  # Texas City, also in Galveston County
        _incident(committee, at=busy + timedelta(days=1, hours=i), disposition=probable,
                  zip_code="77590")  # fmt: skip
    for disposition in (Disposition.FALSE_ALARM, Disposition.UNVERIFIED, ""):
        _incident(committee, at=busy, disposition=disposition, zip_code="77550")
    for i in range(2):
        _incident(committee, at=quiet + timedelta(hours=i), disposition=confirmed, zip_code="77550")
    for i in range(7):  # Houston, in Harris County next door: not Galveston's
        _incident(committee, at=busy + timedelta(hours=i), disposition=confirmed, zip_code="77002")
    return World(
        committee=committee,
        county_policy=county_policy,
        state_policy=state_policy,
        busy_month=busy,
        quiet_month=quiet,
    )


@contextmanager
def shared(django_db_blocker: Any) -> Iterator[World]:
    """The world, for a module's tests; rolled back afterwards."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
