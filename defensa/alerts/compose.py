"""What an alert says: templates per kind, language and channel, SMS segments, previews.

Every template is one whole translated sentence (or a few) with named placeholders: what
happened, which agency, where (a ZIP code or a committee zone's name, never anything finer),
when, what to do, and the verification code and link that every message carries. The place
is never a point, an address or a cell: the cells an alert covers only decide who receives it
and what the public map draws.

SMS is counted the way carriers bill it: GSM-7 (the GSM 03.38 basic table, plus the extension
table at two septets a character) in 160 septets, or 153 a segment once it needs several; any
other character switches the whole message to UCS-2, 70 UTF-16 units or 67 a segment. Spanish
"á", "í", "ó" and "ú" are not in GSM-7 ("é", "ñ", "ü" and "¿¡" are), so the SMS text we fill
in writes them without their accent when that keeps the message in GSM-7: it halves the
number of segments. A composer who types them back in sees the counter switch to UCS-2.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from defensa.alerts.models import Alert, AlertKind, Channel
from defensa.core import geo
from defensa.incidents.models import Disposition, Incident
from defensa.network.models import AreaKind, AreaUnit, Committee, Zone

# --- Languages and channels ------------------------------------------------------------------


def languages() -> list[str]:
    """Every interface language has its templates (Spanish and English at least)."""
    return [code for code, _name in settings.LANGUAGES]


CHANNELS: tuple[str, ...] = tuple(Channel.values)

# Channels that share a template: WhatsApp and Signal read the same chat text.
HEADLINE, SMS, PUSH, CHAT, EMAIL, VOICE = "headline", "sms", "push", "chat", "email", "voice"
FAMILY: Mapping[str, str] = {
    Channel.SMS: SMS,
    Channel.PUSH: PUSH,
    Channel.WHATSAPP: CHAT,
    Channel.SIGNAL: CHAT,
    Channel.EMAIL: EMAIL,
    Channel.VOICE: VOICE,
}
# The longest text a composer may leave per channel (SMS: three segments of GSM-7).
MAX_LENGTH: Mapping[str, int] = {SMS: 459, PUSH: 240, CHAT: 1000, EMAIL: 3000, VOICE: 800}
SMS_MAX_SEGMENTS = 3

# --- Templates --------------------------------------------------------------------------------
# Placeholders: committee, activity, agency, place, time, advice, code, link (spoken_code for
# the voice text, which carries no link). A correction's templates name the alert it corrects.
# An e-mail's first line is its subject.

CORRECTION = "correction"  # the template set of a false alarm that corrects our own alert

TEMPLATES: Mapping[str, Mapping[str, str]] = {
    AlertKind.CONFIRMED: {
        HEADLINE: gettext_noop("Verified: %(activity)s by %(agency)s in %(place)s"),
        SMS: gettext_noop(
            "VERIFIED ALERT %(committee)s: %(activity)s by %(agency)s in %(place)s at "
            "%(time)s. %(advice)s Check it: %(link)s"
        ),
        PUSH: gettext_noop(
            "Verified by trained volunteers: %(activity)s by %(agency)s in %(place)s at "
            "%(time)s. %(advice)s Code %(code)s"
        ),
        CHAT: gettext_noop(
            "VERIFIED ALERT from %(committee)s: %(activity)s by %(agency)s in %(place)s at "
            "%(time)s. Trained volunteers saw it on the ground. %(advice)s Check that this "
            "alert is real: %(link)s (code %(code)s)"
        ),
        EMAIL: gettext_noop(
            "Verified alert: %(activity)s by %(agency)s in %(place)s\n\n"
            "%(committee)s verified this alert: %(activity)s by %(agency)s in %(place)s at "
            "%(time)s. Trained volunteers saw it on the ground.\n\n%(advice)s\n\nCheck that "
            "this alert is real at %(link)s (code %(code)s). Share only alerts you can check."
        ),
        VOICE: gettext_noop(
            "Verified alert from %(committee)s: %(activity)s by %(agency)s in %(place)s at "
            "%(time)s. %(advice)s The verification code is %(spoken_code)s."
        ),
    },
    AlertKind.FALSE_ALARM: {
        HEADLINE: gettext_noop("False alarm: no immigration enforcement found in %(place)s"),
        SMS: gettext_noop(
            "FALSE ALARM %(committee)s: trained volunteers checked the reports of %(activity)s "
            "in %(place)s at %(time)s and found no immigration enforcement. %(advice)s Check "
            "it: %(link)s"
        ),
        PUSH: gettext_noop(
            "False alarm: trained volunteers checked the reports of %(activity)s in %(place)s "
            "at %(time)s and found no immigration enforcement. %(advice)s Code %(code)s"
        ),
        CHAT: gettext_noop(
            "FALSE ALARM from %(committee)s: trained volunteers went to check the reports of "
            "%(activity)s in %(place)s at %(time)s and found no immigration enforcement. "
            "%(advice)s Check that this message is real: %(link)s (code %(code)s)"
        ),
        EMAIL: gettext_noop(
            "False alarm in %(place)s\n\n"
            "%(committee)s checked the reports of %(activity)s in %(place)s at %(time)s. "
            "Trained volunteers went there and found no immigration enforcement.\n\n"
            "%(advice)s\n\nCheck that this message is real at %(link)s (code %(code)s)."
        ),
        VOICE: gettext_noop(
            "False alarm, from %(committee)s: trained volunteers checked the reports of "
            "%(activity)s in %(place)s at %(time)s and found no immigration enforcement. "
            "%(advice)s The verification code is %(spoken_code)s."
        ),
    },
    CORRECTION: {
        HEADLINE: gettext_noop("Correction: the alert about %(place)s was a false alarm"),
        SMS: gettext_noop(
            "CORRECTION %(committee)s: our alert about %(activity)s in %(place)s at %(time)s "
            "was a false alarm. %(advice)s Check it: %(link)s"
        ),
        PUSH: gettext_noop(
            "Correction: our alert about %(activity)s in %(place)s at %(time)s was a false "
            "alarm. %(advice)s Code %(code)s"
        ),
        CHAT: gettext_noop(
            "CORRECTION from %(committee)s: our alert about %(activity)s in %(place)s at "
            "%(time)s was a false alarm. We are sorry for the worry. %(advice)s Check that "
            "this message is real: %(link)s (code %(code)s)"
        ),
        EMAIL: gettext_noop(
            "Correction: the alert about %(place)s was a false alarm\n\n"
            "Correction from %(committee)s: our alert about %(activity)s in %(place)s at "
            "%(time)s was a false alarm. We are sorry for the worry.\n\n%(advice)s\n\nCheck "
            "that this message is real at %(link)s (code %(code)s)."
        ),
        VOICE: gettext_noop(
            "Correction from %(committee)s: the alert about %(activity)s in %(place)s at "
            "%(time)s was a false alarm. %(advice)s The verification code is %(spoken_code)s."
        ),
    },
    AlertKind.ALL_CLEAR: {
        HEADLINE: gettext_noop("All clear in %(place)s"),
        SMS: gettext_noop(
            "ALL CLEAR %(committee)s: what was reported in %(place)s at %(time)s (%(activity)s) "
            "is over. %(advice)s Check it: %(link)s"
        ),
        PUSH: gettext_noop(
            "All clear: what was reported in %(place)s at %(time)s (%(activity)s) is over. "
            "%(advice)s Code %(code)s"
        ),
        CHAT: gettext_noop(
            "ALL CLEAR from %(committee)s: trained volunteers say that what was reported in "
            "%(place)s at %(time)s (%(activity)s) is over. %(advice)s Check that this message "
            "is real: %(link)s (code %(code)s)"
        ),
        EMAIL: gettext_noop(
            "All clear in %(place)s\n\n"
            "All clear from %(committee)s: trained volunteers say that what was reported in "
            "%(place)s at %(time)s (%(activity)s) is over.\n\n%(advice)s\n\nCheck that this "
            "message is real at %(link)s (code %(code)s)."
        ),
        VOICE: gettext_noop(
            "All clear, from %(committee)s: what was reported in %(place)s at %(time)s "
            "(%(activity)s) is over. %(advice)s The verification code is %(spoken_code)s."
        ),
    },
    AlertKind.KNOW_YOUR_RIGHTS: {
        HEADLINE: gettext_noop("Know your rights: a reminder for %(place)s"),
        SMS: gettext_noop("KNOW YOUR RIGHTS %(committee)s: %(advice)s Check it: %(link)s"),
        PUSH: gettext_noop("Know your rights: %(advice)s Code %(code)s"),
        CHAT: gettext_noop(
            "KNOW YOUR RIGHTS, a reminder from %(committee)s for %(place)s: %(advice)s Check "
            "that this message is real: %(link)s (code %(code)s)"
        ),
        EMAIL: gettext_noop(
            "Know your rights: a reminder for %(place)s\n\n"
            "A reminder from %(committee)s for %(place)s.\n\n%(advice)s\n\nCheck that this "
            "message is real at %(link)s (code %(code)s)."
        ),
        VOICE: gettext_noop(
            "A reminder from %(committee)s about your rights: %(advice)s The verification "
            "code is %(spoken_code)s."
        ),
    },
}

# What people should do, chosen by the composer; the first of each kind is the default.
ADVICE: Mapping[str, Mapping[str, str]] = {
    AlertKind.CONFIRMED: {
        "stay_away": gettext_noop("Avoid the area if you can."),
        "door": gettext_noop("Do not open the door: agents need a warrant signed by a judge."),
        "silent": gettext_noop("You have the right to remain silent."),
        "film": gettext_noop("You may film from a safe distance; do not interfere."),
    },
    AlertKind.FALSE_ALARM: {
        "share": gettext_noop("Please do not share reports nobody has checked."),
        "calm": gettext_noop("There is no need to stay home because of these reports."),
    },
    AlertKind.ALL_CLEAR: {
        "calm": gettext_noop("You can go about your day; stay alert."),
        "share": gettext_noop("Please do not share reports nobody has checked."),
    },
    AlertKind.KNOW_YOUR_RIGHTS: {
        "silent": gettext_noop("You have the right to remain silent."),
        "door": gettext_noop("Do not open the door: agents need a warrant signed by a judge."),
        "sign": gettext_noop("Do not sign anything without talking to a lawyer."),
        "plan": gettext_noop("Make a family plan and keep important numbers on paper."),
    },
}

# Inside a sentence, lower case: "a raid by ICE in ZIP code 60608".
ACTIVITY: Mapping[str, str] = {
    "arrest": gettext_noop("arrests"),
    "raid": gettext_noop("a raid"),
    "checkpoint": gettext_noop("a checkpoint"),
    "surveillance": gettext_noop("agents watching or waiting"),
    "patrol": gettext_noop("a patrol"),
    "other": gettext_noop("immigration activity"),
    "": gettext_noop("immigration activity"),
}
AGENCY: Mapping[str, str] = {
    "ice": gettext_noop("ICE"),
    "cbp": gettext_noop("Border Patrol (CBP)"),
    "police": gettext_noop("the police"),
    "sheriff": gettext_noop("the sheriff"),
    "other": gettext_noop("unidentified agents"),
    "": gettext_noop("unidentified agents"),
}

# Which alert each disposition of a verified incident may become (all clear only corrects).
KINDS_FOR: Mapping[str, tuple[str, ...]] = {
    Disposition.CONFIRMED: (AlertKind.CONFIRMED,),
    Disposition.FALSE_ALARM: (AlertKind.FALSE_ALARM,),
    Disposition.OTHER_AGENCY: (AlertKind.FALSE_ALARM,),
}

# How long each kind stays current unless the composer says otherwise.
DEFAULT_HOURS: Mapping[str, int] = {
    AlertKind.CONFIRMED: 6,
    AlertKind.FALSE_ALARM: 12,
    AlertKind.ALL_CLEAR: 6,
    AlertKind.KNOW_YOUR_RIGHTS: 7 * 24,
}
EXPIRY_HOURS = (1, 2, 4, 6, 12, 24, 48, 72, 168)
MAX_EXPIRY = timedelta(hours=max(EXPIRY_HOURS))

TIME_FORMAT = {"es": "G:i", "en": "g:i A"}
DATED_FORMAT = {"es": "j M, G:i", "en": "M j, g:i A"}

# --- Verification codes ------------------------------------------------------------------------

# No 0/O, 1/I/L or U: read aloud and typed from a phone without confusion.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalized_code(value: str) -> str:
    """What someone typed ("k7qf-3m2x", "K7QF 3M2X") as a code, or "" when it cannot be one."""
    code = "".join(c for c in str(value).upper() if c.isalnum())
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return ""
    return code


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def spoken_code(code: str) -> str:
    return ", ".join(code)


def link(code: str) -> str:
    """The short link every message carries: the public verify page of this code."""
    path = reverse("alerts_public:verify", kwargs={"code": code})
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + path


def carries_code(channel: str, text: str, code: str) -> bool:
    """Whether a (possibly edited) text still carries the alert's code."""
    if FAMILY.get(channel) == VOICE:
        return spoken_code(code) in text
    return code in text or shown_code(code) in text


