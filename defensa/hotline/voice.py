"""The phone menu (Twilio Voice): what a caller hears and where each key takes them.

A call goes: language menu → main menu in that language → 1 the dispatcher on shift (then
the backup dispatchers, then a voicemail), 2 a voicemail for the documentation team, 3 the
verified alerts for a ZIP code, 4 where to get legal help.

Nothing about the caller is kept but what they choose to say in a recording: their number is
never read. The state of the menu (the language, which attempt) travels in the query string
of the URLs we give Twilio, which Twilio signs with the rest of the request, so it is checked
like everything else and needs no session. Every sentence is translated whole; a committee's
recordings in any language come first, and text-to-speech speaks only Spanish and English.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from twilio.twiml.voice_response import VoiceResponse

from defensa.core import geo
from defensa.hotline import actions, fetching, routing
from defensa.hotline.actions import Incoming
from defensa.hotline.models import Channel, LegalHelp, Prompt, Report
from defensa.messaging import twilio
from defensa.messaging.inbound import MediaRef
from defensa.network.access import contact_methods_for_delivery
from defensa.network.models import Committee
from defensa.shifts.access import on_call_now
from defensa.shifts.models import ShiftRole

logger = logging.getLogger(__name__)

# Text-to-speech: the Twilio locale and voice for each language it can speak.
TTS = {"es": ("es-MX", "Polly.Mia"), "en": ("en-US", "Polly.Joanna")}
FALLBACK = "es"
# The keys Spanish and English have when no recording claims them.
DEFAULT_DIGITS = {"es": 1, "en": 2}
MENU_SECONDS = 6
ZIP_SECONDS = 8
SILENCE_SECONDS = 10  # people pause while they remember; do not cut them off early
MAX_DIALED = 10  # Twilio rings at most ten numbers at once
MAX_ALERTS = 5
MAX_SPOKEN = 1500
# Twilio's WAV is 8 kHz 16-bit mono (16 kB a second): ten minutes stay under the size media
# cleaning takes for a recording, so a longer setting could only lose the message.
MAX_VOICEMAIL_SECONDS = 600

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
DIGITS = re.compile(r"^[0-9*#]{0,12}$")
CALL_STATUSES = frozenset(
    {"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"}
)
DIAL_STATUSES = frozenset({"completed", "answered", "busy", "no-answer", "failed", "canceled"})
RECORDING_STATUSES = frozenset({"in-progress", "completed", "absent", "failed"})
# Who is rung after whom, named in the dial-status URL.
STAGES = {"dispatcher": ShiftRole.DISPATCHER, "backup": ShiftRole.BACKUP_DISPATCHER}
RECORDING_CHANNELS = frozenset({Channel.PHONE, Channel.VOICEMAIL})

FOR_LANGUAGE = {
    "es": _("For Spanish, press %(digit)s."),
    "en": _("For English, press %(digit)s."),
}
MENU = (
    _("To talk with a dispatcher now, press 1."),
    _("To leave a message about something that already happened, press 2."),
    _("To hear the verified alerts for a ZIP code, press 3."),
    _("To hear where to get legal help, press 4."),
)
NOT_AN_OPTION = _("That option is not valid.")
NO_CHOICE = _("We did not receive a choice. Please call again. Goodbye.")
NOT_READY = _("This hotline is not ready to take calls yet. Please try again later.")
CONNECTING = _("Please wait while we connect you with a dispatcher.")
TRYING_BACKUP = _("We are trying another person. Please stay on the line.")
NOBODY_ANSWERED = _(
    "Nobody could answer right now. Please leave a message and our team will listen to it soon."
)
VOICEMAIL = (
    _("After the tone, tell us what happened, where and when. Do not say your name."),
    _("When you finish, press the pound key or hang up."),
)
THANKS = _("Thank you. We received your message. Goodbye.")
SCREEN = _("A call to the defense hotline. Language: %(language)s. Press 1 to take it.")
NOTHING_RECORDED = _("We did not hear a message. Goodbye.")
ENTER_ZIP = _("Enter the five digits of the ZIP code.")
NOT_A_ZIP = _("We do not recognize that ZIP code.")
NO_ALERTS = _("There are no verified alerts for this ZIP code now.")
ALERTS_UNAVAILABLE = _("We cannot read the alerts right now. Please try again later.")
OFFER_CALLS = _(
    "To get a phone call each time trained volunteers verify an alert for this ZIP code, press 1."
)
CALLING_BACK = _(
    "Thank you. We will call this phone back in a moment to confirm. When we call, press 1."
)
NUMBER_HIDDEN = _(
    "We cannot see the number you are calling from, so we cannot call you. You can text "
    "ALERTA and your ZIP code to this number instead."
)
NOT_SUBSCRIBED = _(
    "We could not sign up this phone. You can text ALERTA and your ZIP code to this number instead."
)
LEGAL = (
    _(
        "You have the right to remain silent. You do not have to answer questions about "
        "where you were born or how you came to this country."
    ),
    _(
        "Do not open the door to immigration agents unless they show a warrant signed by a "
        "judge. Do not sign anything you do not understand."
    ),
    _(
        "If you or someone you know was detained, ask for a lawyer. Our dispatchers and your "
        "local committee can help you find one."
    ),
    _(
        "The National Immigration Legal Services Directory lists nonprofit organizations "
        "that give free or low-cost legal help."
    ),
)


class BadRequest(Exception):
    """A parameter is not what Twilio sends: answered with 400, and nothing is written."""


@dataclass(frozen=True)
class Call:
    """One request of a call, checked. `number` is the hotline number the caller reached."""

    sid: str
    number: str
    committee: Committee | None
    language: str


def read_language(value: str) -> str:
    known = {code for code, _name in settings.DEFENSA_SPOKEN_LANGUAGES if code != "other"}
    return value if value in known else FALLBACK


def read_call(post: Mapping[str, str], query: Mapping[str, str], *, number: str) -> Call:
    """The call a webhook is about. `number` is the hotline number: Twilio's `To`, except in
    the recording callback, which has none and gets it from our own (signed) query string."""
    sid = post.get("CallSid", "")
    if not twilio.valid_sid(sid, "CA"):
        raise BadRequest
    # Signed with our token, so from our account; a sub-account's files are not ours to take.
    if post.get("AccountSid", "") != settings.DEFENSA_TWILIO_ACCOUNT_SID:
        raise BadRequest
    if not E164.match(number):
        raise BadRequest
    try:
        committee, _routed_by = routing.route(number=number)
    except LookupError:
        committee = None  # an installation with no committee yet
    return Call(
        sid=sid, number=number, committee=committee, language=read_language(query.get("lang", ""))
    )


def read_digits(post: Mapping[str, str]) -> str:
    """What the caller pressed ('' for nothing)."""
    digits = post.get("Digits", "")
    if not DIGITS.match(digits):
        raise BadRequest
    return digits


def read_zip(value: str) -> str:
    """A ZIP code our own Gather put in its action's query: five digits, or refused."""
    if not re.fullmatch(r"[0-9]{5}", value):
        raise BadRequest
    return value


