"""ICE offices, both detention facility lists and the FY2025 detention statistics import with
totals counted independently (awk and plain openpyxl over the same files), merge into one
facility table, and do nothing the second time."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from defensa.campaigns.models import (
    DetentionFacility,
    DetentionStatistic,
    IceOffice,
    RejectedRow,
)
from defensa.campaigns.tests.conftest import load, research

pytestmark = pytest.mark.django_db

UWCHR = ("ice-detention-facilities", "uwchr-facilities-geocoded.csv.gz")
ICEWATCH = ("ice-detention-facilities", "icewatch-facilities_geocoded_20250912_182537.json")
STATS = ("ice-detention-stats", "FY25_detentionStats09112025.xlsx")


def test_ice_offices_import_with_their_agencies_and_coordinates() -> None:
    result = load(research("ice-offices", "ice-offices.xlsx"))
    assert (result.sheet.rows_read, result.sheet.rows_rejected) == (275, 0)
    assert str(result.sheet.as_of) == "2025-12-03"  # no date in the name: the saved date
    assert Counter(IceOffice.objects.values_list("agency", flat=True)) == {
        "ERO": 146, "OPLA": 67, "HSI": 31, "OPE": 25, "OPR": 4, "JIATF": 1, "LESC": 1,
    }  # fmt: skip
    assert IceOffice.objects.filter(sub_office=True).count() == 121
    assert IceOffice.objects.filter(lat__isnull=False).count() == 270
    atlanta = IceOffice.objects.get(short_name="Atlanta - ERO")
    assert (atlanta.state, atlanta.zip_code, atlanta.county_fips) == ("GA", "30303", "13121")
    assert load(research("ice-offices", "ice-offices.xlsx")).created is False
    assert IceOffice.objects.count() == 275


def test_uwchr_facilities_import_by_detloc_code() -> None:
    result = load(research(*UWCHR))
    sheet = result.sheet
    # 1,532 rows; 8 "transport only" codes have no state and are not places.
    assert (sheet.rows_read, sheet.rows_rejected) == (1532, 8)
    assert str(sheet.as_of) == "2017-11-04"  # the latest date of use in the file
    assert DetentionFacility.objects.count() == 1524
    assert DetentionFacility.objects.filter(lat__isnull=False).count() == 1522
    types = Counter(DetentionFacility.objects.values_list("type_detailed", flat=True))
    # HOLD: 168 in the file, one of them a stateless transport code.
    assert (types["IGSA"], types["USMS IGA"], types["HOLD"], types["BOP"]) == (796, 216, 167, 96)
    aberdeen = DetentionFacility.objects.get(detloc="ABRDNWA")
    assert (aberdeen.county_fips, aberdeen.state) == ("53027", "WA")  # "GRAYS HARBOR "
    rows = RejectedRow.objects.filter(sheet=sheet, outcome="row")
    assert set(rows.values_list("reason", flat=True)) == {"missing_value"}


def test_icewatch_facilities_merge_into_uwchrs_by_name_and_address() -> None:
    load(research(*UWCHR))
    result = load(research(*ICEWATCH))
    assert (result.sheet.rows_read, result.sheet.rows_rejected) == (187, 0)
    assert DetentionFacility.objects.filter(in_icewatch=True).count() == 187
    both = DetentionFacility.objects.filter(in_icewatch=True, in_uwchr=True).count()
    assert (both, result.stored.added) == (148, 39)
    assert DetentionFacility.objects.filter(in_icewatch=True, lat__isnull=False).count() >= 181


def test_the_fy2025_statistics_import_the_per_facility_table() -> None:
    load(research(*UWCHR))
    load(research(*ICEWATCH))
    result = load(research(*STATS))
    sheet = result.sheet
    assert (sheet.rows_read, sheet.rows_rejected) == (187, 0)
    assert str(sheet.as_of) == "2025-09-11"
    assert sheet.as_of_note == {"code": "data_pulled", "date": "2025-09-02"}
    stats = list(DetentionStatistic.objects.select_related("facility"))
    assert len(stats) == 187
    assert round(sum(s.average_daily_population for s in stats), 1) == 47104.1
    assert Counter(s.type_detailed for s in stats).most_common(2) == [
        ("USMS IGA", 86),
        ("IGSA", 39),
    ]
    assert all(s.fiscal_year == 2025 for s in stats)
    # The icewatch list is this same sheet: every row finds its facility, none is added.
    assert result.stored.added == 0
    wyatt = next(s for s in stats if s.facility.name == "WYATT DETENTION CENTER")
    assert wyatt.facility.zip_code == "02863"  # 2863 in the workbook
    assert wyatt.guaranteed_minimum is None


def test_the_facility_commands_import_both_lists(capsys) -> None:
    call_command("import_detention_facilities", str(research(*UWCHR)), str(research(*ICEWATCH)))
    out = capsys.readouterr().out
    assert "rows read 1532, rejected 8" in out
    assert "rows read 187, rejected 0" in out
    call_command("import_detention_stats", str(research(*STATS)))
    call_command("import_detention_stats", str(research(*STATS)))
    assert "already imported" in capsys.readouterr().out
    assert DetentionStatistic.objects.count() == 187
