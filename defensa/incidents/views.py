"""Dispatchers' incident pages: the inbox by priority, an incident with its reports and why
they were grouped, merge and split, priorities, closing and sharing. Thin views over access
and actions; the dispatch and field panels come from their own modules (DEFENSA_INCIDENT_PANELS)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensa.core.errors import ActionRefused
from defensa.hotline import access as reports_access
from defensa.hotline.models import Activity, Agency, Channel
from defensa.incidents import access, actions, clustering, reasons, sharing, triage
from defensa.incidents.access import IncidentCan
from defensa.incidents.forms import PrioritiesForm
from defensa.incidents.models import Incident, IncidentReport
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view

# Sections of an incident's page that other modules draw (settings.DEFENSA_INCIDENT_PANELS):
# each a function (request, viewer, incident) -> (template name, context) or None. Apps that
# build on incidents (alerts) add theirs there, so incidents imports none of them.
INBOX_SIZE = 60


def _row(item: Incident) -> dict[str, Any]:
    return {
        "incident": item,
        "activity": Activity(item.activity).label if item.activity else "",
        "agency": Agency(item.agency).label if item.agency else "",
        "because": [triage.LABELS.get(rule, rule) for rule, _points in item.priority_because],
        "quiet_minutes": int((timezone.now() - item.last_report_at).total_seconds() // 60),
    }


def _version(items: list[Incident]) -> str:
    latest = max((i.last_report_at for i in items), default=None)
    states = "".join(i.status[0] + str(i.priority) for i in items)
    return f"{len(items)}-{latest.timestamp() if latest else 0}-{hash(states) & 0xFFFFFF:x}"


@staff_view
@require_GET
def inbox(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.READ)
    items = list(access.inbox(viewer, found)[:INBOX_SIZE])
    version = _version(items)
    partial = bool(request.GET.get("partial"))
    if partial and request.GET.get("version") == version:
        return HttpResponse(status=204)  # asked every two seconds: nothing new, nothing drawn
    context = {
        "committee": found,
        "rows": [_row(i) for i in items],
        "version": version,
        "triage": access.can(viewer, IncidentCan.TRIAGE, found),
        "shared": [] if partial else list(access.shared_with(viewer, found)[:20]),
    }
    template = "incidents/_inbox_rows.html" if partial else "incidents/inbox.html"
    return render(request, template, context)


def _report_rows(viewer: Viewer, found: Committee, item: Incident) -> list[dict[str, Any]]:
    rows = []
    links = IncidentReport.objects.filter(incident=item).select_related("report__committee")
    for link in links.order_by("report__received_at"):
        report = link.report
        content = reports_access.content(viewer, report)
        parts = content.get("parts", [])
        rows.append(
            {
                "report": report,
                "channel": Channel(report.channel).label,
                "text": " / ".join(p.get("text", "") for p in parts),
                "place": content.get("place", ""),
                "why": reasons.describe(clustering.because_of(link)),
                "by": link.get_by_display(),
            }
        )
    return rows


def _detail(
    request: HttpRequest, viewer: Viewer, found: Committee, item: Incident, **extra: Any
) -> HttpResponse:
    panels = []
    for path in settings.DEFENSA_INCIDENT_PANELS:
        panel = import_string(path)(request, viewer, item)
        if panel is not None:
            panels.append(panel)
    triaging = access.can(viewer, IncidentCan.TRIAGE, found)
    context = {
        "committee": found,
        "row": _row(item),
        "incident": item,
        "reports": _report_rows(viewer, found, item),
        "triage": triaging,
        "others": list(access.inbox(viewer, found).exclude(pk=item.pk)[:30]) if triaging else [],
        "neighbours": sharing.neighbours(item) if triaging else [],
        "shares": list(item.shares.select_related("committee")),
        "panels": panels,
        **extra,
    }
    return render(request, "incidents/incident.html", context)


@staff_view
@require_GET
def incident_detail(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.READ)
    item = access.incident(viewer, found, incident, IncidentCan.READ)
    return _detail(request, viewer, found, item)


def _attempt(request: HttpRequest, action: Any, done: str) -> Any:
    try:
        result = action()
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, done)
    return result


@staff_view
@require_POST
def merge(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    item = access.incident(viewer, found, incident, IncidentCan.TRIAGE)
    other = access.incident(viewer, found, request.POST.get("other", ""), IncidentCan.TRIAGE)
    _attempt(
        request,
        lambda: clustering.merge(actor=viewer.person, into=item, other=other),
        _("The incidents are now one."),
    )
    return redirect("incidents:incident", found.code, item.code)


@staff_view
@require_POST
def split(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    item = access.incident(viewer, found, incident, IncidentCan.TRIAGE)
    chosen = [
        reports_access.report(viewer, found, code) for code in request.POST.getlist("report")[:50]
    ]
    fresh = _attempt(
        request,
        lambda: clustering.split(actor=viewer.person, incident=item, reports=chosen),
        _("Those reports are a new incident."),
    )
    return redirect("incidents:incident", found.code, (fresh or item).code)


@staff_view
@require_POST
def close(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    item = access.incident(viewer, found, incident, IncidentCan.TRIAGE)
    _attempt(request, lambda: actions.close(actor=viewer.person, incident=item), _("Closed."))
    return redirect("incidents:incident", found.code, item.code)


@staff_view
@require_POST
def share(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    item = access.incident(viewer, found, incident, IncidentCan.TRIAGE)
    target = sharing.neighbour(item, request.POST.get("committee", ""))
    _attempt(
        request,
        lambda: sharing.share(actor=viewer.person, incident=item, committee=target),
        _("Shared, without anything about who reported it."),
    )
    return redirect("incidents:incident", found.code, item.code)


@staff_view
@require_GET
def shared_detail(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.READ)
    item = access.shared(viewer, found, incident)
    return render(
        request,
        "incidents/shared.html",
        {"committee": found, "share": item, "row": _row(item.incident)},
    )


@staff_view
@require_http_methods(["GET", "POST"])
def priorities(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    current = actions.priority_rules(found)
    form = PrioritiesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        actions.set_priority_rules(actor=viewer.person, committee=found, points=form.points())
        messages.success(request, _("Priorities saved. Open incidents were sorted again."))
        return redirect("incidents:priorities", found.code)
    context = {
        "committee": found,
        "form": form,
        "rules": [(key, triage.LABELS[key], current[key]) for key in triage.DEFAULTS],
        "defaults": triage.DEFAULTS,
        "window": settings.DEFENSA_DISPATCH_ANSWER_MINUTES,
    }
    return render(request, "incidents/priorities.html", context, status=400 if form.errors else 200)
