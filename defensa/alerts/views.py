"""Staff pages of alerts: the composer on an incident's page, a committee's alerts with their
state and deliveries, a draft with its previews, and approve, discard and correct. Thin:
load through `access`, validate with a form, call one action, answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensa.alerts import access, actions, compose, verify
from defensa.alerts.access import AlertCan
from defensa.alerts.alert_forms import ComposeForm, CorrectForm, EditForm, text_field_name
from defensa.alerts.models import Alert, AlertKind, AlertStatus
from defensa.core.errors import ActionRefused
from defensa.incidents import actions as incidents
from defensa.incidents.models import Incident
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view

COMPOSED = gettext_lazy("Draft composed. A second qualified person must approve it.")


def _incident_kind(item: Incident) -> str | None:
    kinds = compose.KINDS_FOR.get(item.disposition, ())
    return kinds[0] if kinds else None


def panel(
    request: HttpRequest, viewer: Viewer, incident: Incident
) -> tuple[str, dict[str, Any]] | None:
    """The incident page's alerts section (settings.DEFENSA_INCIDENT_PANELS)."""
    if not access.can(viewer, AlertCan.READ, incident.committee):
        return None
    kind = _incident_kind(incident)
    composing = (
        access.can(viewer, AlertCan.COMPOSE, incident.committee)
        and kind is not None
        and incidents.can_alert(incident)
    )
    form = None
    if composing and kind is not None:
        places = compose.places_for(incident.committee, incident)
        form = ComposeForm(kind=kind, places=places, committee=incident.committee)
    return "alerts/_incident_panel.html", {
        "alerts": list(access.incident_alerts(viewer, incident)),
        "kind": kind,
        "kind_label": AlertKind(kind).label if kind else "",
        "form": form,
        "can_alert": incidents.can_alert(incident),
        "false_alarm": kind == AlertKind.FALSE_ALARM,
    }


def _refused(request: HttpRequest, exc: ActionRefused, form: Any = None) -> None:
    if form is not None and exc.field:
        name = exc.field if exc.field in form.fields else f"text-{exc.field}"
        if name in form.fields:
            form.add_error(name, exc.message)
            return
    messages.error(request, exc.message)


@staff_view
@require_POST
def compose_from_incident(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, incident: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, AlertCan.COMPOSE)
    item = access.incident_to_alert(viewer, found, incident)
    kind = _incident_kind(item)
    form = ComposeForm(
        request.POST,
        kind=kind or AlertKind.CONFIRMED,
        places=compose.places_for(found, item),
        committee=found,
    )
    if kind is None or not form.is_valid():
        messages.error(request, _("The alert could not be composed: check the choices."))
        return redirect("incidents:incident", found.code, item.code)
    try:
        alert = actions.compose_alert(
            actor=_person(viewer),
            committee=found,
            kind=kind,
            incident=item,
            place=form.cleaned_data["place"],
            advice=form.cleaned_data["advice"],
            expires_in=form.expires_delta(),
        )
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("incidents:incident", found.code, item.code)
    messages.success(request, COMPOSED)
    return redirect("alerts:alert", found.code, alert.code)


def _person(viewer: Viewer) -> Any:
    if viewer.person is None:  # an account without a person holds no role: never here
        raise ActionRefused(_("Only members act on alerts."))
    return viewer.person


@staff_view
@require_http_methods(["GET", "POST"])
def new_reminder(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    """A know-your-rights reminder: no incident, a zone or the whole area."""
    found = access.committee(viewer, committee, AlertCan.COMPOSE)
    kind = AlertKind.KNOW_YOUR_RIGHTS
    form = ComposeForm(
        request.POST or None, kind=kind, places=compose.places_for(found, None), committee=found
    )
    if request.method == "POST" and form.is_valid():
        try:
            alert = actions.compose_alert(
                actor=_person(viewer),
                committee=found,
                kind=kind,
                place=form.cleaned_data["place"],
                advice=form.cleaned_data["advice"],
                expires_in=form.expires_delta(),
            )
        except ActionRefused as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, COMPOSED)
            return redirect("alerts:alert", found.code, alert.code)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "alerts/new_reminder.html", {"committee": found, "form": form}, status=status
    )


@staff_view
@require_GET
def alert_list(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, AlertCan.READ)
    items = list(access.alerts(viewer, found))
    counts = access.delivery_counts(viewer, found, items)
    rows = [
        {
            "alert": item,
            "headline": _headline(item),
            "counts": counts.get(item.pk, []),
            "approvable": access.approval_refusal(viewer, item) is None,
        }
        for item in items
    ]
    context = {
        "committee": found,
        "rows": rows,
        "composing": access.can(viewer, AlertCan.COMPOSE, found),
    }
    return render(request, "alerts/list.html", context)


def _headline(item: Alert) -> str:
    """The headline in the reader's language: as signed once approved, else as it would be."""
    if item.snapshot:
        return str(json.loads(item.snapshot).get("headlines", {}).get(_language(), ""))
    return compose.headlines(compose.facts_of(item)).get(_language(), "")


