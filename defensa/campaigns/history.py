"""The history of 287(g) agreements across ICE's sheets.

Each sheet's rows are kept as `Listing`s, so sheets may be imported in any order: after each
import `refresh` recomputes, for every agreement of that kind, the first and last sheets that
list it, the first newer sheet that no longer does (it ended there), and its values from the
newest listing. `changes(older, newer)` says which agreements were added and ended between
two sheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from defensa.campaigns.models import (
    Agreement,
    Listing,
    PendingAgreement,
    SheetKind,
    SourceSheet,
)


def ordered_sheets(kind: str) -> list[SourceSheet]:
    return list(SourceSheet.objects.filter(kind=kind).order_by("as_of", "imported_at", "id"))


def previous_sheet(sheet: SourceSheet) -> SourceSheet | None:
    """The sheet of the same kind just before this one in date order."""
    sheets = ordered_sheets(sheet.kind)
    position = next(i for i, s in enumerate(sheets) if s.id == sheet.id)
    return sheets[position - 1] if position > 0 else None


def _field(kind: str) -> str:
    return "pending_id" if kind == SheetKind.PENDING else "agreement_id"


def refresh(kind: str) -> int:
    """Recompute first/last/ended and current values for every agreement of `kind`."""
    sheets = ordered_sheets(kind)
    position = {s.id: i for i, s in enumerate(sheets)}
    target = _field(kind)
    pending = kind == SheetKind.PENDING
    newest: dict[int, dict[str, Any]] = {}
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    rows = Listing.objects.filter(sheet__kind=kind).values(
        target, "sheet_id", "signed", "signed_raw", "moa_url", "addendum_url"
    )
    for row in rows.iterator(chunk_size=2000):
        item, at = row[target], position[row["sheet_id"]]
        first[item] = min(first.get(item, at), at)
        if at >= last.get(item, -1):
            last[item] = at
            newest[item] = row
    model: Any = PendingAgreement if pending else Agreement
    fields = ["first_seen", "last_seen", "ended_seen", "moa_url"]
    if not pending:
        fields += ["signed", "signed_raw", "addendum_url"]
    changed = []
    for item in model.objects.filter(id__in=list(newest)).iterator(chunk_size=2000):
        values = newest[item.id]
        ended = last[item.id] + 1
        wanted = {
            "first_seen_id": sheets[first[item.id]].id,
            "last_seen_id": sheets[last[item.id]].id,
            "ended_seen_id": sheets[ended].id if ended < len(sheets) else None,
            "moa_url": values["moa_url"],
        }
        if not pending:
            wanted |= {
                "signed": values["signed"],
                "signed_raw": values["signed_raw"],
                "addendum_url": values["addendum_url"],
            }
        if any(getattr(item, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(item, name, value)
            changed.append(item)
    model.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


@dataclass(frozen=True)
class Changes:
    older: SourceSheet
    newer: SourceSheet
    added: QuerySet[Any]
    ended: QuerySet[Any]
    continued: QuerySet[Any]


def changes(older: SourceSheet, newer: SourceSheet) -> Changes:
    """Agreements (or pending agreements) `newer` lists that `older` did not (added), and
    those `older` listed that `newer` no longer does (ended)."""
    if older.kind != newer.kind:
        raise ValueError("sheets of different kinds")
    target = _field(older.kind)
    before = set(Listing.objects.filter(sheet=older).values_list(target, flat=True))
    after = set(Listing.objects.filter(sheet=newer).values_list(target, flat=True))
    model: Any = PendingAgreement if older.kind == SheetKind.PENDING else Agreement
    items = model.objects.select_related("agency").order_by("agency__state", "agency__name")
    return Changes(
        older=older,
        newer=newer,
        added=items.filter(id__in=after - before),
        ended=items.filter(id__in=before - after),
        continued=items.filter(id__in=after & before),
    )
