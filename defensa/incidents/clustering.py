"""Grouping reports into incidents, from the database (writes; the decisions are `engine`'s).

A report is placed after it is stored (a task started when its transaction commits, and a
periodic safety net for any left behind): its committee's incidents near it in the last hours
are the candidates, their sealed features are opened, and the engine either picks one or
opens a new incident. One committee is clustered one report at a time (its row is locked), so
two reports of one event arriving together cannot open two incidents.

A dispatcher can merge two incidents, or split reports out into a new one, in one action
each; both say who did it, and the engine's reasons stay readable on each report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit, crypto, geo
from defensa.core.errors import ActionRefused
from defensa.core.models import KeyPurpose
from defensa.hotline import actions as hotline
from defensa.hotline.models import Report, ReportStatus
from defensa.incidents import engine, triage
from defensa.incidents.models import (
    DispatchStatus,
    Finding,
    Incident,
    IncidentCell,
    IncidentReport,
    IncidentStatus,
    Membership,
    TriageRules,
)
from defensa.network.models import Committee, Person

# A closed incident a matching report reopens, for this long after its last report.
REOPEN_WITHIN = timedelta(hours=6)
MAX_WORDS = 200
ACTIVE = [IncidentStatus.OPEN, IncidentStatus.DISPATCHED, IncidentStatus.VERIFIED,
          IncidentStatus.ALERTED]  # fmt: skip


# --- Sealed features --------------------------------------------------------------------------


def _binding(incident: Incident) -> crypto.Binding:
    return crypto.Binding.of(incident, "features", committee=incident.committee.code)


def features_of(incident: Incident) -> dict[str, Any]:
    if not incident.features_sealed:
        return {}
    try:
        return dict(crypto.unseal_json(incident.features_sealed, binding=_binding(incident)))
    except crypto.KeyDestroyed:
        return {}


def _seal_features(incident: Incident, features: dict[str, Any]) -> None:
    incident.features_sealed = crypto.seal_json(
        features, binding=_binding(incident), purpose=KeyPurpose.REPORT
    )


def _because_binding(link: IncidentReport, report: Report) -> crypto.Binding:
    return crypto.Binding(
        table=IncidentReport._meta.db_table,
        field="because",
        row=report.code,
        committee=report.committee.code,
    )


def because_of(link: IncidentReport) -> list[list[str]]:
    if not link.because_sealed:
        return []
    try:
        found = crypto.unseal_json(link.because_sealed, binding=_because_binding(link, link.report))
    except crypto.KeyDestroyed:
        return []
    return [list(item) for item in found]


# --- From reports to the engine ---------------------------------------------------------------


def _text(content: dict[str, Any]) -> str:
    parts = [str(p.get("text", "")) for p in content.get("parts", []) if isinstance(p, dict)]
    return " ".join([*parts, str(content.get("place") or "")])


def _point(report: Report, content: dict[str, Any]) -> tuple[float, float] | None:
    point = content.get("point")
    if isinstance(point, list) and len(point) == 2:
        return float(point[0]), float(point[1])
    if report.zip_code and (found := geo.zip_code(report.zip_code)):
        return found.lat, found.lng
    if report.cell:
        return geo.cell_center(report.cell)
    return None


def sighting_of(report: Report, content: dict[str, Any]) -> engine.Sighting | None:
    point = _point(report, content)
    if point is None:
        return None
    at = report.observed_at or report.received_at
    return engine.Sighting(
        key=report.pk,
        point=point,
        at=at.timestamp(),
        zip_code=report.zip_code,
        activity=report.activity,
        agency=report.agency,
        words=engine.tokens(_text(content)),
    )


def group_of(incident: Incident) -> engine.Group:
    """The engine's view of an incident, from its sealed features."""
    features = features_of(incident)
    group = engine.Group(key=incident.pk)
    group.points = [(float(p[0]), float(p[1])) for p in features.get("points", [])]
    for lat, lng in group.points:
        group.south, group.north = min(group.south, lat), max(group.north, lat)
        group.west, group.east = min(group.west, lng), max(group.east, lng)
    group.cells = dict(Counter(features.get("cells", [])))
    group.zips = set(features.get("zips", []))
    group.activities = dict(features.get("activities", {}))
    group.agencies = dict(features.get("agencies", {}))
    group.words = dict(features.get("words", {}))
    group.first_at = incident.first_seen_at.timestamp()
    group.last_at = incident.last_report_at.timestamp()
    group.size = incident.reports_count
    return group


