"""The public verified-alerts pages (no sign-in): the list with its map, the page that checks a
code, what the signature is, and the Atom, JSON Feed and CAP feeds. Thin: read through
`access` (signed snapshots only), draw through `alert_map` and `feeds`, answer.

HTML pages say `private`: each carries the visitor's CSRF token for the language switch.
Feeds carry no cookie and say `public`. Everything is short-lived (a minute): an alert or
its correction must show up at once.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from defensa.alerts import access, alert_map, compose, feeds, verify
from defensa.alerts.access import Published
from defensa.alerts.models import Channel
from defensa.core import signing

HTML_CACHE = "private, max-age=60"
FEED_CACHE = "public, max-age=60"


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "") or (get_language() or "es")[:2]
    return wanted if wanted in compose.languages() else "es"


def _cached(response: HttpResponse, value: str = HTML_CACHE) -> HttpResponse:
    response["Cache-Control"] = value
    return response


def _card(item: Published, language: str, number: int) -> dict[str, object]:
    data = item.data
    correction = data["corrects"]
    return {
        "number": number,
        "anchor": f"alert-{data['verify_code']}",
        "kind": data["kind"],
        "headline": feeds.headline(item, language),
        "text": feeds.text(item, language),
        "place": data["place"].get(language, ""),
        "committee": data["committee_name"],
        "timezone": item.alert.committee.timezone,
        "approved_at": item.approved_at,
        "expires_at": item.expires_at,
        "expired": item.expires_at <= timezone.now(),
        "code": compose.shown_code(data["verify_code"]),
        "verify_code": data["verify_code"],
        "corrects": compose.shown_code(correction["verify_code"]) if correction else "",
        "corrects_code": correction["verify_code"] if correction else "",
    }


def _keys() -> list[verify.Key]:
    return verify.listed_keys()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    items = access.public_alerts()
    cards = [_card(item, language, number) for number, item in enumerate(items, start=1)]
    shapes = [
        alert_map.Shape(
            number=card["number"],  # type: ignore[arg-type]
            kind=str(card["kind"]),
            title=str(card["headline"]),
            anchor=str(card["anchor"]),
            cells=item.data["cells"],
        )
        for card, item in zip(cards, items, strict=True)
    ]
    drawn = alert_map.draw(
        shapes,
        title=_("Map of current verified alerts"),
        desc=_(
            "Each numbered shape is the area of the alert with that number in the list below. "
            "Each hexagon is about 5 square kilometres."
        ),
    )
    keys = _keys()
    context = {"cards": cards, "map": drawn, "key": keys[0] if keys else None}
    return _cached(render(request, "alerts/public_list.html", context))


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """The box to type a code in (a code in the query goes to its page)."""
    typed = request.GET.get("code", "")
    code = compose.normalized_code(typed)
    if code:
        return redirect("alerts_public:verify", code=code)
    status = 404 if typed else 200
    return _cached(
        render(request, "alerts/public_verify.html", {"typed": typed[:40]}, status=status)
    )


@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    result = access.verification(code)
    if result.code != code and result.state != verify.State.UNKNOWN:
        return redirect("alerts_public:verify", code=result.code)
    language = _language(request)
    item = Published(result.alert, result.data) if result.alert and result.data else None
    context = {
        "result": result,
        "card": _card(item, language, 0) if item else None,
        "texts": _texts(result.data, language),
        "correction": result.correction,
        "correction_code": compose.shown_code(result.correction.verify_code)
        if result.correction
        else "",
        "key": signing.public_key(result.alert.key_id) if item and result.alert else None,
        "fingerprint": _fingerprint(result),
        "snapshot": result.alert.snapshot if item and result.alert else "",
        "signature": result.alert.signature if item and result.alert else "",
    }
    # An unknown or forged code is a 404, so link checkers and caches do not keep it as real.
    status = 200 if result.authentic else 404
    return _cached(render(request, "alerts/public_verify.html", context, status=status))


def _texts(data: dict[str, Any] | None, language: str) -> list[tuple[str, str]]:
    """(channel's name, text) as signed, in the reader's language."""
    if not data:
        return []
    by_language: dict[str, dict[str, str]] = data["texts"]
    texts = by_language.get(language) or next(iter(by_language.values()), {})
    return [(str(Channel(c).label), texts[c]) for c in Channel.values if c in texts]


def _fingerprint(result: verify.Verification) -> str:
    if result.alert is None or not result.authentic:
        return ""
    key = signing.public_key(result.alert.key_id)
    return verify.fingerprint(key.raw) if key else ""


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return _cached(render(request, "alerts/public_about.html", {"keys": _keys()}))


def _title() -> str:
    return _("Verified alerts")


@require_GET
def feed_atom(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    items = access.public_alerts()
    body = feeds.atom(items, language=language, title=_title(), at=timezone.now())
    return _cached(
        HttpResponse(body, content_type="application/atom+xml; charset=utf-8"), FEED_CACHE
    )


@require_GET
def feed_json(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    body = feeds.json_feed(
        access.public_alerts(),
        language=language,
        title=_title(),
        description=_(
            "Alerts verified on the ground by trained volunteers and approved by a second "
            "person. Each is signed: check it at its link."
        ),
    )
    response = JsonResponse(
        body, content_type="application/feed+json", json_dumps_params={"ensure_ascii": False}
    )
    return _cached(response, FEED_CACHE)


@require_GET
def feed_cap(request: HttpRequest) -> HttpResponse:
    body = feeds.cap_feed(access.public_alerts(), title=_title(), at=timezone.now())
    return _cached(HttpResponse(body, content_type="application/xml; charset=utf-8"), FEED_CACHE)


@require_GET
def snapshot(request: HttpRequest, code: str) -> HttpResponse:
    """The signed snapshot of an authentic code, with its signature: to check it offline."""
    result = access.verification(code)
    if not result.authentic or result.alert is None:
        return _cached(JsonResponse({"error": "not found"}, status=404), FEED_CACHE)
    body = {
        "snapshot": result.alert.snapshot,
        "signature": result.alert.signature,
        "key_id": result.alert.key_id,
        "algorithm": signing.ALGORITHM,
        "state": result.state.value,
        "signed": json.loads(result.alert.snapshot),
    }
    return _cached(JsonResponse(body, json_dumps_params={"ensure_ascii": False}), FEED_CACHE)
