"""The offline shapes decode into real places, the drawings are well-formed SVG that escape
what they are given, and charts say their numbers."""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from defensa.campaigns import charts, geography, maps, topology
from defensa.campaigns.models import Jurisdiction
from defensa.campaigns.places import ensure_jurisdictions
from defensa.core import geo

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: object) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own drawing, not untrusted input


def test_the_topojson_decodes_every_county_and_state() -> None:
    assert len(topology.counties()) == 3231
    assert len(topology.states()) == 56
    assert len(topology.counties_of("48")) == 254
    assert topology.counties()["48167"].name == "Galveston"


@pytest.mark.parametrize("fips", ["17031", "48201", "48167", "30029", "12086"])
def test_county_centres_agree_with_the_zip_codes_in_them(fips: str) -> None:
    """An independent estimate: the mean of the county's ZIP centres (the `zipcodes`
    package, another source) lies within a few tenths of a degree of the shape's centroid."""
    zips = geo.zips_in_county(fips)
    assert len(zips) > 10
    mean = (statistics.mean(z.lat for z in zips), statistics.mean(z.lng for z in zips))
    assert geography.centroids()[fips] == pytest.approx(mean, abs=0.3)


def test_every_centre_lies_within_its_countys_bounds() -> None:
    for fips, shape in topology.counties().items():
        lat, lng = topology.centroids()[fips]
        points = [p for polygon in shape.polygons for ring in polygon for p in ring]
        lngs = [p[0] + (360 if p[0] < -180 else 0) for p in points]
        lats = [p[1] for p in points]
        assert min(lats) <= lat <= max(lats), fips
        if fips[:2] != "02":  # the Aleutians straddle the 180th meridian
            assert min(lngs) <= lng <= max(lngs), fips


def test_connecticuts_planning_regions_take_a_centre_from_their_old_counties() -> None:
    capitol = geography.centroids()["09110"]  # overlaps Hartford (09003) and Tolland (09013)
    hartford, tolland = geography.centroids()["09003"], geography.centroids()["09013"]
    assert min(hartford[1], tolland[1]) <= capitol[1] <= max(hartford[1], tolland[1])
    assert maps.drawn_as("09110") == {"09003", "09013"}


@pytest.mark.django_db
def test_jurisdictions_get_their_centres() -> None:
    ensure_jurisdictions()
    cook = Jurisdiction.objects.get(fips="17031")
    assert (cook.lat, cook.lng) == geography.centroids()["17031"]


def test_a_county_map_fills_the_county_and_escapes_its_title() -> None:
    svg = maps.county_svg("48167", title="<script>alert(1)</script>", desc="Galveston & co")
    assert svg is not None
    root = parse(svg)
    assert root.findtext(f"{NS}title") == "<script>alert(1)</script>"
    assert "<script>" not in str(svg)
    this = root.find(f"{NS}path[@class='this']")
    assert this is not None
    assert this.get("d", "").startswith("M")
    view = [int(v) for v in root.get("viewBox", "").split()]
    assert view[2] == maps.WIDTH
    assert 0 < view[3] <= maps.MAX_HEIGHT
    assert len(str(svg)) < 40_000


def test_alaska_is_drawn_in_one_piece_across_the_180th_meridian() -> None:
    drawn = maps.state_map("AK")
    assert drawn is not None
    # Without the shift the Aleutians would sit at the far east edge, stretching the state.
    assert drawn.height > 300


def test_a_state_map_shades_counties_by_their_agreements() -> None:
    svg = maps.state_svg("TX", {"48167": 11, "48201": 3, "48113": 1}, title="t", desc="d",
                         labels={"48167": "Galveston County: 11"})  # fmt: skip
    assert svg is not None
    root = parse(svg)
    groups = {g.get("class"): g for g in root.findall(f"{NS}g")}
    assert set(groups) == {"step-0", "step-1", "step-2", "step-3"}
    assert len(groups["step-3"]) == 1
    assert len(groups["step-1"]) == 1
    assert groups["step-3"][0].findtext(f"{NS}title") == "Galveston County: 11"
    assert sum(len(g) for g in groups.values()) == 254
    assert maps.state_svg("ZZ", {}, title="t", desc="d", labels={}) is None


def test_a_chart_draws_one_marker_per_point_and_says_each_value() -> None:
    series = [
        charts.Series("tfm", "Task Force Model", [(date(2025, 2, 21), 0), (date(2026, 5, 18), 8)]),
        charts.Series("jem", "Jail & <Model>", [(date(2025, 2, 21), 1), (date(2026, 5, 18), 1)]),
    ]
    svg = charts.line_chart(series, title="Agreements", desc="Two lists")
    root = parse(svg)
    assert root.get("role") == "img"
    points = root.findall(f"{NS}g[@class='point s-tfm']")
    assert len(points) == 2
    assert points[1].findtext(f"{NS}title", "").endswith(": 8")
    assert len(root.findall(f"{NS}polyline")) == 2
    assert "Jail &amp; &lt;Model&gt;" in str(svg)


def test_nice_axis_tops() -> None:
    assert [charts.nice_top(n) for n in (0, 1, 3, 7, 11, 194, 387)] == [1, 1, 5, 10, 20, 200, 500]
