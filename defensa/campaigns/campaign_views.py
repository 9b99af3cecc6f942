"""Staff pages for campaigns: the committee's list, one campaign (members read it and log
actions; coordinators change it), and its printable fact sheet. Thin: load through
`campaign_access`, validate with a form, call one action, redirect or render."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensa.campaigns import campaign_access as access
from defensa.campaigns import campaign_actions as actions
from defensa.campaigns import facts, public_views
from defensa.campaigns.campaign_access import CampaignCan
from defensa.campaigns.campaign_forms import (
    CampaignEditForm,
    CampaignForm,
    CorrectForm,
    LogForm,
    ScriptForm,
    TargetForm,
)
from defensa.campaigns.campaign_models import Campaign
from defensa.core.errors import ActionRefused
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view


def _refused(form: Form, exc: ActionRefused) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@staff_view
@require_GET
def campaigns(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, CampaignCan.VIEW)
    context = {
        "committee": found,
        "campaigns": list(access.campaigns(viewer, found)),
        "manages": access.can(viewer, found, CampaignCan.MANAGE),
    }
    return render(request, "campaigns/campaign_list.html", context)


@staff_view
@require_http_methods(["GET", "POST"])
def new_campaign(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, CampaignCan.MANAGE)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = actions.create_campaign(
                actor=viewer.person,
                committee=found,
                title=data["title"],
                state=data["state"],
                county=data["county"],
                goal=data["goal"],
                asks=data["asks"],
            )
        except ActionRefused as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Campaign created."))
            return redirect("campaigns:campaign", found.code, item.code)
    status = 400 if request.method == "POST" else 200
    context = {"committee": found, "form": form}
    return render(request, "campaigns/campaign_new.html", context, status=status)


def _campaign_page(
    request: HttpRequest,
    viewer: Viewer,
    found: Committee,
    item: Campaign,
    *,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    manages = access.can(viewer, found, CampaignCan.MANAGE)
    today = actions.committee_today(found)  # the day on the committee's clock
    shown: dict[str, Form] = {"log": LogForm(initial={"day": today})}
    if manages:
        shown |= {
            "edit": CampaignEditForm(
                initial={
                    "title": item.title,
                    "goal": item.goal,
                    "asks": item.asks,
                    "status": item.status,
                }
            ),
            "target": TargetForm(),
            "script": ScriptForm(initial={"language": get_language()}),
            "correct": CorrectForm(initial={"day": today}),
        }
    shown |= forms or {}
    context: dict[str, Any] = {
        "committee": found,
        "campaign": item,
        "manages": manages,
        "targets": list(access.targets(viewer, item)),
        "scripts": list(access.scripts(viewer, item)),
        "languages": actions.spoken_languages(),
        "tallies": access.tallies(viewer, item),
        "forms": shown,
    }
    return render(request, "campaigns/campaign.html", context, status=status)


@staff_view
@require_GET
def campaign(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, CampaignCan.VIEW)
    item = access.campaign(viewer, found, campaign, CampaignCan.VIEW)
    return _campaign_page(request, viewer, found, item)


def _post(
    request: HttpRequest,
    viewer: Viewer,
    committee: uuid.UUID,
    campaign: uuid.UUID,
    *,
    need: CampaignCan,
    name: str,
    form: Form,
    act: Any,
    done: str,
) -> HttpResponse:
    """Validate `form`, call `act(item, cleaned_data)`, and go back to the campaign; or show
    the page again with the form's errors."""
    found = access.committee(viewer, committee, need)
    item = access.campaign(viewer, found, campaign, need)
    if form.is_valid():
        try:
            act(item, form.cleaned_data)
        except ActionRefused as exc:
            _refused(form, exc)
        else:
            messages.success(request, done)
            return redirect("campaigns:campaign", found.code, item.code)
    return _campaign_page(request, viewer, found, item, forms={name: form}, status=400)


