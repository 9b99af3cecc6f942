"""The read side of the public facts pages: what a state or a county looks like in the
imported public data, with the file and date each figure comes from.

Everything here is public data (ICE's own lists, public offices, recorded laws) plus counts
of verified incidents from `verified`, which never returns an incident. Nothing here needs a
viewer: unknown places raise NotFound, like any page that does not exist.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from defensa.campaigns import charts, geography, topology, verified
from defensa.campaigns.models import (
    Agency,
    Agreement,
    DetentionFacility,
    DetentionStatistic,
    IceOffice,
    Jurisdiction,
    JurisdictionKind,
    Listing,
    PendingAgreement,
    Policy,
    SheetKind,
    SourceSheet,
    SupportModel,
)
from defensa.core.access import NotFound

MODELS: tuple[SupportModel, ...] = (
    SupportModel.TASK_FORCE,
    SupportModel.JAIL,
    SupportModel.WARRANT,
)
# Short names for table headings (the chart's legend and the agency list use the full ones).
SHORT_NAMES = {
    SupportModel.TASK_FORCE: _("Task force"),
    SupportModel.JAIL: _("Jail"),
    SupportModel.WARRANT: _("Warrant service"),
}
NEAREST_OFFICES = 5
NEAREST_FACILITIES = 5
STATISTICS_YEAR = 2025


@dataclass(frozen=True)
class SheetRef:
    """A source as pages name it: its file and the date its publisher's list describes."""

    file_name: str
    as_of: date
    kind: str

    @classmethod
    def of(cls, sheet: SourceSheet) -> SheetRef:
        return cls(file_name=sheet.file_name, as_of=sheet.as_of, kind=sheet.kind)


def _refs(sheets: Iterable[SourceSheet | None]) -> list[SheetRef]:
    seen: dict[str, SheetRef] = {}
    for sheet in sheets:
        if sheet is not None:
            seen.setdefault(sheet.file_name, SheetRef.of(sheet))
    return sorted(seen.values(), key=lambda r: (r.as_of, r.file_name))


def latest_sheet(kind: str) -> SourceSheet | None:
    return SourceSheet.objects.filter(kind=kind).order_by("-as_of", "-imported_at").first()


# --- Agreements over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    sheet: SheetRef
    counts: tuple[int, ...]  # in the order of MODELS

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Trend:
    rows: list[TrendRow]

    @property
    def sources(self) -> list[SheetRef]:
        return [r.sheet for r in self.rows]

    @property
    def models(self) -> list[str]:
        return [str(m.label) for m in MODELS]

    @property
    def short_models(self) -> list[str]:
        return [str(SHORT_NAMES[m]) for m in MODELS]

    def series(self) -> list[charts.Series]:
        return [
            charts.Series(
                key=model.value,
                label=str(model.label),
                points=[(r.sheet.as_of, r.counts[i]) for r in self.rows],
            )
            for i, model in enumerate(MODELS)
        ]

    @property
    def peak(self) -> int:
        return max((max(r.counts) for r in self.rows), default=0)


def _agency_filter(prefix: str, *, state: str, fips: str | None) -> Q:
    if fips is not None:
        return Q(**{f"{prefix}county_fips": fips})
    return Q(**{f"{prefix}state": state})


def trend(*, state: str, fips: str | None = None) -> Trend:
    """Agreements listed in each imported participating sheet, by model: one point per sheet
    (its as-of date), for a county or a whole state."""
    sheets = list(
        SourceSheet.objects.filter(kind=SheetKind.PARTICIPATING).order_by("as_of", "imported_at")
    )
    where = _agency_filter("agreement__agency__", state=state, fips=fips)
    counted: dict[tuple[int, str], int] = {
        (row["sheet_id"], row["agreement__model"]): row["n"]
        for row in Listing.objects.filter(where, sheet__kind=SheetKind.PARTICIPATING)
        .values("sheet_id", "agreement__model")
        .annotate(n=Count("id"))
    }
    return Trend(
        rows=[
            TrendRow(
                sheet=SheetRef.of(s), counts=tuple(counted.get((s.id, m.value), 0) for m in MODELS)
            )
            for s in sheets
        ]
    )


# --- Agencies and their agreements ------------------------------------------------------------