def read_sid(value: str, prefix: str) -> str:
    if not twilio.valid_sid(value, prefix):
        raise BadRequest
    return value


def read_choice(value: str, allowed: Iterable[str]) -> str:
    if value not in allowed:
        raise BadRequest
    return value


# --- Speaking ---------------------------------------------------------------------------------


def _url(name: str, **query: str) -> str:
    url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + reverse(f"voice:{name}")
    return f"{url}?{urlencode(query)}" if query else url


def prompt_url(prompt: Prompt) -> str:
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + reverse("voice:prompt", args=[prompt.code])


def _voice(language: str) -> str:
    """The language text-to-speech speaks for a caller (Spanish when it cannot speak theirs)."""
    return language if language in TTS else FALLBACK


def _speakable(text: str) -> str:
    """Committee or alert text made safe to speak: no control characters, bounded length."""
    plain = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(plain.split())[:MAX_SPOKEN]


def _say_text(node: object, language: str, text: str) -> None:
    locale, voice = TTS[_voice(language)]
    node.say(_speakable(text), language=locale, voice=voice)  # type: ignore[attr-defined]


def _say(node: object, language: str, message: Promise, **params: object) -> None:
    with translation.override(_voice(language)):
        text = str(message) % params if params else str(message)
    _say_text(node, language, text)


