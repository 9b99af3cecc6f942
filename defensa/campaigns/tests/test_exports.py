"""Every public table downloads as CSV and as JSON, both parse, and both say what the
database holds, row for row, with the file and date each row comes from. Verified incidents
leave only as county-month counts of 5 or more; a policy leaves without its committee."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from defensa.campaigns import exports
from defensa.campaigns.models import (
    Agency,
    Agreement,
    DetentionFacility,
    DetentionStatistic,
    IceOffice,
    PendingAgreement,
    Policy,
    SourceSheet,
)
from defensa.campaigns.tests import facts_world

pytestmark = pytest.mark.django_db

MODELS: dict[str, type[Model]] = {
    "source-sheets": SourceSheet,
    "agencies": Agency,
    "agreements": Agreement,
    "pending-agreements": PendingAgreement,
    "ice-offices": IceOffice,
    "facilities": DetentionFacility,
    "policies": Policy,
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[facts_world.World]:
    with facts_world.shared(django_db_blocker) as built:
        yield built


def download(table: str, fmt: str) -> tuple[Any, bytes]:
    response: Any = Client().get(f"/datos/exportar/{table}.{fmt}")
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def as_csv(table: str) -> list[dict[str, str]]:
    response, body = download(table, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in response.headers
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert list(rows[0]) == exports.TABLES[table].columns if rows else True
    return rows


def as_json(table: str) -> list[dict[str, Any]]:
    response, body = download(table, "json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert data["table"] == table
    assert data["columns"] == exports.TABLES[table].columns
    return list(data["rows"])


@pytest.mark.parametrize("table", list(MODELS))
def test_each_table_has_one_row_per_record_in_both_formats(world, table: str) -> None:
    model = MODELS[table]
    codes = {str(c) for c in model._default_manager.values_list("code", flat=True)}
    from_csv, from_json = as_csv(table), as_json(table)
    assert len(from_csv) == len(from_json) == len(codes) > 0
    assert {r["code"] for r in from_csv} == {r["code"] for r in from_json} == codes


def test_detention_statistics_are_one_row_per_facility_and_workbook(world) -> None:
    from_json = as_json("detention-statistics")
    assert len(from_json) == DetentionStatistic.objects.count() > 100
    first = DetentionStatistic.objects.select_related("facility", "sheet").get(
        facility__code=from_json[0]["facility_code"], sheet__file_name=from_json[0]["source_file"]
    )
    assert from_json[0]["average_daily_population"] == pytest.approx(first.average_daily_population)
    assert from_json[0]["source_as_of"] == first.sheet.as_of.isoformat()
    assert len(as_csv("detention-statistics")) == len(from_json)


def test_agreements_carry_their_history_and_links(world) -> None:
    rows = {r["code"]: r for r in as_csv("agreements")}
    for item in Agreement.objects.select_related("agency", "first_seen", "last_seen", "ended_seen")[
        :200
    ]:
        row = rows[str(item.code)]
        assert row["agency_name"] == exports._cell(item.agency.name)
        assert row["model"] == item.model
        assert row["moa_url"] == item.moa_url
        assert row["first_seen_file"] == item.first_seen.file_name
        assert row["first_seen_as_of"] == item.first_seen.as_of.isoformat()
        assert row["last_seen_file"] == item.last_seen.file_name
        assert row["ended_seen_file"] == (item.ended_seen.file_name if item.ended_seen else "")
        assert row["current"] == ("true" if item.ended_seen_id is None else "false")
    current = [r for r in as_json("agreements") if r["current"]]
    assert len(current) == Agreement.objects.filter(ended_seen__isnull=True).count()


def test_offices_and_facilities_keep_their_coordinates_and_sources(world) -> None:
    offices = {r["code"]: r for r in as_json("ice-offices")}
    atlanta = IceOffice.objects.get(short_name="Atlanta - ERO")
    row = offices[str(atlanta.code)]
    assert (row["lat"], row["lng"], row["zip_code"]) == (atlanta.lat, atlanta.lng, "30303")
    assert row["source_file"] == "ice-offices.xlsx"
    facilities = {r["code"]: r for r in as_json("facilities")}
    aberdeen = DetentionFacility.objects.get(detloc="ABRDNWA")
    assert facilities[str(aberdeen.code)]["county_fips"] == "53027"
    assert facilities[str(aberdeen.code)]["in_uwchr"] is True


def test_policies_leave_without_the_committee_that_recorded_them(world) -> None:
    rows = as_json("policies")
    assert {r["name"] for r in rows} == {"Galveston Welcoming Resolution", "Texas SB 4 (2017)"}
    county = next(r for r in rows if r["level"] == "county")
    assert (county["jurisdiction_fips"], county["state"]) == ("48167", "TX")
    body = download("policies", "csv")[1].decode()
    assert "Comité de Galveston" not in body
    assert str(world.committee.code) not in body


def test_verified_incidents_leave_only_as_counts_of_five_or_more(world) -> None:
    rows = as_json("verified-incidents")
    month = world.busy_month.strftime("%Y-%m")
    assert [(r["county_fips"], r["month"], r["verified_incidents"]) for r in rows] == [
        ("48167", month, 6),
        ("48201", month, 7),
    ]  # the quiet month (2) is not there at all
    assert as_csv("verified-incidents")[0]["verified_incidents"] == "6"


def test_text_a_spreadsheet_would_run_is_quoted_in_csv_only() -> None:
    assert exports._cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert exports._cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports._cell(-87.6) == "-87.6"
    assert exports.plain("=1+1") == "=1+1"
    assert exports.plain(float("nan")) is None


def test_an_unknown_table_or_format_is_not_found(world) -> None:
    assert Client().get("/datos/exportar/people.csv").status_code == 404
    assert Client().get("/datos/exportar/agreements.xlsx").status_code == 404