# --- SMS: GSM-7 or UCS-2, and how many segments ---------------------------------------------

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each costs two septets: an escape, then the character.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7, UCS2 = "GSM-7", "UCS-2"
# What the SMS text we fill in writes instead, when that keeps it in GSM-7.
GSM_FOLD = str.maketrans(
    {
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "Á": "A",
        "Í": "I",
        "Ó": "O",
        "Ú": "U",
        "ç": "Ç",
        "\u2018": "'",  # curly quotes and dashes a phone keyboard types
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # what one segment holds in this message (160/153 or 70/67)
    left: int  # room left in the last segment
    not_gsm: tuple[str, ...] = field(default=())  # the characters that forced UCS-2


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def gsm_folded(text: str) -> str:
    """The text in GSM-7 when writing a few characters plainly gets it there; else as it was."""
    folded = text.translate(GSM_FOLD)
    return folded if is_gsm(folded) else text


def _costs(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if c in GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]  # a surrogate pair is two units


def sms_count(text: str) -> SmsCount:
    """How carriers count this text. Several segments carry a header, so each holds 153
    septets (67 UCS-2 units); an escape pair or a surrogate pair is never split between two
    segments, so a segment can end a unit short."""
    gsm = is_gsm(text)
    single, multi = (160, 153) if gsm else (70, 67)
    costs = _costs(text, gsm)
    units = sum(costs)
    not_gsm = () if gsm else tuple(dict.fromkeys(c for c in text if not is_gsm(c)))
    if units <= single:
        encoding = GSM7 if gsm else UCS2
        return SmsCount(encoding, units, 1 if units else 0, single, single - units, not_gsm)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return SmsCount(GSM7 if gsm else UCS2, units, segments, multi, multi - used, not_gsm)


# --- Places: a ZIP code, a zone, or the committee's whole area -------------------------------

ZIP_RING = 1  # a ZIP code's centre cell and its neighbours
MAX_CELLS = 5000


@dataclass(frozen=True)
class Place:
    key: str  # "zip:60608", "zone:<code>", "area"
    zone: Zone | None = None

    def label(self, committee: Committee) -> str:
        """In the active language."""
        kind, _sep, value = self.key.partition(":")
        if kind == "zip":
            return _("ZIP code %(zip_code)s") % {"zip_code": value}
        if kind == "zone" and self.zone is not None:
            return self.zone.name
        return _("the area of %(committee)s") % {"committee": committee.name}

    def spoken(self, committee: Committee) -> str:
        kind, _sep, value = self.key.partition(":")
        if kind == "zip":  # read digit by digit
            return _("ZIP code %(zip_code)s") % {"zip_code": " ".join(value)}
        return self.label(committee)


def _ring(cells: Iterable[str], k: int) -> set[str]:
    out: set[str] = set()
    for cell in cells:
        out.update(str(c) for c in h3.grid_disk(cell, k))
    return out


def _zip_cells(code: str) -> set[str]:
    found = geo.zip_code(code)
    return _ring([geo.coarse_cell(found.lat, found.lng)], ZIP_RING) if found else set()


def unit_cells(kind: str, value: str) -> set[str]:
    """The resolution-7 cells of one area unit (a ZIP code by its centre and neighbours)."""
    if kind == AreaKind.ZIP:
        return _zip_cells(value)
    if kind == AreaKind.CELL and geo.valid_area_cell(value):
        resolution = h3.get_resolution(value)
        if resolution == geo.FINEST_RESOLUTION:
            return {value}
        return {str(c) for c in h3.cell_to_children(value, geo.FINEST_RESOLUTION)}
    if kind == AreaKind.COUNTY:
        return _ring([geo.coarse_cell(z.lat, z.lng) for z in geo.zips_in_county(value)], ZIP_RING)
    return set()


def _units_cells(units: Iterable[AreaUnit]) -> list[str]:
    cells: set[str] = set()
    for unit in units:
        cells |= unit_cells(unit.kind, unit.value)
    return sorted(cells)[:MAX_CELLS]


def incident_cells(incident: Incident) -> list[str]:
    """Where an incident was, widened by one ring of neighbours (or its ZIP code's cells)."""
    seeds = set(incident.cells.values_list("cell", flat=True))
    if incident.cell:
        seeds.add(incident.cell)
    cells = _ring(seeds, 1) if seeds else set()
    if not cells and incident.zip_code:
        cells = _zip_cells(incident.zip_code)
    return sorted(cells)[:MAX_CELLS]


def places_for(committee: Committee, incident: Incident | None) -> list[Place]:
    """The places an alert may name: the incident's ZIP code and the zones it lies in, or for
    a reminder the committee's zones and its whole area. Never anything finer than a ZIP."""
    zones = list(committee.zones.order_by("name").prefetch_related("area"))
    if incident is None:
        return [*(Place(f"zone:{z.code}", z) for z in zones), Place("area")]
    found: list[Place] = []
    if incident.zip_code:
        found.append(Place(f"zip:{incident.zip_code}"))
    seeds = set(incident_cells(incident))
    for zone in zones:
        units = list(zone.area.all())
        if any(u.kind == AreaKind.ZIP and u.value == incident.zip_code for u in units) or (
            seeds & set(_units_cells(units))
        ):
            found.append(Place(f"zone:{zone.code}", zone))
    return found or [Place("area")]


def place_cells(committee: Committee, place: Place, incident: Incident | None) -> list[str]:
    """The cells an alert covers: who receives it, and what the public map draws."""
    if place.zone is not None:
        return _units_cells(place.zone.area.all())
    if incident is not None:
        return incident_cells(incident)
    return _units_cells(committee.area.all())


# --- Filling the templates --------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """Everything the templates are filled with (nothing finer than a ZIP code or zone)."""

    kind: str
    committee: Committee
    place: Place
    advice: str
    code: str
    correction: bool = False
    activity: str = ""
    agency: str = ""
    seen_at: datetime | None = None


def template_set(facts: Facts) -> Mapping[str, str]:
    if facts.kind == AlertKind.FALSE_ALARM and facts.correction:
        return TEMPLATES[CORRECTION]
    return TEMPLATES[facts.kind]


def _when(facts: Facts, language: str) -> str:
    if facts.seen_at is None:
        return ""
    local = facts.seen_at.astimezone(ZoneInfo(facts.committee.timezone))
    today = timezone.now().astimezone(local.tzinfo).date()
    formats = TIME_FORMAT if local.date() == today else DATED_FORMAT
    return date_format(local, formats.get(language, formats["es"]))


def _values(facts: Facts, language: str, family: str) -> dict[str, str]:
    advice = ADVICE[facts.kind].get(facts.advice) or next(iter(ADVICE[facts.kind].values()))
    voice = family == VOICE
    return {
        "committee": facts.committee.name,
        "activity": _(ACTIVITY.get(facts.activity, ACTIVITY[""])),
        "agency": _(AGENCY.get(facts.agency, AGENCY[""])),
        "place": (facts.place.spoken if voice else facts.place.label)(facts.committee),
        "time": _when(facts, language),
        "advice": _(advice),
        "code": shown_code(facts.code),
        "spoken_code": spoken_code(facts.code),
        "link": link(facts.code),
    }


def fill(facts: Facts) -> dict[str, dict[str, str]]:
    """{language: {channel: text}} for every language and channel."""
    texts: dict[str, dict[str, str]] = {}
    templates = template_set(facts)
    for language in languages():
        with translation.override(language):
            by_family = {
                family: _(templates[family]) % _values(facts, language, family)
                for family in (SMS, PUSH, CHAT, EMAIL, VOICE)
            }
        by_family[SMS] = gsm_folded(by_family[SMS])
        texts[language] = {channel: by_family[FAMILY[channel]] for channel in CHANNELS}
    return texts


def headlines(facts: Facts) -> dict[str, str]:
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = _(template_set(facts)[HEADLINE]) % _values(facts, language, HEADLINE)
    return out


def place_labels(facts: Facts) -> dict[str, str]:
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = facts.place.label(facts.committee)
    return out


def advice_texts(facts: Facts) -> dict[str, str]:
    """What people should do, in every language (CAP's instruction)."""
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = _values(facts, language, HEADLINE)["advice"]
    return out


def default_advice(kind: str) -> str:
    return next(iter(ADVICE[kind]))


def advice_choices(kind: str) -> list[tuple[str, str]]:
    """(key, sentence in the active language) for a form."""
    return [(key, _(text)) for key, text in ADVICE[kind].items()]


# --- Previews -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    language: str
    channel: str
    label: str
    text: str
    sms: SmsCount | None
    carries_code: bool


def previews(texts: Mapping[str, Mapping[str, str]], code: str) -> list[Preview]:
    """Each language's text for each channel, as it will read, with SMS segments counted."""
    out = []
    for language in languages():
        for channel in CHANNELS:
            text = texts.get(language, {}).get(channel, "")
            out.append(
                Preview(
                    language=language,
                    channel=channel,
                    label=str(Channel(channel).label),
                    text=text,
                    sms=sms_count(text) if channel == Channel.SMS else None,
                    carries_code=carries_code(channel, text, code),
                )
            )
    return out


def facts_of(alert: Alert, *, place: Place | None = None, advice: str | None = None) -> Facts:
    """The facts an alert's templates are filled with, from its incident and choices."""
    incident = alert.incident
    chosen = place or place_from_key(alert.committee, str(alert.choices.get("place", "area")))
    return Facts(
        kind=alert.kind,
        committee=alert.committee,
        place=chosen,
        advice=advice if advice is not None else str(alert.choices.get("advice", "")),
        code=alert.verify_code,
        correction=alert.corrects_id is not None,
        activity=incident.activity if incident else "",
        agency=incident.agency if incident else "",
        seen_at=incident.first_seen_at if incident else None,
    )


def place_from_key(committee: Committee, key: str) -> Place:
    kind, _sep, value = key.partition(":")
    if kind == "zone":
        zone = committee.zones.filter(code=value).first() if _is_uuid(value) else None
        if zone is not None:
            return Place(key, zone)
    if kind == "zip" and geo.ZIP_RE.match(value):
        return Place(key)
    return Place("area")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def describe(texts: Any) -> str:
    """A short fingerprint of texts for the audit log (the texts themselves are not logged)."""
    return hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()[:16]
