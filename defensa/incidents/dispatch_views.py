"""Dispatch pages: the dispatcher's panel on an incident, and the confirmer's answers.

The panel shows who was asked and what each answered, redrawn every two seconds (204 while
nothing changed). Confirmers answer from the link in their message, with no account (the
link's token is the key, and the page shows only where and what to look at, never what a
report said or who made it), or signed in, from their list of requests.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from defensa.core.access import NotFound
from defensa.core.errors import ActionRefused
from defensa.hotline.models import Activity, Agency
from defensa.incidents import access, confirmers, dispatching
from defensa.incidents.access import IncidentCan
from defensa.incidents.models import Dispatch, DispatchStatus, Incident
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view
from defensa.shifts.actions import language_of

# Going first, then waiting, then those who will not come.
ORDER = {
    DispatchStatus.ACCEPTED: 0,
    DispatchStatus.REPORTED: 0,
    DispatchStatus.OFFERED: 1,
    DispatchStatus.DECLINED: 2,
    DispatchStatus.EXPIRED: 2,
    DispatchStatus.CANCELLED: 3,
}
ANSWERS = {"yes": True, "no": False}


def _version(item: Incident, rows: list[Dispatch]) -> str:
    # A digest, not hash(): every web process must compute the same version.
    answers = [(d.pk, d.status, d.answered_at and d.answered_at.isoformat()) for d in rows]
    state = repr([item.status, *answers])
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def _status(viewer: Viewer, item: Incident) -> dict[str, Any]:
    """What the live part of the panel shows: cheap enough to compute every two seconds."""
    found = list(access.dispatches(viewer, item))
    names = access.can(viewer, IncidentCan.TRIAGE, item.committee)
    found.sort(key=lambda d: (ORDER.get(DispatchStatus(d.status), 9), d.offered_at))
    rows = []
    for number, entry in enumerate(found, start=1):
        rows.append(
            {
                "dispatch": entry,
                # Like the shift schedule, names are for those who send people.
                "name": entry.person.display_name
                if names
                else _("Confirmer %(number)s") % {"number": number},
                "label": entry.get_status_display(),
                "waiting": entry.status == DispatchStatus.OFFERED,
                "km": dispatching.km_text(entry.km) if entry.km is not None else "",
            }
        )
    going = sum(d.status in confirmers.GOING for d in found)
    waiting = sum(d.status in confirmers.WAITING for d in found)
    needed = confirmers.target()
    active = item.status in confirmers.DISPATCHABLE
    return {
        "rows": rows,
        "version": _version(item, found),
        "going": going,
        "waiting": waiting,
        "needed": needed,
        # The next nearest is asked by itself after each no or silence: fewer than needed
        # standing means nobody else was on call to ask.
        "nobody_left": active and bool(found) and going + waiting < needed,
    }


def _panel(viewer: Viewer, item: Incident) -> dict[str, Any]:
    committee = item.committee
    triage = access.can(viewer, IncidentCan.TRIAGE, committee)
    context = {**_status(viewer, item), "triage": triage, "active": False}
    if triage and item.status in confirmers.DISPATCHABLE:
        standing = {
            row["dispatch"].person_id
            for row in context["rows"]
            if row["dispatch"].status in confirmers.STANDING
        }
        on_call = access.confirmers_on_call(viewer, committee)
        context["active"] = True
        context["ready"] = len(access.dispatch_candidates(viewer, item))
        context["choices"] = [
            {
                "code": m.code,
                "name": m.person.display_name,
                "on_call": m.person_id in on_call,
            }
            for m in access.qualified_confirmers(viewer, committee)
            if m.person_id not in standing
        ]
    return context


def panel(
    request: HttpRequest, viewer: Viewer, incident: Incident
) -> tuple[str, dict[str, Any]] | None:
    """The incident page's dispatch section (settings.DEFENSA_INCIDENT_PANELS)."""
    if not access.can(viewer, IncidentCan.READ, incident.committee):
        return None
    return "incidents/_dispatch_panel.html", _panel(viewer, incident)


def _load(
    viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID, need: IncidentCan
) -> tuple[Committee, Incident]:
    found = access.committee(viewer, committee, need)
    return found, access.incident(viewer, found, incident, need)