def _prompt(committee: Committee | None, key: str, language: str) -> Prompt | None:
    """The committee's recording for this place in the menu: in the caller's language, or
    in Spanish when text-to-speech cannot speak theirs either."""
    if committee is None:
        return None
    languages = [language] if language in TTS else [language, FALLBACK]
    found = {
        p.language: p
        for p in Prompt.objects.filter(committee=committee, key=key, language__in=languages).only(
            "code", "language"
        )
    }
    return next((found[code] for code in languages if code in found), None)


def _play_or_say(node: object, call: Call, key: str, lines: Sequence[Promise]) -> None:
    prompt = _prompt(call.committee, key, call.language)
    if prompt is not None:
        node.play(prompt_url(prompt))  # type: ignore[attr-defined]
        return
    for line in lines:
        _say(node, call.language, line)


def _goodbye(call: Call, message: Promise) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, call.language, message)
    response.hangup()
    return response


def not_ready(call: Call) -> VoiceResponse:
    return _goodbye(call, NOT_READY)


# --- The language menu ------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageChoice:
    digit: int
    language: str
    prompt: Prompt | None  # None: offered by text-to-speech


def language_choices(committee: Committee) -> list[LanguageChoice]:
    """The committee's recorded languages on the keys they name (the recording says the key,
    so it wins), then Spanish and English on their usual keys when free, else the first free."""
    taken: dict[int, LanguageChoice] = {}
    prompts = (
        Prompt.objects.filter(committee=committee, key=Prompt.Key.LANGUAGE, digit__isnull=False)
        .only("code", "language", "digit")
        .order_by("created_at", "id")
    )
    for prompt in prompts:
        digit = prompt.digit or 0
        if 1 <= digit <= 9 and digit not in taken:
            taken[digit] = LanguageChoice(digit, prompt.language, prompt)
    recorded = {choice.language for choice in taken.values()}
    missing = [code for code in DEFAULT_DIGITS if code not in recorded]
    for code in list(missing):
        if DEFAULT_DIGITS[code] not in taken:
            taken[DEFAULT_DIGITS[code]] = LanguageChoice(DEFAULT_DIGITS[code], code, None)
            missing.remove(code)
    for code in missing:
        free = [digit for digit in range(1, 10) if digit not in taken]
        if free:
            taken[free[0]] = LanguageChoice(free[0], code, None)
    return [taken[digit] for digit in sorted(taken)]


def language_menu(call: Call, *, again: bool = False) -> VoiceResponse:
    """Asked twice; a caller who presses nothing gets the Spanish menu."""
    if call.committee is None:
        return not_ready(call)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=_url("language"), method="POST", timeout=MENU_SECONDS
    )
    for choice in language_choices(call.committee):
        if choice.prompt is not None:
            gather.play(prompt_url(choice.prompt))
        else:
            _say(gather, choice.language, FOR_LANGUAGE[choice.language], digit=choice.digit)
    if again:
        response.redirect(_url("menu", lang=FALLBACK), method="POST")
    else:
        response.redirect(_url("incoming", again="1"), method="POST")
    return response


def choose_language(call: Call, digits: str) -> VoiceResponse:
    if call.committee is None:
        return not_ready(call)
    for choice in language_choices(call.committee):
        if digits == str(choice.digit):
            return main_menu(dataclasses.replace(call, language=choice.language))
    return language_menu(call)


# --- The main menu ----------------------------------------------------------------------------