@staff_view
@require_POST
def edit_campaign(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    return _post(
        request, viewer, committee, campaign,
        need=CampaignCan.MANAGE, name="edit", form=CampaignEditForm(request.POST),
        act=lambda item, d: actions.update_campaign(
            actor=viewer.person, campaign=item, title=d["title"], goal=d["goal"],
            asks=d["asks"], status=d["status"],
        ),
        done=_("Campaign saved."),
    )  # fmt: skip


@staff_view
@require_POST
def add_target(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    return _post(
        request, viewer, committee, campaign,
        need=CampaignCan.MANAGE, name="target", form=TargetForm(request.POST),
        act=lambda item, d: actions.add_target(
            actor=viewer.person, campaign=item, name=d["name"], office=d["office"],
            phone=d["phone"], email=d["email"], address=d["address"],
        ),
        done=_("Target added."),
    )  # fmt: skip


@staff_view
@require_POST
def remove_target(
    request: HttpRequest,
    viewer: Viewer,
    committee: uuid.UUID,
    campaign: uuid.UUID,
    target: uuid.UUID,
) -> HttpResponse:
    found = access.committee(viewer, committee, CampaignCan.MANAGE)
    item = access.campaign(viewer, found, campaign, CampaignCan.MANAGE)
    actions.remove_target(actor=viewer.person, target=access.target(viewer, item, target))
    messages.success(request, _("Target removed."))
    return redirect("campaigns:campaign", found.code, item.code)


@staff_view
@require_POST
def set_script(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    return _post(
        request, viewer, committee, campaign,
        need=CampaignCan.MANAGE, name="script", form=ScriptForm(request.POST),
        act=lambda item, d: actions.set_call_script(
            actor=viewer.person, campaign=item, language=d["language"], text=d["text"]
        ),
        done=_("Call-in script saved."),
    )  # fmt: skip


@staff_view
@require_POST
def log_actions(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    return _post(
        request, viewer, committee, campaign,
        need=CampaignCan.LOG_ACTIONS, name="log", form=LogForm(request.POST),
        act=lambda item, d: actions.log_actions(
            actor=viewer.person, campaign=item, kind=d["kind"], count=d["count"], day=d["day"]
        ),
        done=_("Thank you. Your actions were counted."),
    )  # fmt: skip


@staff_view
@require_POST
def correct_actions(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    return _post(
        request, viewer, committee, campaign,
        need=CampaignCan.MANAGE, name="correct", form=CorrectForm(request.POST),
        act=lambda item, d: actions.correct_actions(
            actor=viewer.person, campaign=item, kind=d["kind"], day=d["day"], count=d["count"]
        ),
        done=_("Count corrected."),
    )  # fmt: skip


@staff_view
@require_GET
def fact_sheet(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, campaign: uuid.UUID
) -> HttpResponse:
    """One printable page: the campaign's asks and targets, and the facts of its place."""
    found = access.committee(viewer, committee, CampaignCan.VIEW)
    item = access.campaign(viewer, found, campaign, CampaignCan.VIEW)
    scripts = {s.language: s for s in access.scripts(viewer, item)}
    context: dict[str, Any] = {
        "committee": found,
        "campaign": item,
        "targets": list(access.targets(viewer, item)),
        "script": scripts.get(get_language() or "") or next(iter(scripts.values()), None),
        "languages": actions.spoken_languages(),
        "done": [(label, n) for label, n in access.tallies(viewer, item).totals if n],
    }
    state, fips = facts.jurisdiction_place(item.jurisdiction)
    if fips is not None:
        county = facts.county_facts(state, fips)
        context |= public_views.county_context(county) | {"trend_refs": county.trend.sources}
    else:
        found_state = facts.state_facts(state)
        context |= {
            "state_facts": found_state,
            "chart": public_views.trend_chart(found_state.trend, place=found_state.state.name),
            "trend_refs": found_state.trend.sources,
        }
    return render(request, "campaigns/fact_sheet.html", context)
