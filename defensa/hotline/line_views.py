"""The phone line's set-up page for coordinators: numbers, the menu's recordings in any
language, what option 4 says, and trusted-reporter links. Thin views over access and line."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensa.core.errors import ActionRefused
from defensa.hotline import access, actions, line
from defensa.hotline.forms import LegalHelpForm, NumberForm, PromptForm, TrustedTokenForm
from defensa.hotline.models import Prompt
from defensa.network.access import Viewer
from defensa.network.models import Committee
from defensa.network.views import staff_view


def _page(
    request: HttpRequest, viewer: Viewer, found: Committee, *, status: int = 200, **forms: Any
) -> HttpResponse:
    spoken = dict(settings.DEFENSA_SPOKEN_LANGUAGES)
    public = settings.DEFENSA_PUBLIC_URL.rstrip("/")
    context = {
        "committee": found,
        "numbers": list(access.numbers(viewer, found)),
        "prompts": [
            {"item": p, "key": Prompt.Key(p.key).label, "language": spoken.get(p.language)}
            for p in access.prompts(viewer, found)
        ],
        "legal": [
            {"item": h, "language": spoken.get(h.language)}
            for h in access.legal_help(viewer, found)
        ],
        "tokens": list(access.trusted_tokens(viewer, found)),
        "voice_hook": public + "/hooks/twilio/voice/",
        "message_hook": public + reverse("messaging:twilio_sms"),
        "number_form": forms.get("number_form") or NumberForm(),
        "prompt_form": forms.get("prompt_form") or PromptForm(),
        "legal_form": forms.get("legal_form") or LegalHelpForm(),
        "token_form": forms.get("token_form") or TrustedTokenForm(),
        "new_link": forms.get("new_link", ""),
    }
    return render(request, "hotline/line.html", context, status=status)


def _back(found: Committee) -> HttpResponse:
    return redirect("hotline:line", found.code)


def _run(
    request: HttpRequest,
    viewer: Viewer,
    found: Committee,
    form: Any,
    name: str,
    action: Callable[[], object],
    done: str,
) -> HttpResponse:
    """Validate, run one action, and come back to the page: with the message, or with the
    form and why it was refused (nothing written)."""
    if form.is_valid():
        try:
            action()
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, done)
            return _back(found)
    return _page(request, viewer, found, status=400, **{name: form})


@staff_view
@require_GET
def line_page(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    return _page(request, viewer, found)


@staff_view
@require_POST
def add_number(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    form = NumberForm(request.POST)
    return _run(
        request,
        viewer,
        found,
        form,
        "number_form",
        lambda: line.add_number(
            actor=viewer.person, committee=found, number=form.cleaned_data["number"]
        ),
        _("Number added. Point its voice and messaging webhooks at the addresses below."),
    )


@staff_view
@require_POST
def remove_number(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    item = access.number(viewer, found, request.POST.get("number", "")[:32])
    line.remove_number(actor=viewer.person, item=item)
    messages.success(request, _("Number removed."))
    return _back(found)


@staff_view
@require_POST
def upload_prompt(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    form = PromptForm(request.POST, request.FILES)

    def upload() -> object:
        audio = form.cleaned_data["audio"]
        return line.upload_prompt(
            actor=viewer.person,
            committee=found,
            key=form.cleaned_data["key"],
            language=form.cleaned_data["language"],
            digit=form.cleaned_data["digit"],
            data=audio.read(),
            claimed_type=audio.content_type or "",
        )

    return _run(
        request, viewer, found, form, "prompt_form", upload, _("The recording is in the menu.")
    )


@staff_view
@require_POST
def remove_prompt(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, prompt: uuid.UUID
) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    line.remove_prompt(actor=viewer.person, item=access.prompt(viewer, found, prompt))
    messages.success(request, _("Recording removed."))
    return _back(found)


@staff_view
@require_GET
def prompt_audio(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, prompt: uuid.UUID
) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    item = access.prompt(viewer, found, prompt)
    response = HttpResponse(bytes(item.audio), content_type=item.content_type)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@staff_view
@require_POST
def set_legal_help(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    form = LegalHelpForm(request.POST)
    return _run(
        request,
        viewer,
        found,
        form,
        "legal_form",
        lambda: line.set_legal_help(
            actor=viewer.person,
            committee=found,
            language=form.cleaned_data["language"],
            text=form.cleaned_data["text"],
        ),
        _("Saved."),
    )


@staff_view
@require_POST
def issue_trusted(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    form = TrustedTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, viewer, found, status=400, token_form=form)
    token = actions.issue_trusted_token(
        actor=viewer.person, committee=found, label=form.cleaned_data["label"]
    )
    # Shown this once (only a hash is kept), so the page is rendered, not redirected to.
    link = settings.DEFENSA_PUBLIC_URL.rstrip("/") + reverse("public:report") + f"?t={token}"
    return _page(request, viewer, found, new_link=link)


@staff_view
@require_POST
def revoke_trusted(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, token: uuid.UUID
) -> HttpResponse:
    found = access.line_committee(viewer, committee)
    actions.revoke_trusted_token(
        actor=viewer.person, token=access.trusted_token(viewer, found, token)
    )
    messages.success(request, _("The link no longer skips the checks."))
    return _back(found)