def main_menu(call: Call, *, again: bool = False, notice: Promise | None = None) -> VoiceResponse:
    """Asked twice; then the call ends (a line kept open by silence helps nobody)."""
    if call.committee is None:
        return not_ready(call)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=_url("choose", lang=call.language), method="POST", timeout=MENU_SECONDS
    )
    if notice is not None:
        _say(gather, call.language, notice)
    _play_or_say(gather, call, Prompt.Key.MENU, MENU)
    if again:
        _say(response, call.language, NO_CHOICE)
        response.hangup()
    else:
        response.redirect(_url("menu", lang=call.language, again="1"), method="POST")
    return response


def choose(call: Call, digits: str) -> VoiceResponse:
    if call.committee is None:
        return not_ready(call)
    if digits == "1":
        receive_call(call=call)
        return _ring(call, "dispatcher") or _ring(call, "backup") or voicemail(call, nobody=True)
    if digits == "2":
        return voicemail(call, channel=Channel.VOICEMAIL)
    if digits == "3":
        return ask_zip(call)
    if digits == "4":
        return legal_help(call)
    return main_menu(call, notice=NOT_AN_OPTION)


# --- 1: the dispatcher on shift ---------------------------------------------------------------


def phones_on_call(committee: Committee, role: str, *, hotline: str) -> list[str]:
    """The phones of the people on call now for `role`, at most ten. Read at the moment of
    ringing, put only in the answer to Twilio, never stored or logged."""
    assignments = (
        on_call_now(committee, role).select_related("person__home_committee").order_by("starts_at")
    )
    phones: list[str] = []
    for assignment in assignments:
        contacts = contact_methods_for_delivery(assignment.person)
        phone = next((c.get("value", "") for c in contacts if c.get("kind") == "phone"), "")
        # The hotline's own number would ring the caller back into the menu.
        if phone and phone != hotline and phone not in phones:
            phones.append(phone)
    return phones[:MAX_DIALED]


def _ring(call: Call, stage: str) -> VoiceResponse | None:
    """Ring everyone on call for the stage at once (the first to answer takes the call);
    None when nobody is. The caller id is the hotline number, so a volunteer's phone never
    keeps the caller's number."""
    assert call.committee is not None
    phones = phones_on_call(call.committee, STAGES[stage], hotline=call.number)
    if not phones:
        return None
    response = VoiceResponse()
    _say(response, call.language, CONNECTING if stage == "dispatcher" else TRYING_BACKUP)
    dial = response.dial(
        timeout=settings.DEFENSA_HOTLINE_RING_SECONDS,
        caller_id=call.number,
        action=_url("dialed", lang=call.language, stage=stage),
        method="POST",
    )
    for phone in phones:
        # Screened: the volunteer presses 1 to take the call, so a carrier's voicemail that
        # answers first does not swallow it (their leg hangs up and the others keep ringing).
        dial.number(phone, url=_url("screen", lang=call.language), method="POST")
    return response


