"""An incident's timeline, read from the audit log: every report, dispatch, answer, finding and
decision about it, in order, with who did it.

The audit log is the record no page can edit, so the timeline cannot say anything the log
does not. Events are matched by the codes of the objects they are about: the incident (and
incidents merged into it), its reports and their files, its dispatches, its findings and
their files. Only the committee's own chain is read, so nothing another committee wrote about
a report before it was moved here shows. A verb nobody taught this module yet is still shown,
generically: the timeline leaves nothing out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from defensa.core.models import AuditEvent
from defensa.hotline.models import Channel, Report, ReportMedia
from defensa.incidents.models import Dispatch, Disposition, Finding, FindingMedia, Incident
from defensa.network.models import Committee, Person

# SQLite refuses statements with too many parameters; codes are looked up in chunks.
CHUNK = 500
# Merges of merges are followed this many steps back.
MAX_MERGE_DEPTH = 20


@dataclass(frozen=True)
class Entry:
    at: datetime
    verb: str
    label: str
    who: str
    object_type: str
    object_code: str
    event: AuditEvent


@dataclass
class _Context:
    incident: Incident
    confirmers: dict[str, str]  # dispatch code or person code -> display name
    committees: dict[str, str]  # committee code -> name


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _events(chain: str, codes: set[str]) -> list[AuditEvent]:
    found: dict[int, AuditEvent] = {}
    for part in _chunks(sorted(codes)):
        for event in AuditEvent.objects.filter(chain=chain, object_code__in=part):
            found[event.pk] = event
    return list(found.values())


def _merged_from(chain: str, codes: set[str]) -> set[str]:
    """Codes of the incidents that were merged into these (and into those, and so on)."""
    seen = set(codes)
    frontier = set(codes)
    for _step in range(MAX_MERGE_DEPTH):
        merges = AuditEvent.objects.filter(
            chain=chain, verb="incident.merged", object_code__in=list(frontier)
        )
        fresh = {str((e.after or {}).get("from", "")) for e in merges} - seen - {""}
        if not fresh:
            break
        seen |= fresh
        frontier = fresh
    return seen - set(codes)


def codes_of(incident: Incident) -> set[str]:
    """The codes of everything this incident's history is about."""
    sources = [
        Report.objects.filter(incident_link__incident=incident),
        ReportMedia.objects.filter(report__incident_link__incident=incident),
        Dispatch.objects.filter(incident=incident),
        Finding.objects.filter(incident=incident),
        FindingMedia.objects.filter(finding__incident=incident),
    ]
    codes = {str(incident.code)}
    for rows in sources:
        codes |= {str(code) for code in rows.values_list("code", flat=True)}
    return codes


def events_of(incident: Incident) -> list[AuditEvent]:
    chain = str(incident.committee.code)
    codes = codes_of(incident)
    codes |= _merged_from(chain, {str(incident.code)})
    events = _events(chain, codes)
    # This incident may have been split out of another: that event is about the other one.
    known = {e.pk for e in events}
    born = AuditEvent.objects.filter(
        chain=chain, verb="incident.split", after__into=str(incident.code)
    )
    events += [e for e in born if e.pk not in known]
    return sorted(events, key=lambda e: (e.at, e.seq))


# --- Who --------------------------------------------------------------------------------------


def _names(committee: Committee, codes: Iterable[Any]) -> dict[str, str]:
    """Display names of these people who are, or were, members of the committee."""
    wanted = {str(c) for c in codes if c}
    if not wanted:
        return {}
    people = Person.objects.filter(code__in=list(wanted), memberships__committee=committee)
    return {str(p.code): p.display_name for p in people.distinct()}


def _who(event: AuditEvent, names: dict[str, str]) -> str:
    if event.actor is None:
        return _("the system")
    return names.get(str(event.actor)) or _("someone outside this committee")


# --- What -------------------------------------------------------------------------------------


def _disposition(value: Any) -> str:
    return str(Disposition(value).label) if value in Disposition.values else str(value or "")


def _channel(value: Any) -> str:
    return str(Channel(value).label) if value in Channel.values else str(value or "")


def _confirmer(event: AuditEvent, ctx: _Context) -> str:
    after = event.after or {}
    for code in (event.object_code, after.get("dispatch"), after.get("person")):
        if code and str(code) in ctx.confirmers:
            return ctx.confirmers[str(code)]
    return _("a confirmer")


def _received(e: AuditEvent, ctx: _Context) -> str:
    return _("Report received (%(channel)s)") % {
        "channel": _channel((e.after or {}).get("channel"))
    }


def _joined(e: AuditEvent, ctx: _Context) -> str:
    if (e.after or {}).get("reopened"):
        return _("A new report reopened this incident")
    return _("A report was grouped into this incident")


def _merged(e: AuditEvent, ctx: _Context) -> str:
    count = len((e.after or {}).get("reports", []))
    return ngettext(
        "Another incident was merged into this one (%(count)d report)",
        "Another incident was merged into this one (%(count)d reports)",
        count,
    ) % {"count": count}


def _split(e: AuditEvent, ctx: _Context) -> str:
    if e.object_code == str(ctx.incident.code):
        count = len((e.after or {}).get("reports", []))
        return ngettext(
            "%(count)d report was separated into a new incident",
            "%(count)d reports were separated into a new incident",
            count,
        ) % {"count": count}
    return _("This incident was separated from another one")