@dataclass(frozen=True)
class AgreementLine:
    model: str  # the model's label
    short: str  # its short name
    signed: date | None
    moa_url: str
    addendum_url: str
    seen: SheetRef  # the newest sheet that lists it
    ended: SheetRef | None  # the first sheet that no longer did


@dataclass
class AgencyRow:
    name: str
    type: str
    county: str
    agreements: list[AgreementLine] = field(default_factory=list)


def _safe(url: str) -> str:
    # Importers keep only http(s) links; check again, since a page makes them clickable.
    return url if url.startswith(("https://", "http://")) else ""


def _county_name(fips: str) -> str:
    found = geography.county(fips) if fips else None
    return found.name if found else ""


def _agency_rows(items: QuerySet[Agreement] | QuerySet[PendingAgreement]) -> list[AgencyRow]:
    rows: dict[int, AgencyRow] = {}
    for item in items.select_related("agency", "last_seen", "ended_seen").order_by(
        "agency__name", "model"
    ):
        agency: Agency = item.agency
        row = rows.setdefault(
            agency.id,
            AgencyRow(
                name=agency.name,
                type=agency.get_type_display() if agency.type else "",
                county=_county_name(agency.county_fips),
            ),
        )
        row.agreements.append(
            AgreementLine(
                model=item.get_model_display(),
                short=str(SHORT_NAMES.get(SupportModel(item.model), item.model)),
                signed=getattr(item, "signed", None),
                moa_url=_safe(item.moa_url),
                addendum_url=_safe(getattr(item, "addendum_url", "")),
                seen=SheetRef.of(item.last_seen),
                ended=SheetRef.of(item.ended_seen) if item.ended_seen else None,
            )
        )
    return list(rows.values())


@dataclass(frozen=True)
class Agencies:
    current: list[AgencyRow]
    ended: list[AgencyRow]
    pending: list[AgencyRow]
    participating_sheet: SheetRef | None
    pending_sheet: SheetRef | None

    @property
    def current_count(self) -> int:
        return sum(len(a.agreements) for a in self.current)

    @property
    def sources(self) -> list[SheetRef]:
        """The lists the current and ended agreements come from."""
        lines = [line for rows in (self.current, self.ended) for r in rows for line in r.agreements]
        refs = [ref for line in lines for ref in (line.seen, line.ended) if ref is not None]
        if self.participating_sheet is not None:
            refs.append(self.participating_sheet)
        return sorted(set(refs), key=lambda r: (r.as_of, r.file_name))

    @property
    def pending_refs(self) -> list[SheetRef]:
        return [self.pending_sheet] if self.pending_sheet else []


def agencies(*, state: str, fips: str | None = None, county_unknown: bool = False) -> Agencies:
    """Agencies with current, ended and pending agreements in a county (or a state; with
    `county_unknown`, only the state's agencies ICE names no county for)."""
    where = _agency_filter("agency__", state=state, fips=fips)
    if county_unknown:
        where &= Q(agency__county_fips="")
    participating = latest_sheet(SheetKind.PARTICIPATING)
    pending = latest_sheet(SheetKind.PENDING)
    return Agencies(
        current=_agency_rows(Agreement.objects.filter(where, ended_seen__isnull=True)),
        ended=_agency_rows(Agreement.objects.filter(where, ended_seen__isnull=False)),
        pending=_agency_rows(PendingAgreement.objects.filter(where, ended_seen__isnull=True)),
        participating_sheet=SheetRef.of(participating) if participating else None,
        pending_sheet=SheetRef.of(pending) if pending else None,
    )