def screen(call: Call) -> VoiceResponse:
    """What the volunteer hears when they pick up, before the caller is connected."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        timeout=MENU_SECONDS,
        action=_url("screened", lang=call.language),
        method="POST",
    )
    spoken = dict(settings.DEFENSA_SPOKEN_LANGUAGES).get(call.language, call.language)
    # Said in both languages: we do not know which one the volunteer set up.
    for language in ("es", "en"):
        with translation.override(language):
            _say_text(gather, language, str(SCREEN) % {"language": str(spoken)})
    response.hangup()
    return response


def screened(digits: str) -> VoiceResponse:
    """1 connects the caller (an empty answer bridges the call); anything else ends this leg."""
    response = VoiceResponse()
    if digits != "1":
        response.hangup()
    return response


def dialed(call: Call, *, status: str, call_status: str, stage: str) -> VoiceResponse:
    """After a ring: done if someone answered; else the backups, then a voicemail."""
    if status in ("completed", "answered") or call_status == "completed":
        response = VoiceResponse()
        response.hangup()
        return response
    if call.committee is None:
        return not_ready(call)
    if stage == "dispatcher" and (ringing := _ring(call, "backup")) is not None:
        return ringing
    return voicemail(call, nobody=True)


# --- 2: a voicemail ---------------------------------------------------------------------------


def voicemail(call: Call, *, channel: str = Channel.PHONE, nobody: bool = False) -> VoiceResponse:
    """Record a message. A call that asked for a dispatcher keeps its report (channel phone);
    option 2 makes a voicemail report, once the recording exists."""
    response = VoiceResponse()
    if nobody:
        _say(response, call.language, NOBODY_ANSWERED)
    _play_or_say(response, call, Prompt.Key.VOICEMAIL, VOICEMAIL)
    response.record(
        max_length=min(settings.DEFENSA_VOICEMAIL_SECONDS, MAX_VOICEMAIL_SECONDS),
        timeout=SILENCE_SECONDS,
        play_beep=True,
        finish_on_key="#",
        action=_url("recorded", lang=call.language),
        method="POST",
        recording_status_callback=_url(
            "recording", lang=call.language, channel=channel, to=call.number
        ),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    # Reached only when nothing was recorded.
    _say(response, call.language, NOTHING_RECORDED)
    response.hangup()
    return response


def recorded(call: Call) -> VoiceResponse:
    return _goodbye(call, THANKS)


def recording_ready(call: Call, *, recording_sid: str, status: str, channel: str) -> VoiceResponse:
    """Twilio holds a finished recording: queue it to be fetched, cleaned, sealed and deleted
    there. Only here, not after <Record>: the file may not exist yet when that is called, and
    a fetch that finds nothing gives up for good."""
    if status == "completed":
        receive_recording(call=call, recording_sid=recording_sid, channel=channel)
    return VoiceResponse()


# --- 3: verified alerts for a ZIP code --------------------------------------------------------


def ask_zip(call: Call, *, again: bool = False, notice: Promise | None = None) -> VoiceResponse:
    """A caller who enters nothing goes back to the menu."""
    response = VoiceResponse()
    query = {"lang": call.language, **({"again": "1"} if again else {})}
    gather = response.gather(
        num_digits=5, action=_url("zip", **query), method="POST", timeout=ZIP_SECONDS
    )
    if notice is not None:
        _say(gather, call.language, notice)
    _say(gather, call.language, ENTER_ZIP)
    response.redirect(_url("menu", lang=call.language), method="POST")
    return response


def verified_alerts(zip_code: str, language: str) -> list[str] | None:
    """What the alerts source says for a ZIP code; None when it failed (the caller is told)."""
    try:
        source = import_string(settings.DEFENSA_VERIFIED_ALERTS_FOR_ZIP)
        return [str(text) for text in source(zip_code, language)][:MAX_ALERTS]
    except Exception as exc:  # a broken source must not drop the call
        logger.warning("verified alerts source failed: %s", type(exc).__name__)
        return None


def zip_entered(call: Call, digits: str, *, again: bool) -> VoiceResponse:
    """Read the verified alerts for a ZIP code; a code we do not know is asked once more."""
    if geo.zip_code(digits) is None:
        if not again:
            return ask_zip(call, again=True, notice=NOT_A_ZIP)
        response = VoiceResponse()
        _say(response, call.language, NOT_A_ZIP)
        response.redirect(_url("menu", lang=call.language), method="POST")
        return response
    response = VoiceResponse()
    texts = verified_alerts(digits, call.language)
    if texts is None:
        _say(response, call.language, ALERTS_UNAVAILABLE)
    elif not texts:
        _say(response, call.language, NO_ALERTS)
    else:
        with translation.override(_voice(call.language)):
            intro = ngettext(
                "There is %(count)d verified alert for ZIP code %(zip_code)s.",
                "There are %(count)d verified alerts for ZIP code %(zip_code)s.",
                len(texts),
            ) % {"count": len(texts), "zip_code": " ".join(digits)}  # read digit by digit
        _say_text(response, call.language, intro)
        for text in texts:
            _say_text(response, call.language, text)
    if settings.DEFENSA_VOICE_SUBSCRIBE:
        offer = response.gather(
            num_digits=1,
            action=_url("subscribe", lang=call.language, zip=digits),
            method="POST",
            timeout=ZIP_SECONDS,
        )
        _say(offer, call.language, OFFER_CALLS)
    response.redirect(_url("menu", lang=call.language), method="POST")
    return response


def subscribe_entered(call: Call, digits: str, *, caller: str, zip_code: str) -> VoiceResponse:
    """1 after the alerts of a ZIP code: calls for that ZIP code's new alerts, to the number
    calling (which is called back to confirm, as for a number typed on the web)."""
    response = VoiceResponse()
    if digits == "1" and geo.zip_code(zip_code) is not None and settings.DEFENSA_VOICE_SUBSCRIBE:
        try:
            subscribe = import_string(settings.DEFENSA_VOICE_SUBSCRIBE)
            outcome = str(
                subscribe(
                    number=caller, zip_code=zip_code, language=call.language, hotline=call.number
                )
            )
        except Exception as exc:  # a failure must not drop the call
            logger.warning("voice subscription failed: %s", type(exc).__name__)
            outcome = "refused"
        message = {"calling": CALLING_BACK, "hidden": NUMBER_HIDDEN}.get(outcome, NOT_SUBSCRIBED)
        _say(response, call.language, message)
    response.redirect(_url("menu", lang=call.language), method="POST")
    return response


# --- 4: legal help ----------------------------------------------------------------------------


def _legal_text(committee: Committee | None, language: str) -> str:
    if committee is None:
        return ""
    languages = [language] if language in TTS else [language, FALLBACK]
    found = dict(
        LegalHelp.objects.filter(committee=committee, language__in=languages).values_list(
            "language", "text"
        )
    )
    return next((found[code] for code in languages if code in found), "")


def legal_help(call: Call) -> VoiceResponse:
    """The committee's recording, else its text, else general advice; then the menu again."""
    response = VoiceResponse()
    prompt = _prompt(call.committee, Prompt.Key.LEGAL, call.language)
    if prompt is not None:
        response.play(prompt_url(prompt))
    elif text := _legal_text(call.committee, call.language):
        _say_text(response, call.language, text)
    else:
        for line in LEGAL:
            _say(response, call.language, line)
    response.redirect(_url("menu", lang=call.language), method="POST")
    return response