def _features_from(group: engine.Group, *, trusted: bool, text: str) -> dict[str, Any]:
    words = dict(sorted(group.words.items(), key=lambda item: -item[1])[:MAX_WORDS])
    return {
        "points": [list(p) for p in group.points],
        "cells": [cell for cell, count in group.cells.items() for _ in range(count)],
        "zips": sorted(group.zips),
        "activities": group.activities,
        "agencies": group.agencies,
        "words": words,
        "trusted": trusted,
        "text": text[-4000:],  # what triage's place rules read
    }


def candidates(
    committee: Committee, sighting: engine.Sighting, rules: engine.Rules
) -> list[Incident]:
    """The committee's incidents with a report near this one, recently (or closed lately)."""
    cells = engine.neighbourhood(sighting.cell, rules.rings)
    at = datetime.fromtimestamp(sighting.at, tz=UTC)
    since = at - max(timedelta(minutes=rules.window_minutes), REOPEN_WITHIN)
    ids = (
        IncidentCell.objects.filter(committee=committee, cell__in=cells, last_report_at__gte=since)
        .values_list("incident_id", flat=True)
        .distinct()
    )
    return list(Incident.objects.filter(pk__in=list(ids)).select_related("committee"))


# --- Writing ----------------------------------------------------------------------------------


def _rules(committee: Committee) -> dict[str, int]:
    found = TriageRules.objects.filter(committee=committee).first()
    return triage.rules_for(found.points if found else None)


def retriage(incident: Incident, *, now: datetime | None = None) -> None:
    """Recompute the priority from the incident's facts and the committee's rules."""
    features = features_of(incident)
    reports = list(Report.objects.filter(incident_link__incident=incident))
    seen = [r.observed_at or r.received_at for r in reports]
    facts = triage.Facts(
        activity=incident.activity,
        reports=len(reports),
        trusted=any(r.trusted for r in reports),
        last_seen_at=max(seen) if seen else None,
        words=str(features.get("text", "")),
    )
    found = triage.priority(facts, rules=_rules(incident.committee), now=now or timezone.now())
    incident.priority = triage.total(found)
    incident.priority_because = [[rule, points] for rule, points in found]


def _main(counts: dict[str, int]) -> str:
    return max(counts, key=lambda k: (counts[k], k)) if counts else ""


def _refresh(incident: Incident, group: engine.Group, *, text: str, trusted: bool) -> None:
    """Copy the engine's view back onto the incident (clear facts and sealed features)."""
    incident.cell = _main(group.cells)
    incident.zip_code = min(group.zips) if len(group.zips) == 1 else incident.zip_code or ""
    incident.activity = _main(group.activities)
    incident.agency = _main(group.agencies)
    incident.first_seen_at = datetime.fromtimestamp(group.first_at, tz=UTC)
    incident.last_report_at = datetime.fromtimestamp(group.last_at, tz=UTC)
    incident.reports_count = group.size
    _seal_features(incident, _features_from(group, trusted=trusted, text=text))


def _index(incident: Incident, cells: Iterable[str]) -> None:
    for cell in set(cells):
        IncidentCell.objects.update_or_create(
            incident=incident,
            cell=cell,
            defaults={"committee": incident.committee, "last_report_at": incident.last_report_at},
        )
    IncidentCell.objects.filter(incident=incident).update(last_report_at=incident.last_report_at)


def _link(
    incident: Incident, report: Report, *, by: str, score: float, because: list[tuple[str, str]]
) -> IncidentReport:
    link = IncidentReport(incident=incident, report=report, by=by, score=round(score, 3))
    link.because_sealed = crypto.seal_json(
        [list(b) for b in because],
        binding=_because_binding(link, report),
        purpose=KeyPurpose.REPORT,
    )
    link.save()
    return link


