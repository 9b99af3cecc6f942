"""Pieces the shift actions share: who acted, time zones, languages, messages."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from defensa.messaging import actions as messaging
from defensa.network.models import Committee, Person
from defensa.shifts import rules, timeutil
from defensa.shifts.models import (
    ShiftRole,
    Slot,
)


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


def tz_of(committee: Committee) -> ZoneInfo:
    return timeutil.committee_tz(committee)


def language_of(person: Person) -> str:
    """The first interface language the person speaks, else the site's."""
    interface = {code for code, _name in settings.LANGUAGES}
    for code in person.languages:
        if code in interface:
            return str(code)
    return str(settings.LANGUAGE_CODE)


def slot_text(slot: Slot) -> str:
    return _("%(role)s, %(shift)s") % {
        "role": ShiftRole(slot.role).label,
        "shift": rules.describe(slot.starts_at, slot.ends_at, tz_of(slot.committee)),
    }


def _tell(person: Person, purpose: str, text: object, *, replies: bool = False) -> bool:
    """Queue a message to `person` in their language; `text` is a callable rendering it."""
    with translation.override(language_of(person)):
        body = str(text() if callable(text) else text)
    return (
        messaging.queue_message(person=person, body=body, purpose=purpose, replies=replies)
        is not None
    )
