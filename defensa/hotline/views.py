"""The dispatchers' inbox and report pages (staff), and the public report form."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from defensa.core import crypto
from defensa.core.access import NotFound
from defensa.hotline import access, media_store
from defensa.hotline.models import Activity, Agency, Channel, Report
from defensa.network.access import Viewer
from defensa.network.views import staff_view

INBOX_SIZE = 50
PREVIEW = 160


def _row(viewer: Viewer, item: Report) -> dict[str, Any]:
    content = access.content(viewer, item)
    parts = content.get("parts", [])
    text = parts[0]["text"] if parts else ""
    return {
        "report": item,
        "channel": Channel(item.channel).label,
        "activity": Activity(item.activity).label if item.activity else "",
        "agency": Agency(item.agency).label if item.agency else "",
        "preview": text[:PREVIEW] + ("…" if len(text) > PREVIEW else ""),
        "place": content.get("place", ""),
        "language": dict(settings.DEFENSA_SPOKEN_LANGUAGES).get(item.language, item.language),
        "urgent": item.urgency >= 80,
        "new": (timezone.now() - item.received_at).total_seconds() < 600,
    }


def _version(reports: list[Report]) -> str:
    latest = max((r.received_at for r in reports), default=None)
    return f"{len(reports)}-{latest.timestamp() if latest else 0}"


@staff_view
@require_GET
def inbox(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee)
    reports = list(access.inbox(viewer, found)[:INBOX_SIZE])
    version = _version(reports)
    if request.GET.get("partial"):
        # The page asks every second; nothing new costs one query and no rendering.
        if request.GET.get("version") == version:
            return HttpResponse(status=204)
        template = "hotline/_inbox_rows.html"
    else:
        template = "hotline/inbox.html"
    context = {
        "committee": found,
        "rows": [_row(viewer, r) for r in reports],
        "version": version,
    }
    return render(request, template, context)


@staff_view
@require_GET
def report_detail(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, report: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee)
    item = access.report(viewer, found, report)
    content = access.content(viewer, item)
    context = {
        "committee": found,
        "row": _row(viewer, item),
        "report": item,
        "content": content,
        "callback": access.callback(viewer, item),
        "media": list(item.media.order_by("created_at")),
    }
    return render(request, "hotline/report.html", context)


@staff_view
@require_GET
def media_file(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, media: uuid.UUID
) -> HttpResponse:
    """The cleaned copy only: staff never receive the original through the site."""
    found = access.committee(viewer, committee)
    item = access.media(viewer, found, media)
    try:
        data = media_store.load(item, "clean", committee=found)
    except (crypto.KeyDestroyed, FileNotFoundError) as exc:
        raise NotFound from exc
    response = HttpResponse(data, content_type=item.content_type)
    response["Content-Disposition"] = "inline"
    # Even a cleaned file is shown as what it is, never run as a page.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
