"""The public facts pages (no sign-in): every state, each state, each county, and the
exports. Thin: read through `facts`, draw through `charts` and `maps`, render.

Caching: the pages are small and change only when a list is imported or an incident is
verified, so anonymous visitors may keep them five minutes. HTML pages say `private`: every
page carries the visitor's own CSRF token for the language switch (and sets its cookie), so
a shared cache must not hand one visitor's page to another. The exports carry no cookie and
no token and say `public`. Signed-in members always get `no-store` (NoStoreMiddleware).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from defensa.campaigns import charts, exports, facts, maps, topology

HTML_CACHE = "private, max-age=300"
DATA_CACHE = "public, max-age=300"


def _cached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = HTML_CACHE
    return response


def trend_chart(trend: facts.Trend, *, place: str, ident: str = "trend") -> Any:
    """The agreements-over-time chart of a place, or None before any list is imported."""
    if not trend.rows:
        return None
    first, last = trend.rows[0], trend.rows[-1]
    latest = "; ".join(
        _("%(model)s: %(count)s") % {"model": label, "count": count}
        for label, count in zip(trend.models, last.counts, strict=True)
    )
    return charts.line_chart(
        trend.series(),
        title=_("287(g) agreements in %(place)s in each list ICE published, by model")
        % {"place": place},
        desc=_("One point per list, from %(first)s to %(last)s. In the latest list: %(latest)s.")
        % {
            "first": date_format(first.sheet.as_of, "DATE_FORMAT"),
            "last": date_format(last.sheet.as_of, "DATE_FORMAT"),
            "latest": latest,
        },
        ident=ident,
    )


def county_map(found: facts.CountyFacts, *, ident: str = "county-map") -> Any:
    names = {"county": found.county.name, "state": found.state.name}
    if found.drawn_with_old_counties:
        desc = _(
            "The old counties that %(county)s overlaps are filled in; the other counties of "
            "%(state)s are outlined. The shapes are from before Connecticut's 2022 change."
        )
    else:
        desc = _("%(county)s is filled in; the other counties of %(state)s are outlined.")
    return maps.county_svg(
        found.county.fips,
        title=_("Map of %(county)s in %(state)s") % names,
        desc=desc % names,
        ident=ident,
    )


def county_context(found: facts.CountyFacts) -> dict[str, Any]:
    place = _("%(county)s, %(state)s") % {
        "county": found.county.name,
        "state": found.state.name,
    }
    return {
        "facts": found,
        "place": place,
        "chart": trend_chart(found.trend, place=found.county.name),
        "map": county_map(found),
        "map_source": topology.SOURCE_NAME,
        "map_vintage": topology.SOURCE_VINTAGE,
        "smallest": facts.verified.SMALLEST,
        "today": timezone.localdate(),
        "tables": list(exports.TABLES),
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    lines = facts.index()
    context = {
        "lines": lines,
        "participating": facts.latest_sheet(facts.SheetKind.PARTICIPATING),
        "pending": facts.latest_sheet(facts.SheetKind.PENDING),
        "tables": list(exports.TABLES),
    }
    return _cached(render(request, "campaigns/facts/index.html", context))


@require_GET
def state(request: HttpRequest, state: str) -> HttpResponse:
    found = facts.state_facts(state)
    counts = {line.county.fips: line.total for line in found.counties}
    labels = {
        line.county.fips: ngettext(
            "%(county)s: %(count)s current agreement",
            "%(county)s: %(count)s current agreements",
            line.total,
        )
        % {"county": line.county.name, "count": line.total}
        for line in found.counties
    }
    for old in topology.counties_of(found.state.fips):
        labels.setdefault(old.fips, old.name)
    drawn = maps.state_svg(
        state,
        counts,
        title=_("Map of current 287(g) agreements by county in %(state)s")
        % {"state": found.state.name},
        desc=_(
            "Each county of %(state)s is shaded by how many agreements its agencies have in "
            "the latest list: none, 1, 2 to 4, or 5 or more. The table below has the numbers."
        )
        % {"state": found.state.name},
        labels=labels,
    )
    context = {
        "facts": found,
        "chart": trend_chart(found.trend, place=found.state.name),
        "map": drawn,
        "map_source": topology.SOURCE_NAME,
        "map_vintage": topology.SOURCE_VINTAGE,
        "with_agreements": [line for line in found.counties if line.total],
        "latest_refs": (
            [found.statewide.participating_sheet] if found.statewide.participating_sheet else []
        ),
        "tables": list(exports.TABLES),
    }
    return _cached(render(request, "campaigns/facts/state.html", context))


@require_GET
def county(request: HttpRequest, state: str, fips: str) -> HttpResponse:
    found = facts.county_facts(state, fips)
    return _cached(render(request, "campaigns/facts/county.html", county_context(found)))


@require_GET
def export(request: HttpRequest, table: str, fmt: str) -> StreamingHttpResponse:
    chosen = exports.TABLES.get(table)
    if chosen is None or fmt not in ("csv", "json"):
        raise Http404
    if fmt == "csv":
        body = exports.csv_lines(chosen)
        content_type = "text/csv; charset=utf-8"
    else:
        body = exports.json_chunks(chosen)
        content_type = "application/json; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="defensa-{chosen.name}.{fmt}"'
    response["Cache-Control"] = DATA_CACHE
    return response