def _shared(e: AuditEvent, ctx: _Context) -> str:
    code = str((e.after or {}).get("with", ""))
    name = ctx.committees.get(code) or _("another committee")
    return _("Shared with %(committee)s, without anything about who reported") % {"committee": name}


def _finding(e: AuditEvent, ctx: _Context) -> str:
    after = e.after or {}
    values = {"name": _confirmer(e, ctx), "disposition": _disposition(after.get("disposition"))}
    if after.get("incident_status") == "verified" and after.get("incident_disposition"):
        return _("%(name)s recorded a finding: %(disposition)s. The incident is verified.") % values
    if not after.get("incident_disposition"):
        return _("%(name)s recorded a finding: %(disposition)s. The confirmers disagree.") % values
    return _("%(name)s recorded a finding: %(disposition)s") % values


def _sent(e: AuditEvent, ctx: _Context) -> str:
    asked = [str(code) for code in (e.after or {}).get("asked", [])]
    names = ", ".join(ctx.confirmers.get(code) or _("a confirmer") for code in asked)
    if not asked:
        return _("Confirmers were sent")
    return ngettext("Confirmer sent: %(names)s", "Confirmers sent: %(names)s", len(asked)) % {
        "names": names
    }


def _settled(e: AuditEvent, ctx: _Context) -> str:
    value = _disposition((e.after or {}).get("disposition"))
    return _("The confirmers disagreed; settled as %(disposition)s") % {"disposition": value}


def _closed(e: AuditEvent, ctx: _Context) -> str:
    value = (e.after or {}).get("disposition")
    if value:
        return _("Closed as %(disposition)s") % {"disposition": _disposition(value)}
    return _("Closed")


def _dispatch(message: str) -> Callable[[AuditEvent, _Context], str]:
    def label(e: AuditEvent, ctx: _Context) -> str:
        return _(message) % {"name": _confirmer(e, ctx)}  # the msgids are marked in LABELS

    return label


def _fixed(message: str) -> Callable[[AuditEvent, _Context], str]:
    def label(e: AuditEvent, ctx: _Context) -> str:
        return _(message)  # the msgids are marked in LABELS

    return label


LABELS: dict[str, Callable[[AuditEvent, _Context], str]] = {
    "report.received": _received,
    "report.added_to": _fixed(gettext_noop("The reporter added to a report")),
    "report.media_added": _fixed(gettext_noop("A photo, video or recording arrived with a report")),
    "report.rerouted": _fixed(gettext_noop("A report was moved between committees")),
    "report.callback_set": _fixed(gettext_noop("A reporter asked to be called back")),
    "report.callback_withdrawn": _fixed(gettext_noop("A reporter withdrew their callback request")),
    "incident.opened": _fixed(gettext_noop("A report opened this incident")),
    "incident.report_joined": _joined,
    "incident.merged": _merged,
    "incident.split": _split,
    "incident.shared": _shared,
    "incident.closed": _closed,
    "incident.reopened": _fixed(gettext_noop("Reopened")),
    "incident.settled": _settled,
    "incident.evidence_exported": _fixed(gettext_noop("An evidence packet was exported")),
    "incident.dispatched": _sent,
    "dispatch.offered": _dispatch(gettext_noop("%(name)s was asked to go and look")),
    "dispatch.accepted": _dispatch(gettext_noop("%(name)s accepted and is on the way")),
    "dispatch.declined": _dispatch(gettext_noop("%(name)s cannot go")),
    "dispatch.expired": _dispatch(gettext_noop("%(name)s did not answer in time")),
    "dispatch.cancelled": _dispatch(gettext_noop("The request to %(name)s was cancelled")),
    "finding.recorded": _finding,
}


def label_of(event: AuditEvent, ctx: _Context) -> str:
    found = LABELS.get(event.verb)
    if found is not None:
        return found(event, ctx)
    return _("Recorded: %(verb)s") % {"verb": event.verb}


def build(incident: Incident, *, with_names: bool = True) -> list[Entry]:
    """The incident's timeline, oldest first (through `access.timeline`). Without names (for
    readers who do not see who is on shift), every person is "a confirmer" or "a member"."""
    events = events_of(incident)
    committee = incident.committee
    dispatches = Dispatch.objects.filter(incident=incident).select_related("person")
    confirmers = {str(d.code): d.person.display_name for d in dispatches}
    confirmers |= {str(d.person.code): d.person.display_name for d in dispatches}
    if not with_names:
        confirmers = {code: str(_("a confirmer")) for code in confirmers}
    shared_with = {
        str((e.after or {}).get("with", "")) for e in events if e.verb == "incident.shared"
    }
    committees = {
        str(c.code): c.name for c in Committee.objects.filter(code__in=list(shared_with - {""}))
    }
    ctx = _Context(incident=incident, confirmers=confirmers, committees=committees)
    names = _names(committee, {e.actor for e in events})
    if not with_names:
        names = {code: str(_("a member of the committee")) for code in names}
    return [
        Entry(
            at=e.at,
            verb=e.verb,
            label=label_of(e, ctx),
            who=_who(e, names),
            object_type=e.object_type,
            object_code=e.object_code,
            event=e,
        )
        for e in events
    ]
