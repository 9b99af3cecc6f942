"""The public facts pages over the real published files: a county page (Galveston County,
Texas) in Spanish and English with its chart, map, agencies and MOA links, nearest ICE
offices and facilities, policies and verified-incident counts (never one incident, never a
small number); a state page; the index; who may cache them; and unknown places as 404."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from html import unescape

import openpyxl
import pytest
from django.test import Client

from defensa import testing
from defensa.campaigns import facts, geography
from defensa.campaigns.models import Agreement, SheetKind, SourceSheet
from defensa.campaigns.tests import facts_world
from defensa.campaigns.tests.conftest import research
from defensa.campaigns.tests.test_drawing import parse
from defensa.incidents.models import Incident
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

COUNTY_URL = "/datos/TX/48167/"
MAY_2026 = "participatingAgencies05182026am.xlsx"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[facts_world.World]:
    with facts_world.shared(django_db_blocker) as built:
        yield built


def page(url: str, *, language: str = "es") -> str:
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML (so each is well formed)."""
    return [parse(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def galveston_in_workbook() -> Counter[str]:
    """Galveston County's agreements in the May 2026 workbook, read with plain openpyxl."""
    book = openpyxl.load_workbook(research("ice-287g", MAY_2026), read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c or "").strip().upper() for c in next(rows)]
    state, county, model = (header.index(n) for n in ("STATE", "COUNTY", "SUPPORT TYPE"))
    return Counter(
        str(r[model]).strip()
        for r in rows
        if r
        and str(r[state]).strip().upper() == "TEXAS"
        and str(r[county] or "").strip().casefold() == "galveston county"
    )


def test_the_county_page_in_spanish_has_its_chart_map_and_sources(world) -> None:
    html = page(COUNTY_URL)
    assert '<html lang="es">' in html
    assert "Galveston County, Texas" in html
    chart, shape = svgs(html)
    assert chart.get("role") == "img"
    assert shape.get("role") == "img"
    ns = "{http://www.w3.org/2000/svg}"
    assert "Galveston County" in (chart.findtext(f"{ns}title") or "")
    assert chart.findtext(f"{ns}desc")
    assert shape.find(f"{ns}path[@class='this']") is not None
    # One point per imported participating sheet and model: 3 sheets x 3 models.
    assert len(chart.findall(f".//{ns}g[@class]")) >= 9
    # The table under the chart: the May 2026 row equals an independent count of the workbook.
    table = re.search(r"<caption>Acuerdos en cada lista.*?</table>", html, flags=re.S)
    assert table is not None
    last_row = re.findall(r"<tr><th scope=\"row\">18/05/2026</th>(.*?)</tr>", table[0])
    numbers = [int(n) for n in re.findall(r'<td class="n">(\d+)</td>', last_row[0])]
    counted = galveston_in_workbook()
    assert (
        numbers
        == [
            counted["Task Force Model"],
            counted["Jail Enforcement Model"],
            counted["Warrant Service Officer"],
            sum(counted.values()),
        ]
        == [8, 1, 2, 11]
    )
    # Every figure names its file and date.
    for name in (MAY_2026, "ice-offices.xlsx", "FY25_detentionStats09112025.xlsx"):
        assert name in html
    assert "18 de mayo de 2026" in html
    assert "us-atlas 3.0.1, counties-10m.json" in html
    assert "Fuente:" in html


def test_the_county_page_lists_agencies_with_their_moa_links(world) -> None:
    html = page(COUNTY_URL)
    sheriff = Agreement.objects.filter(
        agency__county_fips="48167", agency__name__startswith="Galveston County Sheriff"
    ).exclude(moa_url="")
    assert sheriff.count() == 3
    for item in sheriff:
        assert f'<a href="{item.moa_url}" rel="noopener noreferrer">' in unescape(html)
    assert "Bayou Vista Police Department" in html
    links = re.findall(r'<a href="(https?://[^"]+)"([^>]*)>', html)
    assert links
    assert all('rel="noopener noreferrer"' in attrs for _url, attrs in links)


def test_nothing_on_the_page_is_loaded_from_elsewhere(world) -> None:
    html = page(COUNTY_URL)
    loaded = re.findall(r'<(?:script|img|link|iframe|source)\b[^>]*(?:src|href)="([^"]+)"', html)
    assert loaded
    assert all(url.startswith("/") for url in loaded)
    assert "xlink:href" not in html
    assert "url(" not in html


def test_the_nearest_offices_and_facilities_are_measured_from_the_county_centre(world) -> None:
    centre = geography.centroids()["48167"]
    offices = facts.nearest_offices(centre)
    assert [o.distance_km for o in offices] == sorted(o.distance_km or 0 for o in offices)
    assert offices[0].city.casefold() == "houston"
    assert 60 <= (offices[0].distance_km or 0) <= 90
    facilities = facts.nearest_facilities(centre)
    assert len(facilities) == 5
    with_population = [f for f in facilities if f.population is not None]
    assert with_population, "FY2025 statistics name at least one nearby facility"
    assert all(f.statistics and f.statistics.file_name.startswith("FY25") for f in with_population)
    html = page(COUNTY_URL)
    assert "Oficinas de ICE más cercanas" in html
    assert f"{offices[0].distance_km} km" in html


def test_policies_of_the_county_and_its_state_are_shown(world) -> None:
    html = page(COUNTY_URL)
    assert "Galveston Welcoming Resolution" in html
    assert "Texas SB 4 (2017)" in html
    assert "Comité de Galveston" not in html  # who recorded it is not public
    other = page("/datos/TX/48201/")
    assert "Texas SB 4 (2017)" in other
    assert "Galveston Welcoming Resolution" not in other


def test_verified_incidents_are_counted_by_month_and_small_counts_hidden(world) -> None:
    months = {m.month: m for m in facts.verified.monthly_counts("48167")}
    busy = months[world.busy_month.date().replace(day=1)]
    quiet = months[world.quiet_month.date().replace(day=1)]
    assert busy.count == 6  # 4 confirmed + 2 probable; false alarms and open ones not counted
    assert quiet.count is None  # 2: fewer than 5
    assert sum(1 for m in months.values() if m.count is not None) == 1
    html = page(COUNTY_URL)
    assert html.count("menos de 5</td>") == 11  # every other month, 0 or not, says the same
    for item in Incident.objects.all():
        assert str(item.code) not in html
    assert "77550" not in html
    assert "77590" not in html
    english = page(COUNTY_URL, language="en")
    assert '<html lang="en">' in english
    assert "fewer than 5" in english
    assert "Verified incidents" in english
    assert "Nearest ICE offices" in english


def test_a_county_with_only_small_counts_says_so_in_one_sentence(world) -> None:
    html = page("/datos/TX/48039/")  # Brazoria: no incidents at all
    assert "Menos de 5 incidentes verificados en cada uno de los últimos 12 meses." in html
    assert "menos de 5</td>" not in html


def test_the_state_page_shades_counties_and_counts_them(world) -> None:
    html = page("/datos/TX/")
    (_chart, shape) = svgs(html)
    ns = "{http://www.w3.org/2000/svg}"
    paths = shape.findall(f".//{ns}path")
    assert len(paths) == 254  # every Texas county
    by_county = facts.current_by_county("TX")
    assert sum(by_county["48167"].values()) == 11
    assert '<a href="/datos/TX/48167/">Galveston County</a>' in html
    titles = [p.findtext(f"{ns}title") or "" for p in paths]
    assert "Galveston County: 11 acuerdos vigentes" in titles
    current = Agreement.objects.filter(agency__state="TX", ended_seen__isnull=True).count()
    latest = SourceSheet.objects.filter(kind=SheetKind.PARTICIPATING).latest("as_of")
    assert facts.trend(state="TX").rows[-1].total == current
    assert latest.file_name in html


def test_the_index_lists_every_state_with_its_agreements(world) -> None:
    html = page("/datos/")
    assert '<a href="/datos/TX/">Texas</a>' in html
    assert '<a href="/datos/WY/">Wyoming</a>' in html
    lines = {line.state.postal: line for line in facts.index()}
    assert (
        lines["TX"].current
        == Agreement.objects.filter(agency__state="TX", ended_seen__isnull=True).count()
    )
    assert "/datos/exportar/agreements.csv" in html


def test_anonymous_visitors_may_keep_pages_members_may_not(world) -> None:
    response = Client().get(COUNTY_URL)
    assert response["Cache-Control"] == "private, max-age=300"
    member = testing.member(world.committee, roles=[Role.COORDINATOR], username="facts-reader")
    signed = testing.staff_client(member).get(COUNTY_URL)
    assert signed.status_code == 200
    assert "no-store" in signed["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    ["/datos/ZZ/", "/datos/tx/", "/datos/FL/48167/", "/datos/TX/99999/", "/datos/TX/4816/"],
)
def test_unknown_places_are_not_found(world, url: str) -> None:
    assert Client().get(url).status_code == 404


def test_the_home_page_links_to_the_facts(world) -> None:
    assert 'href="/datos/"' in page("/")