def current_by_county(state: str) -> dict[str, dict[str, int]]:
    """FIPS -> {model: current agreements} for the counties of a state."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Agreement.objects.filter(agency__state=state, ended_seen__isnull=True)
        .exclude(agency__county_fips="")
        .values("agency__county_fips", "model")
        .annotate(n=Count("id"))
    )
    for row in rows:
        out[row["agency__county_fips"]][row["model"]] = row["n"]
    return dict(out)


# --- ICE offices and detention facilities -----------------------------------------------------


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lng) points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class Office:
    name: str
    agency: str
    address: str
    city: str
    state: str
    zip_code: str
    distance_km: int | None
    source: SheetRef


@dataclass(frozen=True)
class Facility:
    name: str
    type: str
    city: str
    state: str
    distance_km: int | None
    population: float | None  # FY average daily population, where the statistics have it
    statistics: SheetRef | None
    located_by: SheetRef | None  # the list its coordinates come from


def _office(item: IceOffice, centre: tuple[float, float] | None) -> Office:
    far = None
    if centre is not None and item.lat is not None and item.lng is not None:
        far = round(distance_km(centre, (item.lat, item.lng)))
    return Office(
        name=item.short_name or item.name,
        agency=item.agency,
        address=item.address,
        city=item.city,
        state=item.state,
        zip_code=item.zip_code,
        distance_km=far,
        source=SheetRef.of(item.source),
    )


def nearest_offices(centre: tuple[float, float], *, limit: int = NEAREST_OFFICES) -> list[Office]:
    items = IceOffice.objects.filter(lat__isnull=False, lng__isnull=False).select_related("source")
    ranked = sorted(items, key=lambda o: distance_km(centre, (o.lat or 0.0, o.lng or 0.0)))
    return [_office(o, centre) for o in ranked[:limit]]


def state_offices(state: str) -> list[Office]:
    items = IceOffice.objects.filter(state=state).select_related("source")
    return [_office(o, None) for o in items.order_by("agency", "city", "name")]


def _statistics(facility_ids: Sequence[int]) -> dict[int, DetentionStatistic]:
    rows = (
        DetentionStatistic.objects.filter(facility_id__in=facility_ids, fiscal_year=STATISTICS_YEAR)
        .select_related("sheet")
        .order_by("sheet__as_of")
    )
    return {s.facility_id: s for s in rows}  # the newest workbook wins


def _located_by() -> dict[str, SheetRef]:
    out = {}
    for kind in (
        SheetKind.FACILITIES_UWCHR,
        SheetKind.FACILITIES_ICEWATCH,
        SheetKind.DETENTION_STATS,
    ):
        sheet = latest_sheet(kind)
        if sheet is not None:
            out[str(kind)] = SheetRef.of(sheet)
    return out


def _in_use() -> QuerySet[DetentionFacility]:
    """Facilities a recent list names (icewatch 2025 or the FY statistics); the older UWCHR
    list alone also holds places ICE stopped using years ago."""
    recent = DetentionFacility.objects.filter(Q(in_icewatch=True) | Q(in_stats=True))
    return recent if recent.exists() else DetentionFacility.objects.all()


def _facilities(
    items: list[DetentionFacility], centre: tuple[float, float] | None
) -> list[Facility]:
    stats = _statistics([f.id for f in items])
    located = _located_by()
    out = []
    for item in items:
        stat = stats.get(item.id)
        far = None
        if centre is not None and item.lat is not None and item.lng is not None:
            far = round(distance_km(centre, (item.lat, item.lng)))
        out.append(
            Facility(
                name=item.name,
                type=item.type_detailed,
                city=item.city,
                state=item.state,
                distance_km=far,
                population=round(stat.average_daily_population, 1) if stat else None,
                statistics=SheetRef.of(stat.sheet) if stat else None,
                located_by=located.get(item.coordinates_from),
            )
        )
    return out


def nearest_facilities(
    centre: tuple[float, float], *, limit: int = NEAREST_FACILITIES
) -> list[Facility]:
    items = list(_in_use().filter(lat__isnull=False, lng__isnull=False))
    items.sort(key=lambda f: distance_km(centre, (f.lat or 0.0, f.lng or 0.0)))
    return _facilities(items[:limit], centre)


def state_facilities(state: str) -> list[Facility]:
    items = list(_in_use().filter(state=state).order_by("city", "name"))
    return _facilities(items, None)


def office_refs(offices: Iterable[Office]) -> list[SheetRef]:
    return sorted({o.source for o in offices}, key=lambda r: (r.as_of, r.file_name))


def facility_refs(facilities: Iterable[Facility]) -> list[SheetRef]:
    refs = {r for f in facilities for r in (f.statistics, f.located_by) if r is not None}
    return sorted(refs, key=lambda r: (r.as_of, r.file_name))


# --- Policies ---------------------------------------------------------------------------------


def policies(*, state: str, fips: str | None = None) -> list[Policy]:
    """Policies committees recorded: for a county, its own and its state's; for a state,
    every one within it. (Which committee recorded one is not shown.)"""
    items = Policy.objects.select_related("jurisdiction")
    if fips is not None:
        items = items.filter(
            Q(
                jurisdiction__kind=JurisdictionKind.COUNTY,
                jurisdiction__fips__in=geography.equivalents(fips),
            )
            | Q(jurisdiction__kind=JurisdictionKind.STATE, jurisdiction__state=state)
        )
    else:
        items = items.filter(jurisdiction__state=state)
    return list(items.order_by("level", "-adopted", "name"))


# --- Pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateLine:
    state: geography.State
    current: int
    pending: int


def index() -> list[StateLine]:
    """The states and territories, with their current and pending agreements."""
    current = dict(
        Agreement.objects.filter(ended_seen__isnull=True)
        .values_list("agency__state")
        .annotate(n=Count("id"))
        .values_list("agency__state", "n")
    )
    pending = dict(
        PendingAgreement.objects.filter(ended_seen__isnull=True)
        .values_list("agency__state")
        .annotate(n=Count("id"))
        .values_list("agency__state", "n")
    )
    return sorted(
        (
            StateLine(state=s, current=current.get(s.postal, 0), pending=pending.get(s.postal, 0))
            for s in geography.states().values()
        ),
        key=lambda line: line.state.name,
    )


def state(postal: str) -> geography.State:
    found = geography.states().get(postal)
    if found is None:
        raise NotFound
    return found


def county(postal: str, fips: str) -> geography.County:
    found = geography.county(fips)
    if found is None or found.state != postal:
        raise NotFound
    return found


@dataclass(frozen=True)
class CountyLine:
    county: geography.County
    counts: tuple[int, ...]  # current agreements, in the order of MODELS

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class StateFacts:
    state: geography.State
    trend: Trend
    counties: list[CountyLine]
    statewide: Agencies  # agencies ICE names no county for (state police, prisons...)
    offices: list[Office]
    facilities: list[Facility]
    policies: list[Policy]

    @property
    def office_refs(self) -> list[SheetRef]:
        return office_refs(self.offices)

    @property
    def facility_refs(self) -> list[SheetRef]:
        return facility_refs(self.facilities)


def state_facts(postal: str) -> StateFacts:
    found = state(postal)
    by_county = current_by_county(postal)
    lines = [
        CountyLine(
            county=c, counts=tuple(by_county.get(c.fips, {}).get(m.value, 0) for m in MODELS)
        )
        for c in sorted(geography.counties().values(), key=lambda c: c.name)
        if c.state == postal and (not c.superseded or c.fips in by_county)
    ]
    return StateFacts(
        state=found,
        trend=trend(state=postal),
        counties=lines,
        statewide=agencies(state=postal, county_unknown=True),
        offices=state_offices(postal),
        facilities=state_facilities(postal),
        policies=policies(state=postal),
    )


@dataclass(frozen=True)
class CountyFacts:
    state: geography.State
    county: geography.County
    centre: tuple[float, float] | None
    trend: Trend
    agencies: Agencies
    offices: list[Office]
    facilities: list[Facility]
    policies: list[Policy]
    incidents: list[verified.MonthCount]
    drawn_with_old_counties: bool  # Connecticut's planning regions, drawn with the old shapes

    @property
    def office_refs(self) -> list[SheetRef]:
        return office_refs(self.offices)

    @property
    def facility_refs(self) -> list[SheetRef]:
        return facility_refs(self.facilities)

    @property
    def all_incident_months_small(self) -> bool:
        return all(m.suppressed for m in self.incidents)


def county_facts(postal: str, fips: str) -> CountyFacts:
    found_state = state(postal)
    found = county(postal, fips)
    centre = geography.centroids().get(fips)
    return CountyFacts(
        state=found_state,
        county=found,
        centre=centre,
        trend=trend(state=postal, fips=fips),
        agencies=agencies(state=postal, fips=fips),
        offices=nearest_offices(centre) if centre else [],
        facilities=nearest_facilities(centre) if centre else [],
        policies=policies(state=postal, fips=fips),
        incidents=verified.monthly_counts(fips),
        drawn_with_old_counties=fips not in topology.counties(),
    )


def jurisdiction_place(item: Jurisdiction) -> tuple[str, str | None]:
    """(state postal, county FIPS or None) of a jurisdiction, for its facts."""
    if item.kind == JurisdictionKind.COUNTY:
        return item.state, item.fips
    return item.state, None
