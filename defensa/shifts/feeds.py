"""Members' calendar feeds (iCalendar, RFC 5545): their own shifts, nobody else's names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from defensa.shifts.models import Assignment, ShiftRole


def feed_hash(token: str) -> str:
    return salted_hmac("defensa.shifts.calendar", token, algorithm="sha256").hexdigest()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return out


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(assignments: Iterable[Assignment], *, language: str, now: datetime) -> str:
    with translation.override(language):
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Defensa//Shifts//" + language.upper(),
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:"
            + _escape(_("My shifts · %(site)s") % {"site": settings.DEFENSA_SITE_NAME}),
        ]
        for item in assignments:
            summary = _("%(role)s · %(committee)s") % {
                "role": ShiftRole(item.role).label,
                "committee": item.committee.name,
            }
            location = item.zone.name if item.zone else item.committee.name
            lines += [
                "BEGIN:VEVENT",
                f"UID:{item.code}@defensa",
                f"DTSTAMP:{_stamp(now)}",
                f"DTSTART:{_stamp(item.starts_at)}",
                f"DTEND:{_stamp(item.ends_at)}",
                "SUMMARY:" + _escape(summary),
                "LOCATION:" + _escape(location),
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
