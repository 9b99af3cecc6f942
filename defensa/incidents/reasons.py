"""The engine's reasons, in the reader's language (the engine itself speaks no language)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from defensa.hotline.models import Activity, Agency


def _agency(value: str) -> str:
    return str(Agency(value).label) if value in Agency.values else value


def _activity(value: str) -> str:
    return str(Activity(value).label) if value in Activity.values else value


def describe(because: list[list[str]]) -> list[str]:
    out = []
    for item in because:
        if len(item) != 2:
            continue
        what, value = item
        if what == "new":
            out.append(_("The first report of this incident."))
        elif what == "km":
            out.append(_("%(km)s km from its other reports.") % {"km": value})
        elif what == "minutes":
            out.append(_("%(minutes)s minutes from its other reports.") % {"minutes": value})
        elif what == "zip":
            out.append(_("The same ZIP code, %(zip)s.") % {"zip": value})
        elif what == "words":
            out.append(_("Words in common: %(words)s.") % {"words": value})
        elif what == "same_agency":
            out.append(_("Both name %(agency)s.") % {"agency": _agency(value)})
        elif what == "same_activity":
            out.append(_("Both describe: %(activity)s.") % {"activity": _activity(value)})
        elif what == "other_agency":
            said, other = ([*value.split("/", 1), ""])[:2]
            out.append(
                _("It names %(agency)s; the incident, %(other)s.")
                % {"agency": _agency(said), "other": _agency(other)}
            )
        elif what == "other_activity":
            said, other = ([*value.split("/", 1), ""])[:2]
            out.append(
                _("It describes %(activity)s; the incident, %(other)s.")
                % {"activity": _activity(said), "other": _activity(other)}
            )
    return out
