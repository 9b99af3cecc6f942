"""Field work pages: the confirmer's finding form, the dispatcher's panel on the incident page
(findings, disagreement and settling, the timeline), confirmers' photos, and the evidence
packet. Thin views over `access` and the actions in `field` and `evidence`."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensa.core import crypto
from defensa.core.access import NotFound
from defensa.core.errors import ActionRefused
from defensa.hotline import media_store
from defensa.hotline.models import Activity, Agency
from defensa.incidents import access, evidence, field
from defensa.incidents.access import IncidentCan
from defensa.incidents.field_forms import OBSERVATIONS, FindingForm, SettleForm
from defensa.incidents.models import Dispatch, Disposition, Finding, Incident
from defensa.network.access import Viewer
from defensa.network.views import staff_view

# A confirmer sends at most a few photos or short videos at once.
MAX_UPLOAD = 64 * 1024 * 1024


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value and value in choices.values else ""


# --- The confirmer's page ---------------------------------------------------------------------


def _finding_context(
    request: HttpRequest, viewer: Viewer, item: Dispatch, form: FindingForm, **extra: Any
) -> dict[str, Any]:
    incident = item.incident
    # Only what the confirmer needs to find the place: no report, nothing about reporters.
    return {
        "dispatch": item,
        "facts": {
            "activity": _label(Activity, incident.activity),
            "agency": _label(Agency, incident.agency),
            "zip_code": incident.zip_code,
            "first_seen_at": incident.first_seen_at,
            "last_report_at": incident.last_report_at,
        },
        "refusal": field.refusal(person=viewer.person, dispatch=item),
        "mine": list(access.my_findings(viewer, item)),
        "form": form,
        "draft_key": f"defensa:finding:{item.code}",
        "sent": request.GET.get("sent") == "1",
        **extra,
    }


def _too_large(request: HttpRequest, viewer: Viewer, item: Dispatch) -> HttpResponse:
    form = FindingForm()
    problem = _("The files are too large to send together. Send fewer, or shorter videos.")
    context = _finding_context(request, viewer, item, form, problem=problem)
    return render(request, "incidents/finding.html", context, status=413)


@csrf_exempt  # the size is checked before the body is read; CSRF is checked just after
@staff_view
@require_http_methods(["GET", "POST"])
def finding(request: HttpRequest, viewer: Viewer, dispatch: uuid.UUID) -> HttpResponse:
    item = access.my_dispatch(viewer, dispatch)
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD:
        return _too_large(request, viewer, item)
    return _finding(request, viewer, item)


@csrf_protect
def _finding(request: HttpRequest, viewer: Viewer, item: Dispatch) -> HttpResponse:
    if request.method != "POST":
        context = _finding_context(request, viewer, item, FindingForm())
        return render(request, "incidents/finding.html", context)
    form = FindingForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            field.record_finding(
                actor=viewer.person,
                dispatch=item,
                disposition=data["disposition"],
                agency=data["agency"],
                activity=data["activity"],
                size=data["size"],
                observations=form.observations(),
                notes=data["notes"],
                files=form.uploads(),
            )
        except ActionRefused as exc:
            name = f"seen_{exc.field}" if exc.field in OBSERVATIONS else exc.field
            form.add_error(name if name in form.fields else None, exc.message)
        else:
            messages.success(request, _("Sent. The dispatcher now sees what you found. Thank you."))
            return redirect(reverse("incidents:finding", args=[item.code]) + "?sent=1")
    context = _finding_context(request, viewer, item, form)
    return render(request, "incidents/finding.html", context, status=400)


# --- The dispatcher's panel on the incident page ----------------------------------------------


def _finding_row(viewer: Viewer, found: Finding) -> dict[str, Any]:
    seen = access.observations(viewer, found)
    observed = seen.get("observations", {})
    return {
        "finding": found,
        "who": found.person.display_name,
        "disposition": _label(Disposition, found.disposition),
        "agency": _label(Agency, found.agency),
        "activity": _label(Activity, found.activity),
        "observations": [(OBSERVATIONS[k], observed[k]) for k in OBSERVATIONS if observed.get(k)],
        "notes": seen.get("notes", ""),
        "destroyed": seen.get("destroyed", False),
        "media": list(found.media.all()),
    }


def panel(
    request: HttpRequest, viewer: Viewer, incident: Incident
) -> tuple[str, dict[str, Any]] | None:
    committee = incident.committee
    if not access.can(viewer, IncidentCan.READ, committee):
        return None
    rows = [_finding_row(viewer, f) for f in access.findings(viewer, incident)]
    standing = field.dispositions(incident)
    context = {
        "findings": rows,
        "disagree": [(value, _label(Disposition, value)) for value in standing]
        if len(standing) > 1
        else [],
        "settled": _label(Disposition, incident.disposition),
        "triage": access.can(viewer, IncidentCan.TRIAGE, committee),
        "timeline": access.timeline(viewer, incident),
        "evidence": access.can(viewer, IncidentCan.EVIDENCE, committee),
    }
    return "incidents/_field_panel.html", context


@staff_view
@require_POST
def settle(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.TRIAGE)
    item = access.incident(viewer, found, incident, IncidentCan.TRIAGE)
    form = SettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what one of the confirmers found."))
    else:
        try:
            field.settle(
                actor=viewer.person, incident=item, disposition=form.cleaned_data["disposition"]
            )
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Settled. The incident now says what you chose."))
    return redirect("incidents:incident", found.code, item.code)


@staff_view
@require_GET
def finding_media(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, media: uuid.UUID
) -> HttpResponse:
    """The cleaned copy only: staff never receive the original through the site."""
    found = access.committee(viewer, committee, IncidentCan.READ)
    item = access.finding_media(viewer, found, media)
    try:
        data = media_store.load(item, "clean", committee=found)
    except (crypto.KeyDestroyed, FileNotFoundError) as exc:
        raise NotFound from exc
    response = HttpResponse(data, content_type=item.content_type)
    response["Content-Disposition"] = "inline"
    # Even a cleaned file is shown as what it is, never run as a page.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- The evidence packet ----------------------------------------------------------------------


@staff_view
@require_GET
def evidence_packet(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, IncidentCan.EVIDENCE)
    item = access.evidence(viewer, found, incident)
    packet = evidence.export(actor=viewer.person, incident=item)
    response = FileResponse(
        packet.file, as_attachment=True, filename=packet.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    # staff_view is typed for HttpResponse; Django serves a streaming FileResponse the same way.
    return response  # type: ignore[return-value]
