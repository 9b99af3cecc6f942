"""The week's schedule as plain text, to paste into a group chat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.utils import formats, translation
from django.utils.translation import gettext as _

from defensa.network.models import Committee
from defensa.shifts import rules, timeutil
from defensa.shifts.models import ShiftRole, Slot


def handover_text(committee: Committee, slots: Iterable[Slot], monday: date, language: str) -> str:
    """`slots` come from access.week_slots (with their active sign-ups prefetched)."""
    tz = timeutil.committee_tz(committee)
    with translation.override(language):
        lines = [
            _("Shifts: %(committee)s") % {"committee": committee.name},
            _("Week of %(date)s (times in %(zone)s)")
            % {"date": formats.date_format(monday, "DATE_FORMAT"), "zone": committee.timezone},
        ]
        groups: dict[tuple[str, str], list[Slot]] = {}
        for slot in slots:
            if slot.cancelled_at is not None:
                continue
            key = (slot.zone.name if slot.zone else "", slot.role)
            groups.setdefault(key, []).append(slot)
        if not groups:
            lines += ["", _("No shifts this week.")]
        for (zone, role), group in sorted(groups.items()):
            lines.append("")
            if zone:
                lines.append(
                    _("%(role)s in %(zone)s") % {"role": ShiftRole(role).label, "zone": zone}
                )
            else:
                lines.append(_("%(role)s, whole committee") % {"role": ShiftRole(role).label})
            for slot in group:
                lines.append("  " + _line(slot, tz))
        return "\n".join(lines) + "\n"


def _line(slot: Slot, tz: object) -> str:
    people = getattr(slot, "active", [])
    names = ", ".join(a.person.display_name for a in people)
    missing = slot.needed - len(people)
    shift = rules.describe(slot.starts_at, slot.ends_at, tz)  # type: ignore[arg-type]
    if missing > 0 and names:
        return _("%(shift)s: %(names)s (%(missing)s more needed)") % {
            "shift": shift,
            "names": names,
            "missing": missing,
        }
    if missing > 0:
        return _("%(shift)s: NOBODY YET (%(missing)s needed)") % {
            "shift": shift,
            "missing": missing,
        }
    return _("%(shift)s: %(names)s") % {"shift": shift, "names": names}
