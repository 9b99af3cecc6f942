"""The importer over every real 287(g) workbook ICE published (and the 2021 page), against
totals counted independently by `independent_totals.py` (plain openpyxl in full mode, no
Defensa code): agreements per model and per state, agencies, links, and the exact list of
what could not be read. SOURCE.md's own figures agree (e.g. May 2026: TFM 1,162 · WSO 499 ·
JEM 182); its agency counts are by raw name, ours fold case, spaces and apostrophes."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from defensa.campaigns.models import (
    Agency,
    Agreement,
    Listing,
    PendingAgreement,
    SheetKind,
    SourceSheet,
)
from defensa.campaigns.tests.conftest import load, research

pytestmark = pytest.mark.django_db

VERIFIED = {
    "ParticipatingEntities-20210113002027.xlsx": {
        "agreements": 150,
        "agencies": 147,
        "models": {"jem": 74, "wso": 76},
        "states": {
            "AK": 2,
            "AL": 1,
            "AR": 2,
            "AZ": 6,
            "CO": 1,
            "FL": 49,
            "GA": 8,
            "ID": 2,
            "KS": 2,
            "LA": 2,
            "MA": 4,
            "MD": 3,
            "MT": 2,
            "NC": 16,
            "NE": 1,
            "NJ": 2,
            "NV": 1,
            "NY": 1,
            "OH": 1,
            "OK": 3,
            "SC": 3,
            "TN": 2,
            "TX": 26,
            "VA": 1,
            "WI": 8,
            "WY": 1,
        },
        "moa_links": 150,
        "addendum_links": 0,
        "counties_blank": 0,
    },
    "participatingAgencies-20250221214937.xlsx": {
        "agreements": 151,
        "agencies": 142,
        "models": {"jem": 60, "tfm": 11, "wso": 80},
        "states": {
            "AK": 2,
            "AL": 1,
            "AR": 2,
            "AZ": 6,
            "CO": 1,
            "FL": 51,
            "GA": 6,
            "ID": 4,
            "KS": 4,
            "MA": 1,
            "MD": 3,
            "MT": 2,
            "NC": 15,
            "NE": 1,
            "NV": 2,
            "NY": 1,
            "OK": 6,
            "SC": 3,
            "TN": 2,
            "TX": 30,
            "WI": 7,
            "WY": 1,
        },
        "moa_links": 132,
        "addendum_links": 0,
        "counties_blank": 0,
    },
    "participatingAgencies01052025pm.xlsx": {
        "agreements": 1274,
        "agencies": 1058,
        "models": {"jem": 145, "tfm": 684, "wso": 445},
        "states": {
            "AK": 2,
            "AL": 44,
            "AR": 35,
            "AZ": 10,
            "CO": 1,
            "FL": 339,
            "GA": 43,
            "GU": 1,
            "IA": 2,
            "ID": 10,
            "IN": 17,
            "KS": 26,
            "KY": 25,
            "LA": 29,
            "MA": 1,
            "MD": 8,
            "MI": 7,
            "MN": 8,
            "MO": 34,
            "MS": 11,
            "MT": 4,
            "NC": 28,
            "ND": 11,
            "NE": 6,
            "NH": 12,
            "NM": 1,
            "NV": 5,
            "NY": 12,
            "OH": 16,
            "OK": 27,
            "PA": 49,
            "SC": 35,
            "SD": 6,
            "TN": 56,
            "TX": 259,
            "UT": 16,
            "VA": 32,
            "WI": 18,
            "WV": 17,
            "WY": 11,
        },
        "moa_links": 1274,
        "addendum_links": 45,
        "counties_blank": 241,
    },
    "participatingAgencies05182026am.xlsx": {
        "agreements": 1843,
        "agencies": 1551,
        "models": {"jem": 182, "tfm": 1162, "wso": 499},
        "states": {
            "AK": 2,
            "AL": 61,
            "AR": 86,
            "AZ": 10,
            "CO": 1,
            "FL": 348,
            "GA": 65,
            "GU": 1,
            "IA": 2,
            "ID": 12,
            "IN": 34,
            "KS": 35,
            "KY": 43,
            "LA": 43,
            "MA": 1,
            "MI": 8,
            "MN": 10,
            "MO": 103,
            "MP": 2,
            "MS": 39,
            "MT": 6,
            "NC": 29,
            "ND": 15,
            "NE": 10,
            "NH": 20,
            "NM": 2,
            "NV": 5,
            "NY": 14,
            "OH": 21,
            "OK": 69,
            "PA": 102,
            "SC": 49,
            "SD": 8,
            "TN": 77,
            "TX": 387,
            "UT": 16,
            "VA": 29,
            "WI": 23,
            "WV": 36,
            "WY": 19,
        },
        "moa_links": 1680,
        "addendum_links": 45,
        "counties_blank": 235,
    },
    "participatingAgencies07182025pm.xlsx": {
        "agreements": 832,
        "agencies": 685,
        "models": {"jem": 117, "tfm": 415, "wso": 300},
        "states": {
            "AK": 2,
            "AL": 23,
            "AR": 14,
            "AZ": 8,
            "CO": 1,
            "FL": 309,
            "GA": 31,
            "IA": 1,
            "ID": 7,
            "IN": 4,
            "KS": 14,
            "KY": 16,
            "LA": 14,
            "MA": 1,
            "MD": 8,
            "ME": 1,
            "MI": 6,
            "MN": 8,
            "MO": 5,
            "MS": 7,
            "MT": 3,
            "NC": 22,
            "ND": 8,
            "NE": 5,
            "NH": 12,
            "NM": 1,
            "NV": 5,
            "NY": 8,
            "OH": 9,
            "OK": 17,
            "PA": 27,
            "SC": 28,
            "SD": 4,
            "TN": 23,
            "TX": 118,
            "UT": 8,
            "VA": 28,
            "WI": 14,
            "WV": 3,
            "WY": 9,
        },
        "moa_links": 603,
        "addendum_links": 39,
        "counties_blank": 229,
    },
    "pendingAgencies-20250221214937.xlsx": {
        "agreements": 41,
        "agencies": 41,
        "models": {"jem": 17, "tfm": 1, "wso": 23},
        "states": {
            "FL": 13,
            "GA": 6,
            "LA": 1,
            "MD": 1,
            "MT": 1,
            "NE": 1,
            "NH": 1,
            "NY": 1,
            "OH": 1,
            "OK": 2,
            "PA": 1,
            "TN": 2,
            "TX": 7,
            "WY": 3,
        },
        "moa_links": 0,
        "addendum_links": 0,
        "counties_blank": 0,
    },
    "pendingAgencies01202026am.xlsx": {
        "agreements": 41,
        "agencies": 41,
        "models": {"jem": 4, "tfm": 31, "wso": 6},
        "states": {
            "AL": 2,
            "AR": 1,
            "FL": 1,
            "GA": 2,
            "KY": 1,
            "MO": 4,
            "MP": 2,
            "MS": 1,
            "OH": 1,
            "PA": 1,
            "SC": 1,
            "SD": 1,
            "TN": 2,
            "TX": 16,
            "WV": 5,
        },
        "moa_links": 0,
        "addendum_links": 0,
        "counties_blank": 2,
    },
    "pendingAgencies02272026am.xlsx": {
        "agreements": 2,
        "agencies": 1,
        "models": {"tfm": 1, "wso": 1},
        "states": {"AR": 2},
        "moa_links": 0,
        "addendum_links": 0,
        "counties_blank": 0,
    },
    "pendingAgencies05302025pm.xlsx": {
        "agreements": 82,
        "agencies": 75,
        "models": {"jem": 9, "tfm": 50, "wso": 23},
        "states": {
            "AL": 4,
            "AR": 2,
            "AZ": 1,
            "FL": 24,
            "GA": 4,
            "KS": 3,
            "LA": 1,
            "MD": 1,
            "MI": 1,
            "MN": 1,
            "MO": 1,
            "MS": 3,
            "NC": 1,
            "NE": 3,
            "NV": 2,
            "PA": 4,
            "SC": 2,
            "SD": 1,
            "TN": 3,
            "TX": 7,
            "VA": 7,
            "WI": 2,
            "WV": 1,
            "WY": 3,
        },
        "moa_links": 0,
        "addendum_links": 0,
        "counties_blank": 36,
    },
}

AS_OF = {
    "ParticipatingEntities-20210113002027.xlsx": date(2021, 1, 13),
    "participatingAgencies-20250221214937.xlsx": date(2025, 2, 21),
    # ICE typed 2025 for 2026 in the name; the workbook was saved on 2026-01-05.
    "participatingAgencies01052025pm.xlsx": date(2026, 1, 5),
    "participatingAgencies05182026am.xlsx": date(2026, 5, 18),
    "participatingAgencies07182025pm.xlsx": date(2025, 7, 18),
    "pendingAgencies-20250221214937.xlsx": date(2025, 2, 21),
    "pendingAgencies01202026am.xlsx": date(2026, 1, 20),
    "pendingAgencies02272026am.xlsx": date(2026, 2, 27),
    "pendingAgencies05302025pm.xlsx": date(2025, 5, 30),
}


def _county(row: int, value: str, state: str) -> tuple:
    return (row, "value", "COUNTY", "county_unmatched", {"value": value, "state": state})


# Everything each sheet said that could not be read. Counties: what is left of the
# independent script's exact-name misses once typos are read (see RESOLVED below).
PROBLEMS = {
    "participatingAgencies-20250221214937.xlsx": [
        (row, "value", "MOA", "link_missing", {"value": "link | addendum"})
        for row in (120, 129, 130)
    ],
    "participatingAgencies01052025pm.xlsx": [
        _county(91, "Bowie County", "AR"),  # Texarkana, Arkansas: Bowie County is in Texas
        _county(476, "Kattan District", "GU"),
        _county(696, "Albemarle County", "NC"),  # a regional jail; no such county
        _county(1245, "Washington County", "WV"),
    ],
    "participatingAgencies05182026am.xlsx": [
        _county(156, "Bowie County", "AR"),
        _county(575, "Kattan District", "GU"),
        _county(861, "North County", "MO"),
        _county(1599, "Overton County", "TX"),  # Overton is a Texas city, in two counties
        _county(1800, "Washington County", "WV"),
    ],
    "participatingAgencies07182025pm.xlsx": [
        _county(48, "Bowie County", "AR"),
        _county(517, "Albemarle County", "NC"),
        (
            639,
            "value",
            "SIGNED",
            "date_out_of_range",
            {"value": "5025-07-07", "low": "1996-09-30", "high": "2025-07-18"},
        ),
    ],
}

# Counties the sheet misspelt, checked by hand against where each agency is.
RESOLVED = {
    28: "01059",  # Frankin County AL -> Franklin
    76: "05119",  # Pulaksi County AR -> Pulaski
    147: "05115",  # Pop County AR -> Pope
    188: "12035",  # Flager County FL -> Flagler
    297: "12069",  # Lake Conty FL -> Lake
    430: "12111",  # St. Luice County FL -> St. Lucie
    529: "13087",  # Decatur GA -> Decatur County
    628: "20125",  # Montgomery KS (Caney) -> Montgomery County
    700: "21235",  # Whitely County KY (Williamsburg) -> Whitley
    702: "22097",  # Saint Landry County LA -> St. Landry Parish
    705: "22019",  # Calacasieu Parish -> Calcasieu
    721: "22059",  # LaSalle Parish -> La Salle Parish
    730: "22001",  # Arcadia County LA (Morse) -> Acadia Parish
    740: "22087",  # Chalmette Parish: St. Bernard Parish, from the sheriff's name
    741: "22089",  # German Coast County: St. Charles Parish, from the sheriff's name
    746: "26021",  # Berrian County MI -> Berrien
    805: "29187",  # Saint Francois County MO -> St. Francois
    1040: "40013",  # Bryant County OK (Bokchito) -> Bryan
    1053: "40039",  # Custer Countey OK -> Custer
    1143: "42087",  # Miffin County PA -> Mifflin
    1150: "42073",  # Lawrence PA -> Lawrence County
    1203: "45063",  # Lexignton County SC -> Lexington
    1322: "47185",  # Sparta-White County TN -> White County (Sparta is its seat)
    1562: "48145",  # Fall County TX (Marlin) -> Falls County
    1585: "48187",  # Guadalupe Conty TX -> Guadalupe
    1666: "48409",  # San Patricio TX -> San Patricio County
    1751: "51670",  # Hopewell County VA -> Hopewell city (independent city)
}

FILES = sorted(VERIFIED)


def _listings(sheet: SourceSheet):
    return Listing.objects.filter(sheet=sheet).select_related(
        "agreement__agency", "pending__agency"
    )


def _item(listing: Listing):
    return listing.agreement or listing.pending


@pytest.mark.parametrize("name", FILES)
def test_every_real_sheet_imports_with_the_verified_totals(name: str) -> None:
    path = research("ice-287g", name)
    want: dict[str, Any] = VERIFIED[name]
    result = load(path)
    sheet = result.sheet
    assert result.created
    assert sheet.kind == (
        SheetKind.PENDING if name.startswith("pending") else SheetKind.PARTICIPATING
    )
    assert sheet.as_of == AS_OF[name]
    assert sheet.rows_read == want["agreements"]  # blank rows are skipped, not counted
    assert sheet.rows_rejected == 0
    listings = list(_listings(sheet))
    assert len(listings) == want["agreements"]
    assert Counter(_item(x).model for x in listings) == want["models"]
    assert Counter(_item(x).agency.state for x in listings) == want["states"]
    assert len({_item(x).agency_id for x in listings}) == want["agencies"]
    assert sum(1 for x in listings if x.moa_url) == want["moa_links"]
    assert sum(1 for x in listings if x.addendum_url) == want["addendum_links"]
    assert all(x.moa_url.startswith(("https://", "http://")) for x in listings if x.moa_url)
    problems = [(r.row_number, r.outcome, r.column, r.reason, r.params) for r in result.rejected]
    assert problems == PROBLEMS.get(name, [])
    if want["counties_blank"] or name.endswith(("01052025pm.xlsx", "05182026am.xlsx")):
        unmatched = sum(1 for p in problems if p[3] == "county_unmatched")
        blank = sum(1 for x in listings if not _item(x).agency.county_fips)
        assert blank == want["counties_blank"] + unmatched


def test_typed_and_impossible_signed_dates_keep_their_text() -> None:
    load(research("ice-287g", "participatingAgencies07182025pm.xlsx"))
    by_row = {x.row_number: x for x in Listing.objects.all()}
    assert (by_row[775].signed, by_row[775].signed_raw) == (date(2025, 7, 7), "7/72025")
    assert (by_row[785].signed, by_row[785].signed_raw) == (date(2025, 5, 8), "05/082025")
    assert (by_row[639].signed, by_row[639].signed_raw) == (None, "5025-07-07")


def test_misspelt_counties_are_read_and_the_rest_left_blank() -> None:
    load(research("ice-287g", "participatingAgencies05182026am.xlsx"))
    by_row = {x.row_number: x.agreement.agency for x in _listings(SourceSheet.objects.get())}
    assert {row: by_row[row].county_fips for row in RESOLVED} == RESOLVED
    assert by_row[1751].county_raw == "Hopewell County"
    assert by_row[622].county_fips == ""  # Iowa Department of Public Safety: "N/A"
    assert by_row[2].county_fips == "01001"  # Autauga County, trailing space in the name
    assert by_row[2].name == "Autauga County Sheriff's Office"


def test_names_and_models_are_normalized() -> None:
    load(research("ice-287g", "participatingAgencies01052025pm.xlsx"))
    typo = Listing.objects.get(row_number=_row_of("Warrant Service Office"))
    assert typo.agreement is not None
    assert typo.agreement.model == "wso"
    assert not Agency.objects.filter(name__endswith=" ").exists()
    assert not Agency.objects.filter(name__contains="\xa0").exists()
    assert set(Agency.objects.values_list("type", flat=True)) == {"county", "municipality", "state"}


def _row_of(model_text: str) -> int:
    import openpyxl

    path = research("ice-287g", "participatingAgencies01052025pm.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        if values[4] == model_text:
            return number
    raise AssertionError(model_text)


def test_pending_types_state_and_state_agency_are_one_type() -> None:
    load(research("ice-287g", "pendingAgencies01202026am.xlsx"))
    assert Counter(Agency.objects.values_list("type", flat=True)) == {
        "county": 24,
        "municipality": 15,
        "state": 2,
    }
    assert PendingAgreement.objects.count() == 41
    assert not Agreement.objects.exists()


def test_the_mmdd_of_the_typo_year_is_explained() -> None:
    result = load(research("ice-287g", "participatingAgencies01052025pm.xlsx"))
    assert result.sheet.as_of_note == {
        "code": "as_of_year_corrected",
        "named": "2025-01-05",
        "saved": "2026-01-05",
    }
