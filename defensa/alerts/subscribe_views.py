"""The public pages for alerts without an account: sign up (e-mail, phone call, this browser's
push), confirm an e-mail, stop with one click, and the PWA's manifest and service worker.

Everything works without JavaScript except push, which needs a browser anyway. Sign-ups pass a
token bucket keyed by the client token (never an address); excess gets a clear 429.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defensa.alerts import subscribe_access, subscriptions
from defensa.alerts.models import Channel
from defensa.alerts.subscribe_forms import AreaForm, SubscribeForm
from defensa.core import ratelimit
from defensa.core.errors import ActionRefused
from defensa.messaging.transports.email import EmailTransport

MAX_PUSH_BODY = 8 * 1024
WORKER = Path(__file__).parent / "static" / "alerts" / "sw.js"


def _email_offered() -> bool:
    return EmailTransport.configured()


def _too_many(request: HttpRequest) -> bool:
    return not ratelimit.bucket(
        f"subscribe:{getattr(request, 'client_token', 'unknown')}",
        per_minute=settings.DEFENSA_SUBSCRIBE_PER_MINUTE,
        burst=settings.DEFENSA_SUBSCRIBE_BURST,
    )


def _too_many_text() -> str:
    return _("Too many sign-ups from this connection. Wait a few minutes and try again.")


def _page(
    request: HttpRequest, form: SubscribeForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "numbers": subscribe_access.text_numbers(),
        "push_key": subscribe_access.vapid_public_key(),
        "email_offered": _email_offered(),
        "tiles": settings.DEFENSA_MAP_TILE_URL,
        "attribution": settings.DEFENSA_MAP_ATTRIBUTION,
        **extra,
    }
    response = render(request, "alerts/subscribe.html", context, status=status)
    if settings.DEFENSA_MAP_TILE_URL:
        host = urlsplit(settings.DEFENSA_MAP_TILE_URL.replace("{s}", "a"))
        # The map's tiles are the one thing this page loads from elsewhere, and only if set.
        response._csp_update = {"img-src": [f"{host.scheme}://{host.netloc}"]}  # type: ignore[attr-defined]
    return response


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        how = Channel.EMAIL if _email_offered() else Channel.VOICE
        initial = {"language": request.LANGUAGE_CODE, "how": how}
        return _page(request, SubscribeForm(initial=initial, email_offered=_email_offered()))
    if _too_many(request):
        return _page(
            request,
            SubscribeForm(email_offered=_email_offered()),
            status=429,
            problem=_too_many_text(),
        )
    form = SubscribeForm(request.POST, email_offered=_email_offered())
    if not form.is_valid():
        return _page(request, form, status=400)
    channel = form.cleaned_data["how"]
    try:
        subscriptions.subscribe(
            channel=channel,
            address=form.address(),
            language=form.cleaned_data["language"],
            area=form.area(),
        )
    except ActionRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        return _page(request, form, status=400)
    # No session for anonymous visitors: what the next page needs rides in the address.
    return redirect(reverse("alerts_subscribe:done") + f"?how={channel}")


@require_GET
def done(request: HttpRequest) -> HttpResponse:
    how = request.GET.get("how", "")
    return render(
        request, "alerts/subscribe_done.html", {"how": how if how in Channel.values else ""}
    )


def _json_error(message: str, *, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def _json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise ValueError("not JSON")
    if len(request.body) > MAX_PUSH_BODY:
        raise ValueError("too large")
    try:
        return json.loads(request.body)
    except RecursionError as exc:  # deeply nested: not a push subscription either
        raise ValueError("nested too deeply") from exc


@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """The page's script posts the browser's PushSubscription and the chosen area (JSON, with
    the page's CSRF token in X-CSRFToken)."""
    if _too_many(request):
        return _json_error(_too_many_text(), status=429)
    try:
        body = _json_body(request)
    except ValueError:
        return _json_error(_("This request could not be read."))
    if not isinstance(body, dict):
        return _json_error(_("This request could not be read."))
    fields = {
        key: str(body.get(key) or "")
        for key in ("language", "zips", "zone", "lat", "lng")
        if body.get(key) is not None
    }
    form = AreaForm(fields)
    if not form.is_valid():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        return _json_error(" ".join(messages))
    try:
        done = subscriptions.subscribe(
            channel=Channel.PUSH,
            address=body.get("subscription"),
            language=form.cleaned_data["language"],
            area=form.area(),
        )
    except ActionRefused as refused:
        return _json_error(refused.message)
    message = (
        _("Done: this browser will show verified alerts for the place you chose.")
        if done.created
        else _("Updated: this browser will show verified alerts for the place you chose.")
    )
    return JsonResponse({"ok": True, "message": message}, status=201 if done.created else 200)


# A browser's own push endpoint is the proof: only it and its push service know it. The service
# worker calls this too (when the browser drops the subscription), and it holds no CSRF token.
@csrf_exempt
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
    except ValueError:
        return _json_error(_("This request could not be read."))
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not subscriptions.push_endpoint_allowed(endpoint):
        return _json_error(_("This browser's push service is not one we can send alerts to."))
    subscriptions.stop_push(endpoint=endpoint)
    # The same answer whether or not it was subscribed.
    return JsonResponse({"ok": True, "message": _("This browser will not show alerts any more.")})


# The service worker calls this when the browser replaces its push subscription; the old
# endpoint is the proof, as for stopping (and it holds no CSRF token either).
@csrf_exempt
@require_POST
def push_renew(request: HttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
    except ValueError:
        return _json_error(_("This request could not be read."))
    if not isinstance(body, dict):
        return _json_error(_("This request could not be read."))
    try:
        renewed = subscriptions.renew_push(
            old_endpoint=body.get("old_endpoint"), subscription=body.get("subscription")
        )
    except ActionRefused as refused:
        return _json_error(refused.message)
    if renewed is None:
        return _json_error(_("This browser has no alerts to renew: sign up again."), status=404)
    return JsonResponse({"ok": True})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; only a person presses it); POST confirms."""
    if request.method != "POST":
        if subscriptions.pending_by_token(token) is None:
            return render(request, "alerts/subscribe_link.html", {"state": "invalid"}, status=404)
        return render(request, "alerts/subscribe_link.html", {"state": "confirm"})
    if subscriptions.confirm(token=token) is None:
        return render(request, "alerts/subscribe_link.html", {"state": "invalid"}, status=404)
    return render(request, "alerts/subscribe_link.html", {"state": "confirmed"})


# RFC 8058: mail providers POST "List-Unsubscribe=One-Click" to this URL with no cookie and no
# token; the link's own token is the proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        if subscriptions.live_by_unsubscribe_token(token) is None:
            return render(request, "alerts/subscribe_link.html", {"state": "gone"}, status=404)
        return render(request, "alerts/subscribe_link.html", {"state": "unsubscribe"})
    subscriptions.stop_by_token(token=token)
    # Done either way: a second press, or the provider's retry, is not an error.
    return render(request, "alerts/subscribe_link.html", {"state": "stopped"})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that it may control every page."""
    icon = json.dumps(static("alerts/icon-192.png")).encode()
    script = WORKER.read_bytes().replace(b'"__DEFENSA_ICON__"', icon, 1)
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at most daily anyway; never serve a stale one.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (installable on a phone's home screen), in the visitor's language."""
    data = {
        "name": _("%(site)s: verified alerts") % {"site": settings.DEFENSA_SITE_NAME},
        "short_name": settings.DEFENSA_SITE_NAME[:12],
        "description": _("Verified alerts about immigration enforcement near you."),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("alerts_public:index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#8b1e1e",
        "icons": [
            {"src": static("alerts/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("alerts/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("alerts/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    # Private: it is in the visitor's language, chosen by a cookie.
    response["Cache-Control"] = "private, max-age=3600"
    return response