@staff_view
@require_GET
def panel_status(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found, item = _load(viewer, committee, incident, IncidentCan.READ)
    status = _status(viewer, item)
    if request.GET.get("version") == status["version"]:
        return HttpResponse(status=204)  # asked every two seconds: nothing new, nothing drawn
    return render(
        request,
        "incidents/_dispatch_status.html",
        {"committee": found, "incident": item, "panel": status},
    )


def _names(sent: dispatching.Sent) -> str:
    return ", ".join(d.person.display_name for d in sent.asked)


@staff_view
@require_POST
def send(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found, item = _load(viewer, committee, incident, IncidentCan.TRIAGE)
    try:
        sent = dispatching.dispatch(actor=viewer.person, incident=item)
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("incidents:incident", found.code, item.code)
    if sent.alone:
        messages.warning(
            request,
            _(
                "Only one qualified confirmer could be asked: %(name)s. Nobody should go "
                "alone: ask a second one by hand."
            )
            % {"name": _names(sent)},
        )
    else:
        count = len(sent.asked)
        messages.success(
            request,
            ngettext(
                "Asked %(count)s confirmer: %(names)s.",
                "Asked %(count)s confirmers: %(names)s.",
                count,
            )
            % {"count": count, "names": _names(sent)},
        )
    if sent.unreachable:
        messages.warning(
            request,
            ngettext(
                "%(count)s confirmer on call could not be asked: no phone, Signal or e-mail "
                "we can send to.",
                "%(count)s confirmers on call could not be asked: no phone, Signal or e-mail "
                "we can send to.",
                sent.unreachable,
            )
            % {"count": sent.unreachable},
        )
    return redirect("incidents:incident", found.code, item.code)


@staff_view
@require_POST
def by_hand(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found, item = _load(viewer, committee, incident, IncidentCan.TRIAGE)
    person = access.qualified_confirmer(viewer, found, request.POST.get("member", ""))
    try:
        sent = dispatching.dispatch_by_hand(actor=viewer.person, incident=item, person=person)
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("incidents:incident", found.code, item.code)
    name = {"name": person.display_name}
    if sent.off_shift:
        messages.warning(
            request,
            _("Asked %(name)s, who is not on call now: they may not be able to go.") % name,
        )
    else:
        messages.success(request, _("Asked %(name)s.") % name)
    return redirect("incidents:incident", found.code, item.code)


# --- The confirmer's side ----------------------------------------------------------------------


def facts(entry: Dispatch) -> dict[str, Any]:
    """Only what a confirmer needs to decide and to go: no report text, nobody who reported."""
    item = entry.incident
    return {
        "committee": item.committee,
        "activity": Activity(item.activity).label if item.activity else "",
        "agency": Agency(item.agency).label if item.agency else "",
        "zip_code": item.zip_code,
        "first_seen_at": item.first_seen_at,
        "last_report_at": item.last_report_at,
        "km": dispatching.km_text(entry.km) if entry.km is not None else "",
        "answer_by": entry.answer_by,
        "status": entry.status,
        "open": entry.status == DispatchStatus.OFFERED and entry.answer_by > timezone.now(),
        # Recording a finding needs the confirmer's own sign-in (a link alone is not enough).
        "finding_url": reverse("incidents:finding", args=[entry.code]),
    }


def _confirm_page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> Any:
    return render(request, "incidents/confirm.html", context, status=status)


def _gone(request: HttpRequest, message: str | None = None) -> HttpResponse:
    text = message or _(
        "This link no longer works: the request was answered, passed to someone else, or is "
        "no longer needed."
    )
    return _confirm_page(request, {"gone": text}, status=404)


@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The page the message links to. Showing it changes nothing (phones preview links)."""
    try:
        entry = access.dispatch_for_link(token)
    except NotFound:
        return _gone(request)
    with translation.override(language_of(entry.person)):
        return _confirm_page(request, {"token": token, **facts(entry)})


# No CSRF token: the link's secret token is in the address, which a forging site cannot know,
# and a cheap phone's browser that drops cookies can still answer.
@csrf_exempt
@require_POST
def link_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        entry = access.dispatch_for_link(token)
    except NotFound:
        return _gone(request)
    choice = ANSWERS.get(request.POST.get("answer", ""))
    with translation.override(language_of(entry.person)):
        if choice is None:
            # The question again, not a 400: an error response would log this live link.
            return _confirm_page(request, {"token": token, **facts(entry)})
        try:
            done = dispatching.answer(dispatch=entry, accept=choice, via="link")
        except ActionRefused as exc:
            return _gone(request, exc.message)
        return _confirm_page(request, {"answered": True, **facts(done)})


@staff_view
@require_GET
def mine(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    rows = [{"dispatch": d, **facts(d)} for d in access.my_dispatches(viewer)[:50]]
    return render(request, "incidents/my_dispatches.html", {"rows": rows})


@staff_view
@require_POST
def mine_answer(request: HttpRequest, viewer: Viewer, dispatch: uuid.UUID) -> HttpResponse:
    entry = access.my_dispatch(viewer, dispatch)
    choice = ANSWERS.get(request.POST.get("answer", ""))
    if choice is None:
        return HttpResponseBadRequest()
    try:
        dispatching.answer(dispatch=entry, accept=choice, via="web")
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Thank you: the dispatcher sees that you are on the way.")
            if choice
            else _("Understood: we will ask someone else. Thank you."),
        )
    return redirect("incidents:my_dispatches")
