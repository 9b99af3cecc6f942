"""Shift pages: thin views over shifts.access and shifts.actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensa.core.access import NotFound
from defensa.core.errors import ActionRefused
from defensa.network.access import Viewer
from defensa.network.views import staff_view
from defensa.shifts import access, actions, forms, rules, timeutil
from defensa.shifts.access import ShiftCan
from defensa.shifts.feeds import calendar
from defensa.shifts.handover import handover_text
from defensa.shifts.models import Assignment, ShiftRole


class BadWeek(ValueError):
    pass


def _monday(request: HttpRequest, tz: Any) -> date:
    raw = request.GET.get("week", "")
    if not raw:
        return timeutil.week_start(timeutil.local_date(timezone.now(), tz))
    try:
        return timeutil.week_start(date.fromisoformat(raw))
    except ValueError as exc:
        raise BadWeek from exc


def _bad_week(request: HttpRequest) -> HttpResponse:
    message = _("The week must be a date like 2026-11-30.")
    html = render_to_string("400.html", {"message": message}, request=request)
    return HttpResponseBadRequest(html)


def _back(request: HttpRequest, committee: Any) -> HttpResponse:
    target = request.POST.get("next", "")
    schedule = reverse("shifts:schedule", args=[committee.code])
    # Only back to one of our own schedule pages.
    if target.startswith(schedule) and "//" not in target:
        return redirect(target)
    return redirect(schedule)


def _attempt(request: HttpRequest, action: Callable[[], object], done: str) -> object:
    """Run one action; tell the person it worked, or why it was refused."""
    try:
        result = action()
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, done)
    return result


# --- The week grid ----------------------------------------------------------------------------


def _grid(viewer: Viewer, committee: Any, monday: date) -> dict[str, Any]:
    tz = timeutil.committee_tz(committee)
    see_names = access.can(viewer, ShiftCan.SEE_NAMES, committee)
    manage = access.can(viewer, ShiftCan.MANAGE, committee)
    days = [monday + timedelta(days=i) for i in range(7)]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for template in access.templates(viewer, committee):
        key = (template.zone.name if template.zone else "", template.role)
        rows[key] = {
            "zone": template.zone.name if template.zone else "",
            "role": ShiftRole(template.role).label,
            "days": [{"date": day, "slots": []} for day in days],
        }
    for slot in access.week_slots(viewer, committee, monday):
        key = (slot.zone.name if slot.zone else "", slot.role)
        row = rows.setdefault(
            key,
            {
                "zone": key[0],
                "role": ShiftRole(slot.role).label,
                "days": [{"date": day, "slots": []} for day in days],
            },
        )
        people = slot.active  # type: ignore[attr-defined]
        mine = next((a for a in people if viewer.person and a.person_id == viewer.person.id), None)
        index = (timeutil.local_date(slot.starts_at, tz) - monday).days
        row["days"][index]["slots"].append(
            {
                "code": slot.code,
                "time": _("%(start)s–%(end)s")
                % {
                    "start": formats.time_format(slot.starts_at.astimezone(tz), "H:i"),
                    "end": formats.time_format(slot.ends_at.astimezone(tz), "H:i"),
                },
                "taken": len(people),
                "needed": slot.needed,
                "gap": slot.cancelled_at is None and len(people) < slot.needed,
                "cancelled": slot.cancelled_at is not None,
                "past": slot.ends_at <= timezone.now(),
                "names": [a.person.display_name for a in people] if see_names else [],
                "mine": mine,
            }
        )
    return {
        "committee": committee,
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "days": days,
        "rows": sorted(rows.values(), key=lambda r: (r["zone"], r["role"])),
        "see_names": see_names,
        "manage": manage,
        "members": access.members(viewer, committee) if manage else [],
    }


@staff_view
@require_GET
def schedule(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.VIEW_SCHEDULE)
    try:
        monday = _monday(request, timeutil.committee_tz(found))
    except BadWeek:
        return _bad_week(request)
    return render(request, "shifts/schedule.html", _grid(viewer, found, monday))


# --- Set-up (coordinators) --------------------------------------------------------------------


def _block_text(block: Any) -> str:
    start = formats.time_format(block.start_time, "H:i")
    end = formats.time_format(block.end_time, "H:i")
    if block.kind == "once":
        return _("Once, %(start_date)s %(start)s to %(end_date)s %(end)s") % {
            "start_date": formats.date_format(block.start_date, "SHORT_DATE_FORMAT"),
            "start": start,
            "end_date": formats.date_format(block.end_date, "SHORT_DATE_FORMAT"),
            "end": end,
        }
    values = {
        "day": dict(forms.WEEKDAYS)[block.weekday],
        "start": start,
        "end": end,
        "from": formats.date_format(block.start_date, "SHORT_DATE_FORMAT"),
    }
    if block.end_date:
        values["until"] = formats.date_format(block.end_date, "SHORT_DATE_FORMAT")
        return _("Every %(day)s, %(start)s–%(end)s, from %(from)s until %(until)s") % values
    return _("Every %(day)s, %(start)s–%(end)s, from %(from)s") % values


def _setup_context(viewer: Viewer, committee: Any, **extra: Any) -> dict[str, Any]:
    zones = list(committee.zones.order_by("name"))
    limits = rules.limits_for(committee.id)
    templates = [
        {
            "template": template,
            "blocks": [{"code": b.code, "text": _block_text(b)} for b in template.blocks.all()],
        }
        for template in access.templates(viewer, committee)
    ]
    context = {
        "committee": committee,
        "templates": templates,
        "template_form": forms.TemplateForm(zones=zones),
        "block_form": forms.BlockForm(),
        "limits_form": forms.LimitsForm(
            initial={
                "max_hours_per_week": limits.max_hours_per_week,
                "max_consecutive_nights": limits.max_consecutive_nights,
                "min_rest_hours": limits.min_rest_hours,
            }
        ),
    }
    context.update(extra)
    return context


@staff_view
@require_GET
def setup(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    return render(request, "shifts/setup.html", _setup_context(viewer, found))


@staff_view
@require_POST
def add_template(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    form = forms.TemplateForm(request.POST, zones=list(found.zones.all()))
    if form.is_valid():
        try:
            actions.create_template(
                actor=viewer.person,
                committee=found,
                zone=form.cleaned_data["zone"],
                role=form.cleaned_data["role"],
                needed=form.cleaned_data["needed"],
            )
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("shifts:setup", committee=found.code)
    context = _setup_context(viewer, found, template_form=form)
    return render(request, "shifts/setup.html", context, status=400)


@staff_view
@require_POST
def add_block(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, template: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    shift_template = access.template(viewer, found, template)
    form = forms.BlockForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_block(
                actor=viewer.person,
                template=shift_template,
                kind=data["kind"],
                weekday=data.get("weekday"),
                start_date=data["start_date"],
                end_date=data.get("end_date"),
                start_time=data["start_time"],
                end_time=data["end_time"],
            )
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The time block was added."))
            return redirect("shifts:setup", committee=found.code)
    context = _setup_context(viewer, found, block_form=form, failed_template=shift_template.code)
    return render(request, "shifts/setup.html", context, status=400)


@staff_view
@require_POST
def remove_block(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, block: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    actions.remove_block(actor=viewer.person, block=access.block(viewer, found, block))
    messages.success(request, _("The time block was removed."))
    return redirect("shifts:setup", committee=found.code)


@staff_view
@require_POST
def set_limits(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    form = forms.LimitsForm(request.POST)
    if form.is_valid():
        try:
            actions.set_care_limits(actor=viewer.person, committee=found, **form.cleaned_data)
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The limits were saved."))
            return redirect("shifts:setup", committee=found.code)
    context = _setup_context(viewer, found, limits_form=form)
    return render(request, "shifts/setup.html", context, status=400)


# --- Signing up, assigning, offering ----------------------------------------------------------


@staff_view
@require_POST
def sign_up(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, slot: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.VIEW_SCHEDULE)
    target = access.slot(viewer, found, slot)
    person = viewer.person
    if person is None:
        raise NotFound
    _attempt(
        request,
        lambda: actions.sign_up(actor=person, person=person, slot=target),
        _("You are on this shift. Thank you!"),
    )
    return _back(request, found)


@staff_view
@require_POST
def assign(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, slot: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    target = access.slot(viewer, found, slot)
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a member."))
        return _back(request, found)
    person = access.member(viewer, found, form.cleaned_data["membership"])
    try:
        actions.sign_up(actor=viewer.person, person=person, slot=target)
    except ActionRefused as exc:
        messages.error(
            request,
            _("%(name)s cannot take this shift: %(reason)s")
            % {"name": person.display_name, "reason": exc.message},
        )
    else:
        messages.success(request, _("%(name)s is on this shift.") % {"name": person.display_name})
    return _back(request, found)


@staff_view
@require_POST
def offer(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, slot: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    target = access.slot(viewer, found, slot)
    try:
        count = actions.offer_slot(actor=viewer.person, slot=target)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Offered by SMS or Signal to %(count)s members who can take it.") % {"count": count},
        )
    return _back(request, found)


@staff_view
@require_POST
def cancel(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, assignment: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.VIEW_SCHEDULE)
    item = access.assignment(viewer, found, assignment)
    _attempt(
        request,
        lambda: actions.cancel_assignment(actor=viewer.person, assignment=item),
        _("The sign-up was cancelled."),
    )
    return _back(request, found)


@staff_view
@require_POST
def set_call(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, assignment: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.VIEW_SCHEDULE)
    item = access.assignment(viewer, found, assignment)
    form = forms.CallForm(request.POST)
    if form.is_valid():
        try:
            actions.set_on_call(
                actor=viewer.person, assignment=item, on_call=form.cleaned_data["on_call"]
            )
        except ActionRefused as exc:
            messages.error(request, exc.message)
    if request.POST.get("next") == "mine":
        return redirect("shifts:mine")
    return _back(request, found)


# --- Who is on, load, handover ----------------------------------------------------------------


@staff_view
@require_GET
def on_now(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.SEE_NAMES)
    now = timezone.now()
    tz = timeutil.committee_tz(found)
    rows = [
        {
            "role": ShiftRole(a.role).label,
            "zone": a.zone.name if a.zone else "",
            "name": a.person.display_name,
            "until": formats.time_format(a.ends_at.astimezone(tz), "H:i"),
            "off_call": a.off_call_at is not None and a.off_call_at <= now,
        }
        for a in access.on_now(viewer, found, at=now)
    ]
    return render(request, "shifts/now.html", {"committee": found, "rows": rows})


@staff_view
@require_GET
def load(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    try:
        monday = _monday(request, timeutil.committee_tz(found))
    except BadWeek:
        return _bad_week(request)
    limits = rules.limits_for(found.id)
    rows = access.load(viewer, found, monday)
    for row in rows:
        row["over"] = float(row["hours"]) > limits.max_hours_per_week  # type: ignore[arg-type]
    context = {"committee": found, "monday": monday, "rows": rows, "limits": limits}
    return render(request, "shifts/load.html", context)


@staff_view
@require_GET
def handover(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, ShiftCan.MANAGE)
    try:
        monday = _monday(request, timeutil.committee_tz(found))
    except BadWeek:
        return _bad_week(request)
    languages = dict(settings.LANGUAGES)
    language = request.GET.get("lang", request.LANGUAGE_CODE)
    if language not in languages:
        language = settings.LANGUAGE_CODE
    text = handover_text(found, access.week_slots(viewer, found, monday), monday, language)
    if request.GET.get("format") == "text":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    context = {
        "committee": found,
        "monday": monday,
        "text": text,
        "language": language,
        "languages": languages,
    }
    return render(request, "shifts/handover.html", context)


# --- My shifts and my calendar link -----------------------------------------------------------


@staff_view
@require_GET
def mine(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    now = timezone.now()
    shifts = []
    for item in access.my_assignments(viewer, since=now):
        tz = timeutil.committee_tz(item.committee)
        shifts.append(
            {
                "item": item,
                "role": ShiftRole(item.role).label,
                "when": rules.describe(item.starts_at, item.ends_at, tz),
                "now": item.starts_at <= now < item.ends_at,
                "off_call": item.off_call_at is not None,
            }
        )
    context = {
        "shifts": shifts,
        "has_calendar": viewer.person is not None and access.has_calendar(viewer.person),
    }
    return render(request, "shifts/mine.html", context)


@staff_view
@require_POST
def calendar_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    if viewer.person is None:
        raise NotFound
    token = actions.create_calendar_feed(actor=viewer.person, person=viewer.person)
    link = request.build_absolute_uri(reverse("shifts:calendar_feed", args=[token]))
    return render(request, "shifts/calendar_created.html", {"link": link})


@staff_view
@require_POST
def calendar_revoke(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    if viewer.person is None:
        raise NotFound
    actions.revoke_calendar_feed(actor=viewer.person, person=viewer.person)
    messages.success(request, _("Your calendar link no longer works."))
    return redirect("shifts:mine")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret link itself: no session, the token is the key."""
    try:
        person = access.calendar_person(token)
    except NotFound:
        return HttpResponse(
            _("This calendar link does not work: it was revoked, or it never existed."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    now = timezone.now()
    items: list[Assignment] = list(
        Assignment.objects.filter(
            person=person, cancelled_at__isnull=True, ends_at__gt=now - timedelta(days=30)
        )
        .select_related("committee", "zone")
        .order_by("starts_at")
    )
    body = calendar(items, language=actions.language_of(person), now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="shifts.ics"'
    return response
