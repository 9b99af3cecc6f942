"""The public site: the start page and the report form.

The report form works without JavaScript. With it, the page adds a map pin (when map tiles
are configured) and solves the proof-of-work that is asked for only while reports flood in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from defensa.core import pow as proof
from defensa.core import ratelimit
from defensa.hotline import actions as hotline
from defensa.hotline.media import MediaRefused
from defensa.hotline.routing import NoCommittee
from defensa.public.forms import ReportForm
from defensa.public.uploads import QuotaUploadHandler, TooLarge

MAX_UPLOAD = 31 * 1024 * 1024


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html")


def _context(request: HttpRequest, form: ReportForm, **extra: Any) -> dict[str, Any]:
    difficulty = proof.current_difficulty()
    return {
        "form": form,
        "challenge": proof.issue(difficulty),
        "difficulty": difficulty,
        "tiles": settings.DEFENSA_MAP_TILE_URL,
        "attribution": settings.DEFENSA_MAP_ATTRIBUTION,
        **extra,
    }


def _render(
    request: HttpRequest, form: ReportForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    response = render(
        request, "public/report.html", _context(request, form, **extra), status=status
    )
    if settings.DEFENSA_MAP_TILE_URL:
        host = urlsplit(settings.DEFENSA_MAP_TILE_URL.replace("{s}", "a"))
        # The map's tiles are the one thing this page loads from elsewhere, and only if set.
        response._csp_update = {"img-src": [f"{host.scheme}://{host.netloc}"]}  # type: ignore[attr-defined]
    return response


@csrf_exempt  # the body is read by a size-limited handler first; CSRF is checked just after
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD:
            return _too_large(request)
        request.upload_handlers = [
            QuotaUploadHandler(MAX_UPLOAD, request),
            *request.upload_handlers,
        ]
    try:
        return _report(request)
    except TooLarge:
        return _too_large(request)


@csrf_protect
def _report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, ReportForm(initial={"t": request.GET.get("t", "")}))
    # The flood defenses come first, on the raw fields: under a flood nearly every request
    # stops here, and must cost far less than validating and storing a report.
    trusted = hotline.trusted(request.POST.get("t", ""))
    if trusted is None and (refusal := _flood_check(request)):
        return refusal
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, form, status=400)
    data = form.cleaned_data
    incoming = hotline.Incoming(
        channel="web",
        language=data["spoken"] or request.LANGUAGE_CODE,
        text=data["what"],
        place=data["where"],
        zip_code=data["zip_code"],
        point=form.point(),
        observed_at=form.observed_at(),
        callback=data["callback"],
        trusted=trusted is not None,
        agency=data["agency"],
        size=data["how_many"],
        extra={"when": data["when"]},
    )
    try:
        report = hotline.receive_report(incoming)
    except NoCommittee:
        message = _("This site is not taking reports yet. Call your local rapid response hotline.")
        return _render(request, form, status=503, problem=message)
    refused = False
    upload = request.FILES.get("attachment")
    if upload is not None:
        try:
            hotline.attach_media(
                report=report, data=upload.read(), claimed_type=upload.content_type or ""
            )
        except MediaRefused:
            refused = True  # the report itself is kept; the page says the file was not
    hotline.locate_later(report)
    # No session for anonymous reporters: what the thank-you page needs rides in the address.
    return redirect(reverse("public:report_received") + ("?file=refused" if refused else ""))


def _flood_check(request: HttpRequest) -> HttpResponse | None:
    """A clear 429 for a connection over its bucket or a submission without valid work."""
    limited = not ratelimit.bucket(
        f"report:{getattr(request, 'client_token', 'unknown')}",
        per_minute=settings.DEFENSA_REPORT_PER_MINUTE,
        burst=settings.DEFENSA_REPORT_BURST,
    )
    if limited:
        message = _(
            "Too many reports from this connection. "
            "Wait a few minutes, or call or text the hotline."
        )
        return _send_again(request, message)
    proof.count_attempt()
    needed = proof.current_difficulty()
    challenge, nonce = request.POST.get("pow_challenge", ""), request.POST.get("pow_nonce", "")
    if not proof.verify(challenge, nonce, minimum=needed):
        message = _(
            "Many reports are arriving. Press send again: "
            "your phone will take a few seconds to show it is a person."
        )
        return _send_again(request, message)
    return None


def _send_again(request: HttpRequest, message: str) -> HttpResponse:
    """A small page that keeps what the person wrote (as hidden fields) with a fresh challenge,
    to send again. Not the whole form: rendering that for every refused request of a flood
    would cost more than storing a report."""
    kept = [
        (name, value[:4000])
        for name, value in request.POST.items()
        if name in ReportForm.base_fields and name not in {"pow_challenge", "pow_nonce"}
    ]
    context = {
        "problem": message,
        "kept": kept,
        "what": request.POST.get("what", "")[:4000],
        "challenge": proof.issue(proof.current_difficulty()),
    }
    response = render(request, "public/report_again.html", context, status=429)
    # Django would log a warning per refused request: under a flood, a line per junk post.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _too_large(request: HttpRequest) -> HttpResponse:
    form = ReportForm()
    message = _("That was too much to send at once. Send the photo or video on its own, smaller.")
    return _render(request, form, status=413, problem=message)


@require_GET
def report_received(request: HttpRequest) -> HttpResponse:
    refused = request.GET.get("file") == "refused"
    return render(request, "public/report_received.html", {"file_refused": refused})