@transaction.atomic
def cluster_report(*, report: Report, now: datetime | None = None) -> Incident | None:
    """Put a stored report in an incident. Idempotent: a report already placed stays, unless
    it moved to another committee, or it is alone in an incident nobody acted on and another
    incident now fits it (it learned its place)."""
    report = Report.objects.select_related("committee").get(pk=report.pk)
    # One committee at a time (see the module's docstring).
    Committee.objects.select_for_update().filter(pk=report.committee_id).first()
    link = IncidentReport.objects.filter(report=report).select_related("incident").first()
    if link is not None and not _may_replace(link, report):
        return link.incident
    content = hotline.read_content(report)
    sighting = sighting_of(report, content)
    if sighting is None:
        return link.incident if link else None  # no place yet: it waits until it has one
    rules = engine.Rules()
    own = link.incident_id if link else None
    groups = {
        inc.pk: (inc, group_of(inc))
        for inc in candidates(report.committee, sighting, rules)
        if inc.pk != own
    }
    scratch = engine.Engine(rules)
    for _incident, group in groups.values():
        scratch.groups[group.key] = group
        for cell in group.cells:
            scratch.by_cell.setdefault(cell, set()).add(group.key)
    match = scratch.best(sighting)
    if link is not None:
        if match.group is None and link.incident.committee_id == report.committee_id:
            _rebuild(link.incident)  # still alone: it only learned more about itself
            return link.incident
        _detach(link)  # another incident fits (or its committee changed): it moves
    text = _text(content)
    if match.group is not None:
        chosen = groups[int(str(match.group.key))][0]
        locked = Incident.objects.select_for_update().select_related("committee")
        incident = locked.get(pk=chosen.pk)
        match.group.add(sighting)
        features = features_of(incident)
        trusted = bool(features.get("trusted")) or report.trusted
        _refresh(incident, match.group, text=f"{features.get('text', '')} {text}", trusted=trusted)
        reopened = incident.status == IncidentStatus.CLOSED
        if reopened:
            incident.status = IncidentStatus.OPEN
            incident.closed_at = None
            incident.reopened += 1
        verb, score, because = "incident.report_joined", match.score, list(match.because)
    else:
        group = engine.Group(key=None)
        group.add(sighting)
        incident = Incident(committee=report.committee, opened_at=now or timezone.now())
        _refresh(incident, group, text=text, trusted=report.trusted)
        incident.save()
        reopened, verb, score, because = False, "incident.opened", 0.0, [("new", "")]
    incident.save()
    _index(incident, [sighting.cell])
    _link(incident, report, by=Membership.ENGINE, score=score, because=because)
    retriage(incident, now=now)
    incident.save(update_fields=["priority", "priority_because"])
    hotline.set_status(report=report, status=ReportStatus.CLUSTERED)
    audit.record(
        actor=None,
        verb=verb,
        target=incident,
        committee=incident.committee.code,
        after={
            "report": str(report.code),
            "score": f"{score:.3f}",
            "reopened": reopened,
            "priority": incident.priority,
        },
    )
    return incident


def _may_replace(link: IncidentReport, report: Report) -> bool:
    incident = link.incident
    if link.by == Membership.DISPATCHER:
        return False  # a person put it there
    if incident.committee_id != report.committee_id:
        return True  # the report was moved to another committee
    lonely = incident.reports_count <= 1 and not incident.dispatches.exists()
    return lonely and incident.status == IncidentStatus.OPEN


def _detach(link: IncidentReport) -> None:
    """Take a report out of an incident the engine made for it alone (it learned its place)."""
    incident = link.incident
    link.delete()
    if not incident.links.exists():
        audit.record(
            actor=None,
            verb="incident.emptied",
            target=incident,
            committee=incident.committee.code,
        )
        incident.delete()
    else:
        _rebuild(incident)


