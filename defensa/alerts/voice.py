"""Option 3 of the phone menu: the verified alerts for a ZIP code, read aloud
(settings.DEFENSA_VERIFIED_ALERTS_FOR_ZIP points here), and calls for its new alerts
(settings.DEFENSA_VOICE_SUBSCRIBE).

A ZIP code is placed by its centre's resolution-7 cell (the table has no outlines); an
alert concerns it when that cell, or a coarser cell containing it, is one of the alert's
cells. Only current, signed alerts and recent corrections are read, from their snapshots.
"""

from __future__ import annotations

import phonenumbers

from defensa.alerts import access, subscriptions
from defensa.alerts.models import Channel
from defensa.core import geo
from defensa.core.errors import ActionRefused


def verified_alerts_for_zip(zip_code: str, language: str) -> list[str]:
    """The voice texts of the alerts concerning a ZIP code, newest first, in the caller's
    language (Spanish when the alert has none in theirs)."""
    found = geo.zip_code(zip_code)
    if found is None:
        return []
    around = set(geo.parent_cells(geo.coarse_cell(found.lat, found.lng)))
    texts = []
    for item in access.public_alerts():
        if around.isdisjoint(item.data["cells"]):
            continue
        by_language = item.data["texts"]
        chosen = by_language.get(language) or by_language.get("es") or {}
        text = chosen.get(Channel.VOICE, "")
        if text:
            texts.append(text)
    return texts


def subscribe_caller(*, number: str, zip_code: str, language: str, hotline: str) -> str:
    """Option 3's offer, accepted: calls to the number calling for the alerts of a ZIP code
    (settings.DEFENSA_VOICE_SUBSCRIBE points here). Caller id can be forged, so the number is
    called back to confirm like one typed on the web. "calling", "hidden" (no usable caller
    id: anonymous, restricted) or "refused"."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "hidden"
    if not phonenumbers.is_valid_number(parsed):
        return "hidden"
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    try:
        subscriptions.subscribe(
            channel=Channel.VOICE,
            address=e164,
            language=language,
            area=subscriptions.Area(zips=(zip_code,)),
            number=hotline,
        )
    except ActionRefused:
        return "refused"
    return "calling"
