"""Every write of the campaigns app: imports of public data and hand-recorded policies.

An import reads and checks the whole file first, without touching the database; then writes
the sheet, its rejected rows and its records in one transaction, with one audit event. The
same bytes (by SHA-256) are imported once: a repeat changes nothing and says so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from defensa.campaigns import geography, places
from defensa.campaigns.importers import detect
from defensa.campaigns.importers.base import Importer, Parsed, Source, Stored
from defensa.campaigns.models import (
    Jurisdiction,
    Policy,
    PolicyLevel,
    RejectedRow,
    SourceSheet,
)
from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.models import Committee, Person


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


@dataclass(frozen=True)
class ImportResult:
    sheet: SourceSheet
    created: bool  # False: these exact bytes were imported before; nothing changed
    stored: Stored

    @property
    def rejected(self) -> list[RejectedRow]:
        return list(self.sheet.rejected.order_by("row_number", "id"))


def import_file(
    *,
    actor: Person | None,
    committee: Committee | None,
    source: Source,
    importer: Importer | None = None,
    as_of: date | None = None,
) -> ImportResult:
    """Import one file of public data. Raises ImportRefused (nothing written) for a file
    that is not what it should be; records every row it could not read."""
    source = source.checked()
    digest = source.sha256()
    known = SourceSheet.objects.filter(sha256=digest).first()
    if known is not None:
        return ImportResult(sheet=known, created=False, stored=Stored())
    importer = importer or detect(source)
    parsed = importer.parse(source, as_of=as_of)
    return _store(
        actor=actor,
        committee=committee,
        source=source,
        digest=digest,
        importer=importer,
        parsed=parsed,
    )


@transaction.atomic
def _store(
    *,
    actor: Person | None,
    committee: Committee | None,
    source: Source,
    digest: str,
    importer: Importer,
    parsed: Parsed,
) -> ImportResult:
    places.ensure_jurisdictions()
    sheet = SourceSheet.objects.create(
        kind=parsed.kind,
        file_name=source.name[:200],
        sha256=digest,
        size=source.size,
        as_of=parsed.as_of,
        as_of_note=parsed.as_of_note,
        rows_read=parsed.rows_read,
        rows_rejected=parsed.rows_rejected,
        stopped_at_row=parsed.stopped_at_row,
    )
    RejectedRow.objects.bulk_create(
        [
            RejectedRow(
                sheet=sheet,
                row_number=p.row,
                outcome=p.outcome,
                column=p.column[:60],
                reason=p.reason,
                params=p.params,
                cells=p.cells,
            )
            for p in parsed.problems
        ],
        batch_size=500,
    )
    stored = importer.store(parsed, sheet)
    audit.record(
        actor=_actor(actor),
        verb="campaigns.sheet_imported",
        target=sheet,
        committee=committee.code if committee else None,
        after={
            "kind": sheet.kind,
            "file_name": sheet.file_name,
            "sha256": digest,
            "as_of": sheet.as_of.isoformat(),
            "rows_read": sheet.rows_read,
            "rows_rejected": sheet.rows_rejected,
            "problems": len(parsed.problems),
            "added": stored.added,
            "ended": stored.ended,
            "updated": stored.updated,
        },
    )
    return ImportResult(sheet=sheet, created=True, stored=stored)


# --- Policies --------------------------------------------------------------------------------

POLICY_FIELDS = ("name", "level", "jurisdiction", "adopted", "summary", "source_url")


def find_jurisdiction(*, level: str, state: str, place: str) -> Jurisdiction:
    """The state, county or city a policy or campaign is about, or ActionRefused."""
    places.ensure_jurisdictions()
    if state not in geography.states():
        raise ActionRefused(_("Choose a state."), field="state")
    if level == PolicyLevel.STATE:
        found = places.state(state)
    elif level == PolicyLevel.COUNTY:
        county = geography.resolve_county(state, place) if place else None
        if county is None and place.isdigit():
            county = geography.county(place)
        if county is None or county.state != state:
            raise ActionRefused(
                _("“%(place)s” is not a county of this state.") % {"place": place},
                field="place",
            )
        found = places.county(county.fips)
    else:
        if not place:
            raise ActionRefused(_("Name the city."), field="place")
        found = places.municipality(state, place)
    if found is None:
        raise ActionRefused(_("Choose a state."), field="state")
    return found


@transaction.atomic
def record_policy(
    *,
    actor: Person | None,
    committee: Committee,
    name: str,
    level: str,
    state: str,
    place: str = "",
    adopted: date | None = None,
    summary: str = "",
    source_url: str = "",
) -> Policy:
    """A sanctuary or anti-entanglement policy the committee found (a law, an ordinance, a
    sheriff's directive), with where it applies and where to read it."""
    if level not in PolicyLevel.values:
        raise ActionRefused(_("Choose the level of the policy."), field="level")
    if not name.strip():
        raise ActionRefused(_("Name the policy."), field="name")
    jurisdiction = find_jurisdiction(level=level, state=state, place=place.strip())
    policy = Policy.objects.create(
        committee=committee,
        name=name.strip(),
        level=level,
        jurisdiction=jurisdiction,
        adopted=adopted,
        summary=summary.strip(),
        source_url=source_url.strip(),
    )
    audit.record(
        actor=_actor(actor),
        verb="campaigns.policy_recorded",
        target=policy,
        committee=committee.code,
        after=audit.snapshot(policy, POLICY_FIELDS),
    )
    return policy


@transaction.atomic
def remove_policy(*, actor: Person | None, policy: Policy) -> None:
    audit.record(
        actor=_actor(actor),
        verb="campaigns.policy_removed",
        target=policy,
        committee=policy.committee.code,
        before=audit.snapshot(policy, POLICY_FIELDS),
    )
    policy.delete()
