"""Staff pages of the campaigns app: importing public data and recording policies.
Thin: load through access, validate with a form, call one action, render."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from defensa.campaigns import access, actions
from defensa.campaigns.forms import ImportForm, PolicyForm
from defensa.campaigns.importers.base import Source
from defensa.campaigns.importers.reasons import ImportRefused, describe, describe_note
from defensa.campaigns.models import RejectedRow, SourceSheet
from defensa.core.errors import ActionRefused
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view


def _rows(items: list[RejectedRow]) -> list[dict[str, Any]]:
    return [
        {
            "row": r.row_number,
            "outcome": r.get_outcome_display(),
            "column": r.column,
            "reason": describe(r.reason, {"column": r.column, **r.params}),
            "cells": " | ".join(c for c in r.cells if c),
        }
        for r in items
    ]


def _import_page(
    request: HttpRequest,
    viewer: Viewer,
    found: Committee,
    *,
    form: ImportForm | None = None,
    result: actions.ImportResult | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "committee": found,
        "form": form or ImportForm(),
        "sheets": [
            {"item": s, "note": describe_note(s.as_of_note)}
            for s in access.recent_sheets(viewer, found)
        ],
    }
    if result is not None:
        sheet: SourceSheet = result.sheet
        context["result"] = {
            "sheet": sheet,
            "created": result.created,
            "stored": result.stored,
            "note": describe_note(sheet.as_of_note),
            "rejected": _rows(list(access.rejected_rows(viewer, found, sheet))),
        }
    return render(request, "campaigns/import.html", context, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def import_data(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.import_committee(viewer, committee)
    if request.method == "GET":
        return _import_page(request, viewer, found)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, viewer, found, form=form, status=400)
    upload = form.cleaned_data["upload"]
    path = getattr(upload, "temporary_file_path", None)
    source = (
        Source(upload.name, path=Path(path()))
        if callable(path)
        else Source(upload.name, data=upload.read())
    )
    try:
        result = actions.import_file(
            actor=viewer.person,
            committee=found,
            source=source,
            as_of=form.cleaned_data["as_of"],
        )
    except ImportRefused as exc:
        form.add_error("upload", _("Nothing was imported: %(reason)s") % {"reason": exc.message})
        return _import_page(request, viewer, found, form=form, status=400)
    return _import_page(request, viewer, found, result=result)


def _policies_page(
    request: HttpRequest,
    viewer: Viewer,
    found: Committee,
    *,
    form: PolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "campaigns/policies.html",
        {
            "committee": found,
            "policies": list(access.policies(viewer, found)),
            "form": form or PolicyForm(),
        },
        status=status,
    )


@staff_view
@require_http_methods(["GET", "POST"])
def policies(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.policy_committee(viewer, committee)
    if request.method == "GET":
        return _policies_page(request, viewer, found)
    form = PolicyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_policy(
                actor=viewer.person,
                committee=found,
                name=data["name"],
                level=data["level"],
                state=data["state"],
                place=data["place"],
                adopted=data["adopted"],
                summary=data["summary"],
                source_url=data["source_url"],
            )
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Policy recorded."))
            return redirect("campaigns:policies", found.code)
    return _policies_page(request, viewer, found, form=form, status=400)


@staff_view
@require_POST
def remove_policy(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, policy: uuid.UUID
) -> HttpResponse:
    found = access.policy_committee(viewer, committee)
    actions.remove_policy(actor=viewer.person, policy=access.own_policy(viewer, found, policy))
    messages.success(request, _("Policy removed."))
    return redirect("campaigns:policies", found.code)
