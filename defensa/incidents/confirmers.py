"""Who can be asked to go and look, and how near they are: reads for `dispatching`.

Nearness is measured between coarse areas only: the incident's resolution-7 cell (or its ZIP
code) and the centre of the zone of a confirmer's shift, from the zone's area units (ZIP
centres, cell centres, a county's ZIP centres), or the committee's area for a shift that
covers the whole committee. Nobody's own location is read, because none is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from defensa.core import geo
from defensa.incidents.engine import km as distance_km
from defensa.incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from defensa.network.models import (
    AreaKind,
    AreaUnit,
    Committee,
    Membership,
    Person,
    Qualification,
    QualificationKind,
    Zone,
)
from defensa.shifts.access import on_call_now
from defensa.shifts.models import ShiftRole

Point = tuple[float, float]

# Requests that still count towards "two confirmers": waiting for an answer, or going.
WAITING = [DispatchStatus.OFFERED]
GOING = [DispatchStatus.ACCEPTED, DispatchStatus.REPORTED]
STANDING = WAITING + GOING
# An incident still needs eyes on the ground only in these states.
DISPATCHABLE = [IncidentStatus.OPEN, IncidentStatus.DISPATCHED]


@dataclass(frozen=True)
class Candidate:
    person: Person
    km: float | None  # from the centre of their shift's zone (or committee area) to the incident
    open_requests: int  # other requests they are answering or going to right now
    zone: Zone | None  # their shift's zone; None for a shift covering the whole committee


def target() -> int:
    # Read at each call (not at import) so a deployment's setting, and tests, apply.
    return max(2, int(settings.DEFENSA_DISPATCH_CONFIRMERS))


# --- Where people are on call (coarse areas only) ---------------------------------------------


def _unit_center(kind: str, value: str) -> Point | None:
    if kind == AreaKind.ZIP:
        found = geo.zip_code(value)
        return (found.lat, found.lng) if found else None
    if kind == AreaKind.CELL:
        return geo.cell_center(value) if geo.valid_area_cell(value) else None
    if kind == AreaKind.COUNTY:
        return _mean([(z.lat, z.lng) for z in geo.zips_in_county(value)])
    return None


def _mean(points: Iterable[Point | None]) -> Point | None:
    found = [p for p in points if p is not None]
    if not found:
        return None
    return (sum(p[0] for p in found) / len(found), sum(p[1] for p in found) / len(found))


class _Centres:
    """The centre of each zone of a committee, and of its whole area, computed once."""

    def __init__(self, committee: Committee) -> None:
        self.by_zone: dict[int | None, list[Point | None]] = {}
        self.every: list[Point | None] = []
        units = AreaUnit.objects.filter(committee=committee).values_list("zone_id", "kind", "value")
        for zone_id, kind, value in units:
            centre = _unit_center(kind, value)
            self.by_zone.setdefault(zone_id, []).append(centre)
            self.every.append(centre)

    def of(self, zone_id: int | None) -> Point | None:
        if zone_id is not None:
            centre = _mean(self.by_zone.get(zone_id, []))
            if centre is not None:
                return centre
        # A shift for the whole committee, or a zone drawn without an area: the committee's
        # own area (its units outside any zone, else all of them).
        return _mean(self.by_zone.get(None, [])) or _mean(self.every)


def _incident_point(incident: Incident) -> Point | None:
    if incident.cell and geo.valid_area_cell(incident.cell):
        return geo.cell_center(incident.cell)
    found = geo.zip_code(incident.zip_code) if incident.zip_code else None
    return (found.lat, found.lng) if found else None


def _km(a: Point | None, b: Point | None) -> float | None:
    return round(distance_km(a, b), 1) if a is not None and b is not None else None


# --- Who can be asked -------------------------------------------------------------------------


def qualified_now(person_ids: Iterable[int], now: datetime) -> set[int]:
    """Those of `person_ids` whose confirmer qualification is valid at `now`."""
    return set(
        Qualification.objects.filter(
            person_id__in=list(person_ids),
            kind=QualificationKind.CONFIRMER,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).values_list("person_id", flat=True)
    )


def _asked(incident: Incident) -> set[int]:
    """People already asked for this incident (a cancelled request can be made again)."""
    return set(
        Dispatch.objects.filter(incident=incident)
        .exclude(status=DispatchStatus.CANCELLED)
        .values_list("person_id", flat=True)
    )


def candidates(incident: Incident, *, now: datetime | None = None) -> list[Candidate]:
    """Confirmers on call now for the incident's committee, with a valid confirmer
    qualification and not yet asked for it: nearest first, then those with fewer requests."""
    now = now or timezone.now()
    committee = incident.committee
    shifts = list(on_call_now(committee, ShiftRole.CONFIRMER, at=now).select_related("person"))
    ids = {a.person_id for a in shifts} - _asked(incident)
    ids &= qualified_now(ids, now)
    ids &= set(
        Membership.objects.filter(
            committee=committee, ended_at__isnull=True, person_id__in=list(ids)
        ).values_list("person_id", flat=True)
    )
    if not ids:
        return []
    busy = Counter(
        Dispatch.objects.filter(person_id__in=list(ids), status__in=STANDING).values_list(
            "person_id", flat=True
        )
    )
    centres = _Centres(committee)
    zones = {z.id: z for z in Zone.objects.filter(committee=committee)}
    here = _incident_point(incident)
    best: dict[int, Candidate] = {}
    for shift in shifts:
        if shift.person_id not in ids:
            continue
        found = Candidate(
            person=shift.person,
            km=_km(here, centres.of(shift.zone_id)),
            open_requests=busy[shift.person_id],
            zone=zones.get(shift.zone_id) if shift.zone_id else None,
        )
        known = best.get(shift.person_id)
        if known is None or _rank(found) < _rank(known):
            best[shift.person_id] = found
    return sorted(best.values(), key=_rank)


def _rank(candidate: Candidate) -> tuple[bool, float, int, str, int]:
    # Unknown distances last; ties go to whoever has fewer requests, then a stable order.
    return (
        candidate.km is None,
        candidate.km or 0.0,
        candidate.open_requests,
        candidate.person.display_name,
        candidate.person.pk,
    )


def on_call(person: Person, committee: Committee, *, now: datetime | None = None) -> bool:
    return on_call_now(committee, ShiftRole.CONFIRMER, at=now).filter(person=person).exists()


def km_for(person: Person, incident: Incident, now: datetime) -> float | None:
    """How near a person asked by hand is: from their shift now, if they are on one."""
    shift = on_call_now(incident.committee, ShiftRole.CONFIRMER, at=now).filter(person=person)
    first = shift.first()
    if first is None:
        return None
    return _km(_incident_point(incident), _Centres(incident.committee).of(first.zone_id))


def link_hash(token: str) -> str:
    """The keyed hash a request's link token is stored as (the token itself never is)."""
    return salted_hmac("defensa.incidents.dispatch", token, algorithm="sha256").hexdigest()
