"""History across sheets: Feb 2025 then May 2026 shows the agreements added and ended
between them (counted independently: 1,706 added, 14 ended, 137 in both); the same file again
changes nothing; and the order of imports does not matter."""

from __future__ import annotations

from collections import Counter

import pytest

from defensa.campaigns import history
from defensa.campaigns.models import Agency, Agreement, Listing, RejectedRow, SourceSheet
from defensa.campaigns.tests.conftest import load, research
from defensa.core.models import AuditEvent

pytestmark = pytest.mark.django_db

FEB_2025 = "participatingAgencies-20250221214937.xlsx"
MAY_2026 = "participatingAgencies05182026am.xlsx"


def _counts() -> tuple[int, ...]:
    return (
        SourceSheet.objects.count(),
        Agency.objects.count(),
        Agreement.objects.count(),
        Listing.objects.count(),
        RejectedRow.objects.count(),
        AuditEvent.objects.count(),
    )


def test_feb_2025_then_may_2026_shows_added_and_ended_agreements() -> None:
    older = load(research("ice-287g", FEB_2025))
    newer = load(research("ice-287g", MAY_2026))
    assert (newer.stored.added, newer.stored.ended) == (1706, 14)
    change = history.changes(older.sheet, newer.sheet)
    assert (change.added.count(), change.ended.count(), change.continued.count()) == (1706, 14, 137)
    assert Counter(a.model for a in change.added) == {"wso": 424, "tfm": 1154, "jem": 128}
    assert Counter(a.model for a in change.ended) == {"tfm": 3, "jem": 6, "wso": 5}
    ended = Agreement.objects.filter(ended_seen=newer.sheet)
    assert set(ended) == set(change.ended)
    assert all(a.last_seen_id == older.sheet.id for a in ended)
    assert Agreement.objects.filter(ended_seen__isnull=True).count() == 1843
    assert Agreement.objects.filter(first_seen=older.sheet, ended_seen=None).count() == 137


def test_importing_the_same_files_again_changes_nothing() -> None:
    load(research("ice-287g", FEB_2025))
    load(research("ice-287g", MAY_2026))
    before = _counts()
    again = [load(research("ice-287g", name)) for name in (FEB_2025, MAY_2026)]
    assert [r.created for r in again] == [False, False]
    assert _counts() == before


def test_history_does_not_depend_on_the_order_of_imports() -> None:
    newer = load(research("ice-287g", MAY_2026))
    older = load(research("ice-287g", FEB_2025))
    assert Agreement.objects.filter(ended_seen=newer.sheet).count() == 14
    assert Agreement.objects.filter(first_seen=older.sheet).count() == 151
    # Values come from the newest sheet that lists an agreement, whatever came in last.
    listing = Listing.objects.filter(sheet=newer.sheet).exclude(moa_url="").first()
    assert listing is not None
    assert listing.agreement is not None
    assert listing.agreement.moa_url == listing.moa_url


def test_an_older_sheet_does_not_overwrite_an_agencys_newer_name_or_county() -> None:
    load(research("ice-287g", MAY_2026))
    before = {a.code: (a.name, a.county_fips, a.type) for a in Agency.objects.all()}
    load(research("ice-287g", FEB_2025))
    after = {
        a.code: (a.name, a.county_fips, a.type) for a in Agency.objects.filter(code__in=before)
    }
    assert after == before
