"""Every permission-checked read of reports: the committee's dispatchers, coordinators and
documentarians, and nobody else (refusals are 404)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from django.db.models import QuerySet

from defensa.core.access import NotFound, first_or_404
from defensa.hotline.actions import callback_of, read_content
from defensa.hotline.models import (
    HotlineNumber,
    LegalHelp,
    Prompt,
    Report,
    ReportMedia,
    TrustedToken,
)
from defensa.network.access import Viewer
from defensa.network.access import committee_with_roles as _committee_with_roles
from defensa.network.models import Committee, Role


class ReportCan(StrEnum):
    READ = "read"
    MANAGE_LINE = "manage_line"


POLICY: Mapping[ReportCan, frozenset[str]] = {
    # Dispatchers take reports; the documentation team takes voicemails about past incidents.
    ReportCan.READ: frozenset({Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}),
    # The phone line's numbers, menu recordings, legal-help text and trusted-reporter links.
    ReportCan.MANAGE_LINE: frozenset({Role.COORDINATOR}),
}


def committee(viewer: Viewer, code: uuid.UUID | str) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[ReportCan.READ])


def line_committee(viewer: Viewer, code: uuid.UUID | str) -> Committee:
    return _committee_with_roles(viewer, code, POLICY[ReportCan.MANAGE_LINE])


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc


def _require(viewer: Viewer, found: Committee) -> None:
    if not viewer.roles.get(found.id, frozenset()) & POLICY[ReportCan.READ]:
        raise NotFound


def inbox(viewer: Viewer, found: Committee, *, since: datetime | None = None) -> QuerySet[Report]:
    """The committee's reports, most urgent and newest first."""
    _require(viewer, found)
    reports = Report.objects.filter(committee=found).select_related("committee")
    if since is not None:
        reports = reports.filter(received_at__gt=since)
    return reports.order_by("-urgency", "-received_at")


def report(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Report:
    _require(viewer, found)
    return first_or_404(
        Report.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )


def content(viewer: Viewer, item: Report) -> dict:
    """What the report says, unsealed for someone allowed to read it."""
    _require(viewer, item.committee)
    return read_content(item)


def callback(viewer: Viewer, item: Report) -> str:
    _require(viewer, item.committee)
    return callback_of(item)


def media(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> ReportMedia:
    _require(viewer, found)
    return first_or_404(
        ReportMedia.objects.filter(report__committee=found, code=_uuid(code)).select_related(
            "report__committee"
        )
    )


# --- The phone line (coordinators) ------------------------------------------------------------


def _require_line(viewer: Viewer, found: Committee) -> None:
    if not viewer.roles.get(found.id, frozenset()) & POLICY[ReportCan.MANAGE_LINE]:
        raise NotFound


def numbers(viewer: Viewer, found: Committee) -> QuerySet[HotlineNumber]:
    _require_line(viewer, found)
    return HotlineNumber.objects.filter(committee=found).order_by("number")


def number(viewer: Viewer, found: Committee, value: str) -> HotlineNumber:
    _require_line(viewer, found)
    return first_or_404(
        HotlineNumber.objects.filter(committee=found, number=value).select_related("committee")
    )


def prompts(viewer: Viewer, found: Committee) -> QuerySet[Prompt]:
    _require_line(viewer, found)
    return (
        Prompt.objects.filter(committee=found).defer("audio").order_by("key", "digit", "language")
    )


def prompt(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> Prompt:
    _require_line(viewer, found)
    return first_or_404(
        Prompt.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )


def legal_help(viewer: Viewer, found: Committee) -> QuerySet[LegalHelp]:
    _require_line(viewer, found)
    return LegalHelp.objects.filter(committee=found).order_by("language")


def trusted_tokens(viewer: Viewer, found: Committee) -> QuerySet[TrustedToken]:
    _require_line(viewer, found)
    return TrustedToken.objects.filter(committee=found).order_by("-created_at")


def trusted_token(viewer: Viewer, found: Committee, code: uuid.UUID | str) -> TrustedToken:
    _require_line(viewer, found)
    return first_or_404(
        TrustedToken.objects.filter(committee=found, code=_uuid(code)).select_related("committee")
    )
