"""Sharing a verified incident with a neighbouring committee: what happened, where (its cell)
and when, and what the confirmers found; never a report, a word anyone wrote, or a contact."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from defensa.core import audit, geo
from defensa.core.access import NotFound
from defensa.core.errors import ActionRefused
from defensa.incidents.models import Incident, IncidentStatus, SharedIncident
from defensa.network.models import AreaKind, AreaUnit, Committee, Person

# A committee whose area comes this near an incident is its neighbour.
NEIGHBOUR_KM = 15.0
SHAREABLE = [IncidentStatus.VERIFIED, IncidentStatus.ALERTED, IncidentStatus.CLOSED]


def _points(unit: AreaUnit) -> list[tuple[float, float]]:
    if unit.kind == AreaKind.ZIP and (found := geo.zip_code(unit.value)):
        return [(found.lat, found.lng)]
    if unit.kind == AreaKind.CELL:
        return [geo.cell_center(unit.value)]
    if unit.kind == AreaKind.COUNTY:
        return [(z.lat, z.lng) for z in geo.zips_in_county(unit.value)]
    return []


def neighbours(incident: Incident) -> list[Committee]:
    """Other committees of the same network whose area is near the incident, nearest first."""
    if not incident.cell:
        return []
    from defensa.incidents.engine import km

    here = geo.cell_center(incident.cell)
    network = incident.committee.region.network_id
    near: dict[int, float] = {}
    units = AreaUnit.objects.filter(committee__region__network_id=network).exclude(
        committee=incident.committee
    )
    for unit in units.select_related("committee"):
        for point in _points(unit):
            distance = km(here, point)
            if distance <= NEIGHBOUR_KM:
                near[unit.committee_id] = min(near.get(unit.committee_id, distance), distance)
    committees = {c.pk: c for c in Committee.objects.filter(pk__in=list(near))}
    return sorted(committees.values(), key=lambda c: near[c.pk])


def neighbour(incident: Incident, code: str) -> Committee:
    """One of the incident's neighbours, by code; NotFound for any other committee."""
    try:
        wanted = uuid.UUID(str(code))
    except ValueError as exc:
        raise NotFound from exc
    for committee in neighbours(incident):
        if committee.code == wanted:
            return committee
    raise NotFound


@transaction.atomic
def share(*, actor: Person | None, incident: Incident, committee: Committee) -> SharedIncident:
    if incident.status not in SHAREABLE or not incident.disposition:
        raise ActionRefused(_("Only a verified incident can be shared."))
    if committee.pk == incident.committee_id:
        raise ActionRefused(_("Choose a neighbouring committee."))
    try:
        with transaction.atomic():
            item = SharedIncident.objects.create(incident=incident, committee=committee)
    except IntegrityError as exc:
        raise ActionRefused(_("It is already shared with that committee.")) from exc
    for chain in (incident.committee.code, committee.code):
        audit.record(
            actor=actor.code if actor else None,
            verb="incident.shared",
            target=incident,
            committee=chain,
            after={"with": str(committee.code)},
        )
    return item


def overlapping(incident: Incident) -> list[Committee]:
    """Other committees of the network whose own area holds the incident's place (its ZIP
    code, that ZIP's county, or a cell containing its cell): they share its ground."""
    kinds: list[tuple[str, str]] = []
    if incident.zip_code:
        kinds.append((AreaKind.ZIP, incident.zip_code))
        found = geo.zip_code(incident.zip_code)
        if found and found.county_fips:
            kinds.append((AreaKind.COUNTY, found.county_fips))
    if incident.cell:
        kinds += [(AreaKind.CELL, parent) for parent in geo.parent_cells(incident.cell)]
    ids: set[int] = set()
    network = incident.committee.region.network_id
    for kind, value in kinds:
        ids |= set(
            AreaUnit.objects.filter(kind=kind, value=value, committee__region__network_id=network)
            .exclude(committee=incident.committee)
            .values_list("committee_id", flat=True)
        )
    return list(Committee.objects.filter(pk__in=ids).order_by("name"))


def share_with_overlapping(*, incident: Incident) -> int:
    """Once verified, an incident reaches the committees whose area it is also in, without
    anyone having to remember to share it (the others: by hand, on request)."""
    shared = 0
    for committee in overlapping(incident):
        if not SharedIncident.objects.filter(incident=incident, committee=committee).exists():
            share(actor=None, incident=incident, committee=committee)
            shared += 1
    return shared