def _rebuild(incident: Incident) -> None:
    """Recompute an incident's features from its reports (after a merge or a split)."""
    reports = list(
        Report.objects.filter(incident_link__incident=incident).select_related("committee")
    )
    group = engine.Group(key=incident.pk)
    texts = []
    for report in reports:
        content = hotline.read_content(report)
        sighting = sighting_of(report, content)
        if sighting is not None:
            group.add(sighting)
        texts.append(_text(content))
    if group.size:
        _refresh(incident, group, text=" ".join(texts), trusted=any(r.trusted for r in reports))
        IncidentCell.objects.filter(incident=incident).exclude(cell__in=list(group.cells)).delete()
        _index(incident, group.cells)
    retriage(incident)
    incident.save()


@transaction.atomic
def merge(*, actor: Person | None, into: Incident, other: Incident) -> Incident:
    """Two incidents are one event: the other's reports, dispatches and findings move here."""
    if into.pk == other.pk or into.committee_id != other.committee_id:
        raise ActionRefused(_("Choose another incident of this committee to merge."))
    into = Incident.objects.select_for_update().select_related("committee").get(pk=into.pk)
    other = Incident.objects.select_for_update().select_related("committee").get(pk=other.pk)
    moved = list(other.links.values_list("report__code", flat=True))
    other.links.update(incident=into, by=Membership.DISPATCHER)
    _one_request_per_confirmer(into, other)
    other.dispatches.update(incident=into)
    other.findings.update(incident=into)
    into.reopened += other.reopened
    _rebuild(into)
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.merged",
        target=into,
        committee=into.committee.code,
        after={"from": str(other.code), "reports": [str(c) for c in moved]},
    )
    IncidentCell.objects.filter(incident=other).delete()
    other.delete()
    return into


# Which of two requests to one confirmer a merge keeps: the one furthest along.
PROGRESS: dict[str, int] = {
    DispatchStatus.REPORTED: 5,
    DispatchStatus.ACCEPTED: 4,
    DispatchStatus.OFFERED: 3,
    DispatchStatus.DECLINED: 2,
    DispatchStatus.EXPIRED: 1,
    DispatchStatus.CANCELLED: 0,
}


def _one_request_per_confirmer(into: Incident, other: Incident) -> None:
    """A confirmer asked about both incidents keeps one request, with every finding."""
    for theirs in list(other.dispatches.all()):
        ours = into.dispatches.filter(person_id=theirs.person_id).first()
        if ours is None:
            continue
        keep, drop = (
            (ours, theirs)
            if PROGRESS[ours.status] >= PROGRESS[theirs.status]
            else (
                theirs,
                ours,
            )
        )
        Finding.objects.filter(dispatch=drop).update(dispatch=keep)
        drop.delete()


@transaction.atomic
def split(*, actor: Person | None, incident: Incident, reports: list[Report]) -> Incident:
    """Some reports are about something else: they become a new incident."""
    incident = Incident.objects.select_for_update().select_related("committee").get(pk=incident.pk)
    links = list(IncidentReport.objects.filter(incident=incident, report__in=reports))
    if not links or len(links) == incident.links.count():
        raise ActionRefused(_("Choose some of the reports, not none and not all."))
    fresh = Incident(committee=incident.committee)
    fresh.save()
    IncidentReport.objects.filter(pk__in=[link.pk for link in links]).update(
        incident=fresh, by=Membership.DISPATCHER
    )
    _rebuild(fresh)
    _rebuild(incident)
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.split",
        target=incident,
        committee=incident.committee.code,
        after={"into": str(fresh.code), "reports": [str(link.report.code) for link in links]},
    )
    return fresh


def unclustered(
    *, older_than: timedelta = timedelta(seconds=30), now: datetime | None = None
) -> list[int]:
    """Reports a killed worker left unplaced (the periodic safety net takes them)."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Report.objects.filter(
            status=ReportStatus.RECEIVED, received_at__lt=cutoff, incident_link=None
        )
        .exclude(cell="", zip_code="")
        .order_by("received_at")
        .values_list("pk", flat=True)[:200]
    )
