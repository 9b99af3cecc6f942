"""Jurisdiction rows from the offline geography: every state and county-equivalent exists
before anything refers to it; cities are added when a policy names one."""

from __future__ import annotations

from django.db import transaction

from defensa.campaigns import geography
from defensa.campaigns.models import Jurisdiction, JurisdictionKind


@transaction.atomic
def ensure_jurisdictions() -> int:
    """Create the states and counties that are missing (once: ~3,300 rows); link Connecticut's
    old counties to the planning regions that overlap them. Returns how many were created."""
    wanted = len(geography.states()) + len(geography.counties())
    existing = set(Jurisdiction.objects.exclude(fips="").values_list("fips", flat=True))
    if len(existing) >= wanted:
        return 0
    centres = geography.centroids()
    rows = [
        Jurisdiction(kind=JurisdictionKind.STATE, state=s.postal, fips=s.fips, name=s.name)
        for s in geography.states().values()
        if s.fips not in existing
    ]
    for county in geography.counties().values():
        if county.fips in existing:
            continue
        lat, lng = centres.get(county.fips, (None, None))
        rows.append(
            Jurisdiction(
                kind=JurisdictionKind.COUNTY,
                state=county.state,
                fips=county.fips,
                name=county.name,
                census_class=county.census_class,
                superseded=county.superseded,
                lat=lat,
                lng=lng,
            )
        )
    Jurisdiction.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    by_fips = {j.fips: j for j in Jurisdiction.objects.filter(state="CT").exclude(fips="")}
    for fips, (_name, overlapped) in geography.CT_REGIONS.items():
        region = by_fips.get(fips)
        if region is not None:
            region.overlaps.add(*[by_fips[o] for o in overlapped if o in by_fips])
    return len(rows)


def state(postal: str) -> Jurisdiction | None:
    found = geography.states().get(postal)
    return Jurisdiction.objects.filter(fips=found.fips).first() if found else None


def county(fips: str) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(kind=JurisdictionKind.COUNTY, fips=fips).first()


def municipality(postal: str, name: str) -> Jurisdiction:
    found, _created = Jurisdiction.objects.get_or_create(
        kind=JurisdictionKind.MUNICIPALITY, state=postal, name=geography.clean(name)[:120]
    )
    return found