def _language() -> str:
    language = (get_language() or "es")[:2]
    return language if language in compose.languages() else "es"


def _detail(
    request: HttpRequest,
    viewer: Viewer,
    found: Committee,
    item: Alert,
    form: EditForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    composing = access.can(viewer, AlertCan.COMPOSE, found)
    draft = item.status == AlertStatus.DRAFT
    if draft and composing and form is None:
        form = EditForm(alert=item, places=compose.places_for(found, item.incident))
    refusal = access.approval_refusal(viewer, item)
    correctable = (
        composing and item.kind == AlertKind.CONFIRMED and item.status in actions.CORRECTABLE
    )
    editing = form if draft and composing else None
    previews = compose.previews(item.texts, item.verify_code)
    fields = _text_fields(editing) if editing is not None else [None] * len(previews)
    context = {
        "committee": found,
        "alert": item,
        "headline": _headline(item),
        "texts": [
            {"preview": preview, "field": field}
            for preview, field in zip(previews, fields, strict=True)
        ],
        "form": editing,
        "choices": [editing[name] for name in ("place", "advice", "expires_in")] if editing else [],
        "approvable": draft and refusal is None,
        "version": actions.draft_version(item) if draft else "",
        "refusal": refusal if draft and refusal not in (None, "-") else "",
        "discardable": draft and composing,
        "correct_form": CorrectForm() if correctable else None,
        "counts": access.delivery_counts(viewer, found, [item]).get(item.pk, []),
        "corrections": list(item.corrections.order_by("composed_at")),
        "shown_code": compose.shown_code(item.verify_code),
        "corrects_code": compose.shown_code(item.corrects.verify_code) if item.corrects else "",
        "link": compose.link(item.verify_code),
        "key": _key(item),
    }
    return render(request, "alerts/alert.html", context, status=status)


def _key(item: Alert) -> verify.Key | None:
    """The key that signed an approved alert, as published (None: unsigned or no longer listed)."""
    return next((k for k in verify.listed_keys() if item.key_id and k.key_id == item.key_id), None)


def _text_fields(form: EditForm) -> list[Any]:
    return [
        form[text_field_name(language, channel)]
        for language in compose.languages()
        for channel in compose.CHANNELS
    ]


@staff_view
@require_http_methods(["GET", "POST"])
def alert_detail(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, alert: uuid.UUID
) -> HttpResponse:
    if request.method == "GET":
        found = access.committee(viewer, committee, AlertCan.READ)
        return _detail(request, viewer, found, access.alert(viewer, found, alert, AlertCan.READ))
    found = access.committee(viewer, committee, AlertCan.COMPOSE)
    item = access.alert(viewer, found, alert, AlertCan.COMPOSE)
    form = EditForm(request.POST, alert=item, places=compose.places_for(found, item.incident))
    if not form.is_valid():
        return _detail(request, viewer, found, item, form, status=400)
    try:
        actions.edit_draft(
            actor=_person(viewer),
            alert=item,
            place=None if item.corrects_id else form.cleaned_data["place"],
            advice=form.cleaned_data["advice"],
            expires_in=form.expires_delta(),
            texts=form.texts(),
        )
    except ActionRefused as exc:
        _refused(request, exc, form)
        item.refresh_from_db()
        return _detail(request, viewer, found, item, form, status=400)
    messages.success(request, _("Draft saved."))
    return redirect("alerts:alert", found.code, item.code)


def _act(request: HttpRequest, action: Any, done: str) -> Any:
    try:
        result = action()
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, done)
    return result


@staff_view
@require_POST
def approve(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, alert: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, AlertCan.APPROVE)
    item = access.alert(viewer, found, alert, AlertCan.APPROVE)
    _act(
        request,
        lambda: actions.approve(
            actor=_person(viewer), alert=item, seen_version=request.POST.get("version", "")
        ),
        _("Approved and signed. It is being sent."),
    )
    return redirect("alerts:alert", found.code, item.code)


@staff_view
@require_POST
def discard(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, alert: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, AlertCan.COMPOSE)
    item = access.alert(viewer, found, alert, AlertCan.COMPOSE)
    _act(request, lambda: actions.discard(actor=_person(viewer), alert=item), _("Discarded."))
    return redirect("alerts:list", found.code)


@staff_view
@require_POST
def correct(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, alert: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, AlertCan.COMPOSE)
    item = access.alert(viewer, found, alert, AlertCan.COMPOSE)
    form = CorrectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the correction says."))
        return redirect("alerts:alert", found.code, item.code)
    draft = _act(
        request,
        lambda: actions.correct(actor=_person(viewer), alert=item, kind=form.cleaned_data["kind"]),
        _("Correction composed. A second qualified person must approve it."),
    )
    return redirect("alerts:alert", found.code, (draft or item).code)
