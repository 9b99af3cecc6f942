"""The committee tree and its areas."""

from __future__ import annotations

import zoneinfo

from django.db import transaction
from django.utils.translation import gettext as _

from defensa.core import audit, geo
from defensa.core.errors import ActionRefused
from defensa.network.actions._shared import _actor
from defensa.network.models import AreaKind, AreaUnit, Committee, Network, Person, Region, Zone


@transaction.atomic
def create_network(*, actor: Person | None, name: str) -> Network:
    network = Network.objects.create(name=name)
    audit.record(actor=_actor(actor), verb="network.created", target=network, after={"name": name})
    return network


@transaction.atomic
def create_region(*, actor: Person | None, network: Network, name: str) -> Region:
    if network.regions.filter(name__iexact=name).exists():
        raise ActionRefused(_("A region with this name already exists."), field="name")
    region = Region.objects.create(network=network, name=name)
    audit.record(
        actor=_actor(actor),
        verb="region.created",
        target=region,
        after={"name": name, "network": str(network.code)},
    )
    return region


@transaction.atomic
def create_committee(
    *, actor: Person | None, region: Region, name: str, tz: str = "America/Chicago"
) -> Committee:
    if tz not in zoneinfo.available_timezones():
        raise ActionRefused(_("Unknown time zone."), field="timezone")
    if Committee.objects.filter(region=region, name__iexact=name).exists():
        raise ActionRefused(_("A committee with this name already exists here."), field="name")
    committee = Committee.objects.create(region=region, name=name, timezone=tz)
    after = {"name": name, "region": str(region.code), "timezone": tz}
    audit.record(actor=_actor(actor), verb="committee.created", target=committee, after=after)
    # The committee's own chain starts with its creation too.
    audit.record(
        actor=_actor(actor),
        verb="committee.created",
        target=committee,
        committee=committee.code,
        after=after,
    )
    return committee


@transaction.atomic
def create_zone(*, actor: Person | None, committee: Committee, name: str) -> Zone:
    if committee.zones.filter(name__iexact=name).exists():
        raise ActionRefused(_("A zone with this name already exists."), field="name")
    zone = Zone.objects.create(committee=committee, name=name)
    audit.record(
        actor=_actor(actor),
        verb="zone.created",
        target=zone,
        committee=committee.code,
        after={"name": name},
    )
    return zone


def normalize_area_value(kind: str, value: str) -> str:
    """The canonical form of an area unit's value, or ActionRefused saying what is wrong."""
    value = value.strip()
    if kind == AreaKind.ZIP:
        if geo.zip_code(value) is None:
            raise ActionRefused(_("This is not a known US ZIP code."), field="value")
        return value
    if kind == AreaKind.COUNTY:
        if geo.county(value) is None:
            raise ActionRefused(
                _("This is not a known county FIPS code (5 digits)."), field="value"
            )
        return value
    if kind == AreaKind.CELL:
        value = value.lower()
        if not geo.valid_area_cell(value):
            raise ActionRefused(
                _("This is not a map cell we can store (H3, resolution 3 to 7)."), field="value"
            )
        return value
    raise ActionRefused(_("Unknown kind of area."), field="kind")


@transaction.atomic
def add_area_unit(
    *, actor: Person | None, committee: Committee, kind: str, value: str, zone: Zone | None = None
) -> AreaUnit:
    value = normalize_area_value(kind, value)
    if zone is not None and zone.committee_id != committee.id:
        raise ActionRefused(_("Unknown zone."), field="zone")
    duplicate = AreaUnit.objects.filter(committee=committee, zone=zone, kind=kind, value=value)
    if duplicate.exists():
        raise ActionRefused(_("This is already part of the area."), field="value")
    unit = AreaUnit.objects.create(committee=committee, zone=zone, kind=kind, value=value)
    audit.record(
        actor=_actor(actor),
        verb="area.added",
        target=unit,
        committee=committee.code,
        after={"kind": kind, "value": value, "zone": str(zone.code) if zone else None},
    )
    return unit


@transaction.atomic
def remove_area_unit(*, actor: Person | None, unit: AreaUnit) -> None:
    before = {"kind": unit.kind, "value": unit.value}
    committee_code = unit.committee.code
    audit.record(
        actor=_actor(actor),
        verb="area.removed",
        target=unit,
        committee=committee_code,
        before=before,
    )
    unit.delete()