# --- Menu recordings, served to Twilio --------------------------------------------------------


def public_prompt(code: uuid.UUID) -> Prompt:
    """A menu recording by its code. Not secret (Twilio fetches it without credentials),
    but looked up only by its random code."""
    found = Prompt.objects.filter(code=code).only("audio", "content_type").first()
    if found is None:
        raise Http404
    return found


def served_type(prompt: Prompt) -> str:
    # Uploads are re-encoded to audio; anything else is never served as what it claims.
    return (
        prompt.content_type
        if prompt.content_type.startswith("audio/")
        else "application/octet-stream"
    )


# --- Writes -----------------------------------------------------------------------------------


@transaction.atomic
def receive_call(*, call: Call) -> Report:
    """A caller asked for a dispatcher: the call is in the dispatchers' inbox before anyone's
    phone rings (a repeated request finds the same report)."""
    return actions.receive_report(
        Incoming(
            channel=Channel.PHONE, language=call.language, external_id=call.sid, number=call.number
        )
    )


@transaction.atomic
def receive_recording(*, call: Call, recording_sid: str, channel: str) -> Report:
    """A finished recording joins its call's report (or makes the voicemail report), and is
    queued in the same transaction. The path is built from the checked RecordingSid under our
    own account: the URL Twilio sends is never fetched."""
    if not twilio.valid_sid(recording_sid, "RE") or channel not in RECORDING_CHANNELS:
        raise BadRequest
    report = actions.receive_report(
        Incoming(channel=channel, language=call.language, external_id=call.sid, number=call.number)
    )
    locator = f"{twilio.account_path()}Recordings/{recording_sid}.wav"
    fetching.queue(report=report, refs=[MediaRef("twilio", locator, recording_sid, "audio/wav")])
    return report


def no_verified_alerts(zip_code: str, language: str) -> list[str]:
    """Until an alerts source is plugged in (DEFENSA_VERIFIED_ALERTS_FOR_ZIP): none."""
    return []
