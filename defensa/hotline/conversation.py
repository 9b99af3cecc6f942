"""A report by text message (SMS, WhatsApp, Signal): a few questions, in the sender's language.

The first message becomes a report at once, so nothing is lost if the sender never writes
again. Then we ask only what the words did not already say, one question at a time (what,
where, when), confirm, and offer a call back. Whatever the sender writes later is added to
the same report until the conversation expires (DEFENSA_CONVERSATION_MINUTES after it began).

A keyword counts only when it is the whole message: "ALTO" stops, "alto, la migra está
aquí" is a report. Replies are whole translated sentences, in Spanish or English (the
complete catalogs): Spanish for every other language, whose speakers the report still names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from defensa.hotline import actions, fetching, language, routing, salute
from defensa.hotline.language import words
from defensa.hotline.models import Conversation, LanguageSource, Step
from defensa.messaging.inbound import Inbound


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    CALL_ME = "call_me"
    LANGUAGE = "language"


# Whole messages (upper case, accents and punctuation removed) and the language they are in.
# Twilio answers its own standard keywords on SMS and blocks later messages after STOP;
# WhatsApp and Signal have only us.
KEYWORDS: dict[str, tuple[Keyword, str]] = {
    **{word: (Keyword.STOP, "en") for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL")},
    **{word: (Keyword.STOP, "en") for word in ("END", "QUIT", "OPTOUT", "REVOKE")},  # Twilio's
    **{word: (Keyword.STOP, "es") for word in ("BAJA", "PARAR", "ALTO", "DETENER")},
    **{word: (Keyword.START, "en") for word in ("START", "UNSTOP")},
    **{word: (Keyword.START, "es") for word in ("ALTA", "REANUDAR")},
    "HELP": (Keyword.HELP, "en"),
    "AYUDA": (Keyword.HELP, "es"),
    "INFO": (Keyword.HELP, ""),
    **{word: (Keyword.CALL_ME, "en") for word in ("CALL ME", "CALLME", "CALL ME BACK")},
    **{
        word: (Keyword.CALL_ME, "es")
        for word in ("LLAMENME", "LLAMEME", "LLAMAME", "LLAMENME POR FAVOR", "LLAMEME POR FAVOR")
    },
    **{word: (Keyword.CALL_ME, "ht") for word in ("RELE M", "RELE MWEN")},
    **{word: (Keyword.CALL_ME, "pt") for word in ("ME LIGUE", "ME LIGUEM")},
}
LANGUAGE_CHOICES: dict[str, str] = {
    "ESPANOL": "es",
    "SPANISH": "es",
    "CASTELLANO": "es",
    "ENGLISH": "en",
    "INGLES": "en",
    "KREYOL": "ht",
    "KREYOL AYISYEN": "ht",
    "CREOLE": "ht",
    "PORTUGUES": "pt",
    "PORTUGUESE": "pt",
    "KICHE": "quc",
}

# --- What we say (whole sentences; "%(language)s" is the name of a language in itself) ------

RECEIVED = _("Received.")
ASK_WHAT = _("What is happening? For example: agents, an arrest, a checkpoint.")
ASK_WHERE = _("Where is it happening? Send the street, corner or ZIP code.")
ASK_WHEN = _("When was it: now? earlier today?")
CONFIRM = _(
    "Received, thank you. Trained neighbors will check it. We never ask your name or "
    "immigration status. To get a call back, reply CALL ME."
)
CONFIRM_WITH_CALLBACK = _(
    "Received, thank you. Trained neighbors will check it and contact you. We never ask your "
    "name or immigration status."
)
ADDED = _("We added this to your report. Thank you.")
TELL_US = _("Tell us what is happening, where and when.")
NOT_TAKING_REPORTS = _(
    "This number is not taking reports yet. Call your local rapid response hotline."
)
CALLBACK_SET = _(
    "Thank you. A trained neighbor will contact you at this number. To cancel, reply STOP."
)
STOPPED = _(
    "Done: we will not write or call you. What you sent was received. "
    "To report again, just write to us."
)
STARTED = _("You can write to this number again.")
HELP = _(
    "This is the rapid response hotline. To report immigration agents, write what is "
    "happening, where and when. We never ask your name or status. To stop, reply STOP."
)
ANSWER_IN_SPANISH = _("We will answer you in Spanish.")
ANSWER_IN_ENGLISH = _("We will answer you in English.")
NOTED_LANGUAGE = _(
    "We noted your language: %(language)s. You can write in it; for now we answer in Spanish."
)
QUESTIONS: dict[str, Promise] = {Step.WHAT: ASK_WHAT, Step.WHERE: ASK_WHERE, Step.WHEN: ASK_WHEN}

# --- Reading what the words already say -------------------------------------------------------

GREETINGS = words(
    """hola buenas buenos dias tardes noches hello hi hey good morning afternoon evening
    bonjou bonswa ola oi bom dia boa tarde noite alo"""
)
# Words that name a street or a crossing. A kind of place alone ("la escuela", "the store")
# does not say where: we still ask.
PLACE_WORDS = (
    "calle", "avenida", "av", "ave", "avenue", "street", "st", "blvd", "boulevard", "road",
    "rd", "esquina", "corner", "cruce", "entre", "between", "carretera", "highway", "rua",
    "lari", "kwen", "kafou",
)  # fmt: skip
# "la 18" (18th Street, as Chicago says it), "18th", "2100 S Western".
PLACE_PATTERN = re.compile(r" la \d{1,3} | \d{1,3}(?:st|nd|rd|th) | \d{2,5} (?:n|s|e|w) ")
# A crossing as people write it, after a word that says "at": "en Cermak y Pulaski", "at 18th
# and Ashland", "nan Flatbush ak Church". Without that word, "Juan y María" would be a place,
# and "where" (the question that matters most) would not be asked.
_SIDE = r"(?:[A-ZÁÉÍÓÚÑ][\w'.-]{2,}|\d{2,3}(?:st|nd|rd|th)?)"
CROSSING = re.compile(
    rf"(?:^|\s)(?i:en|at|on|in|por|na|no|nan|sou|near)\s+(?:(?i:la|el|the)\s+)?"
    rf"({_SIDE})\s+(?i:y|and|&|e|ak)\s+({_SIDE})(?!\w)"
)
NOT_STREETS = words("ICE CBP FBI DHS HSI ERO MIGRA POLICIA POLICE SHERIFF PATRULLA BORDER")
TIME_WORDS = (
    "hoy", "today", "esta manana", "this morning", "esta tarde", "this afternoon",
    "esta noche", "tonight", "hace", "ago", "minutos", "minutes", "mins", "hora", "horas",
    "hour", "hours", "temprano", "earlier", "a las", "se fueron", "they left", "hoje",
    "jodi a", "jodia", "maten an", "aswe a",
)  # fmt: skip
# "Now" in words salute does not read (Portuguese, "still there").
MORE_NOW_WORDS = ("agora", "neste momento", "still", "todavia", "siguen", "ainda")
CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b|\b\d{1,2}:\d{2}\b", re.IGNORECASE)
# Who is there, in words salute does not count without a number ("hay agentes").
WHAT_WORDS = (
    "agente", "agentes", "agent", "agents", "ajan", "oficial", "oficiales", "officer",
    "officers", "federales", "feds", "soldados", "soldiers", "militares", "guardia nacional",
    "national guard", "agentes federales",
)  # fmt: skip
# A message with this many words says something even if no rule recognises it.
ENOUGH_WORDS = 5


@dataclass(frozen=True)
class Facts:
    what: bool
    where: bool
    when: bool
    now: bool


def _has(plain: str, phrase: str) -> bool:
    return f" {phrase} " in plain


def facts_of(text: str, *, has_media: bool) -> Facts:
    reading = salute.read(text)
    plain = salute.plain(text)
    said = [w for w in plain.split() if w.isalpha() and len(w) > 1 and w not in GREETINGS]
    what = (
        bool(reading.activity or reading.agency or reading.equipment or reading.size)
        or has_media
        or any(_has(plain, w) for w in WHAT_WORDS)
        or len(said) >= ENOUGH_WORDS
    )
    where = bool(
        reading.zip_code
        or any(_has(plain, w) for w in PLACE_WORDS)
        or PLACE_PATTERN.search(plain)
        or any(
            _bare_upper(a) not in NOT_STREETS and _bare_upper(b) not in NOT_STREETS
            for a, b in CROSSING.findall(text)
        )
    )
    now = reading.now is True or any(_has(plain, w) for w in MORE_NOW_WORDS)
    when = (
        reading.now is not None
        or now
        or any(_has(plain, w) for w in TIME_WORDS)
        or bool(CLOCK.search(text))
    )
    return Facts(what=what, where=where, when=when, now=now)


def _bare_upper(word: str) -> str:
    return salute.plain(word).strip().upper()


def _next_step(what: bool, where: bool, when: bool) -> Step:
    for step, known in ((Step.WHAT, what), (Step.WHERE, where), (Step.WHEN, when)):
        if not known:
            return step
    return Step.DONE


# --- Keywords ----------------------------------------------------------------------------------


def _whole(text: str) -> str:
    """A message as a keyword reads it: "¡Llámenme!" and "LLAMENME" are the same."""
    decomposed = unicodedata.normalize("NFKD", text.translate(language.APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("'", "")
    return " ".join(re.sub(r"[^\w\s]", " ", plain).upper().split())


def keyword_of(message: Inbound) -> tuple[Keyword, str] | None:
    """The keyword a message is, with its language; None when it is anything more (a photo
    included), so a report that starts with "alto" is a report."""
    if message.media:
        return None
    whole = _whole(message.text)
    if whole in KEYWORDS:
        return KEYWORDS[whole]
    if whole in LANGUAGE_CHOICES:
        return Keyword.LANGUAGE, LANGUAGE_CHOICES[whole]
    return None


# --- Replies -----------------------------------------------------------------------------------


def say(in_language: str, *sentences: Promise | str) -> str:
    """Whole sentences, each translated on its own, one after the other."""
    with translation.override(language.reply_language(in_language)):
        return " ".join(str(sentence) for sentence in sentences if sentence)


def _language_note(chosen: str) -> str:
    with translation.override(language.reply_language(chosen)):
        if chosen == "en":
            return str(ANSWER_IN_ENGLISH)
        if chosen == "es":
            return str(ANSWER_IN_SPANISH)
        return str(NOTED_LANGUAGE) % {"language": language.AUTONYMS.get(chosen, chosen)}


def _pending(conversation: Conversation | None) -> Promise | str:
    """What to ask next in a conversation, or nothing once it is confirmed."""
    if conversation is None or conversation.report_id is None:
        return TELL_US
    return QUESTIONS.get(conversation.step, "")


def _answer(spoken: str, step: str, *, callback: bool = False) -> str:
    if step == Step.DONE:
        return say(spoken, CONFIRM_WITH_CALLBACK if callback else CONFIRM)
    return say(spoken, RECEIVED, QUESTIONS[step])


# --- The conversation --------------------------------------------------------------------------


def _tokens(message: Inbound) -> list[str]:
    # Today's and yesterday's: a conversation that began at 23:55 goes on after midnight.
    return [message.sender_token(), message.sender_token(days_ago=1)]


def _find(message: Inbound, *, now: datetime) -> Conversation | None:
    tokens = _tokens(message)
    rows = list(
        # Only the conversation's row is locked ("of"): PostgreSQL cannot lock the empty side
        # of the outer join to a report that does not exist yet.
        Conversation.objects.select_for_update(of=("self",))
        .filter(channel=message.channel, sender_hash__in=tokens, expires_at__gt=now)
        .select_related("report__committee")
    )
    found = next((row for row in rows if row.sender_hash == tokens[0]), None)
    if found is None and rows:
        found = rows[0]
        # Carried over to today's hash, so it is found for as long as it lasts.
        Conversation.objects.filter(
            channel=message.channel, sender_hash=tokens[0], expires_at__lte=now
        ).delete()
        actions.update_conversation(conversation=found, sender_hash=tokens[0])
    return found


def _contact(message: Inbound) -> str:
    """How to reach the sender back: their number, or the Signal account of someone who
    hides their number."""
    if message.channel == "signal" and not message.sender.startswith("+"):
        return f"signal:{message.sender}"
    return message.sender


@transaction.atomic
def reply(message: Inbound) -> str | None:
    """Take a message as a report (or a keyword) and say what to answer."""
    now = timezone.now()
    conversation = _find(message, now=now)
    keyword = keyword_of(message)
    if keyword is not None:
        return _on_keyword(message, conversation, *keyword, now=now)
    if not message.text and not message.media:
        # Nothing to keep (an empty message, a sticker we cannot take).
        return say(conversation.language if conversation else language.DEFAULT, TELL_US)
    if (
        conversation is None
        or conversation.report is None
        or conversation.messages >= actions.MAX_PARTS
    ):
        try:
            conversation = _start_report(message, conversation, now=now)
        except routing.NoCommittee:
            return say(language.detect(message.text).language, NOT_TAKING_REPORTS)
        return _answer(conversation.language, conversation.step)
    return _next_message(message, conversation, now=now)


def _start_report(
    message: Inbound, conversation: Conversation | None, *, now: datetime, hint: str = ""
) -> Conversation:
    """The report, stored at once, and the conversation that will add to it."""
    facts = facts_of(message.text, has_media=bool(message.media))
    if conversation is not None and conversation.language_source == LanguageSource.CHOSEN:
        spoken, source = conversation.language, LanguageSource.CHOSEN
    else:
        detected = language.detect(message.text)
        spoken = detected.language if detected.found else (hint or detected.language)
        found = detected.found or bool(hint)
        source = LanguageSource.DETECTED if found else LanguageSource.DEFAULT
    report = actions.receive_report(
        actions.Incoming(
            channel=message.channel,
            language=spoken,
            text=message.text,
            external_id=message.message_id,
            number=message.to,
            observed_at=now if facts.now else None,
        )
    )
    fetching.queue(report=report, refs=message.media)
    actions.locate_later(report)
    step = _next_step(facts.what, facts.where, facts.when)
    if conversation is None:
        return actions.start_conversation(
            channel=message.channel,
            sender_hash=message.sender_token(),
            report=report,
            language=spoken,
            language_source=source,
            step=step,
            knows=(facts.what, facts.where, facts.when),
            now=now,
        )
    return actions.update_conversation(
        conversation=conversation,
        report=report,
        language=spoken,
        language_source=source,
        step=step,
        knows_what=facts.what,
        knows_where=facts.where,
        knows_when=facts.when,
        messages=1,
    )


def _next_message(message: Inbound, conversation: Conversation, *, now: datetime) -> str | None:
    assert conversation.report is not None
    asked = conversation.step
    facts = facts_of(message.text, has_media=bool(message.media))
    changes: dict[str, object] = {"messages": conversation.messages + 1}
    spoken = conversation.language
    if conversation.language_source == LanguageSource.DEFAULT:
        # The first words told us nothing (a photo, a ZIP code); these may.
        detected = language.detect(message.text)
        if detected.found:
            spoken = detected.language
            changes |= {"language": spoken, "language_source": LanguageSource.DETECTED}
    answered = bool(message.text)
    report = actions.add_to_report(
        report=conversation.report,
        text=message.text,
        # Whatever answers "where?" is the place, in the sender's words.
        place=message.text if asked == Step.WHERE else "",
        observed_at=now if facts.now else None,
        language=spoken if "language" in changes else "",
    )
    fetching.queue(report=report, refs=message.media)
    if asked == Step.WHERE and answered:
        actions.locate_later(report)
    what = conversation.knows_what or facts.what or (asked == Step.WHAT and answered)
    where = conversation.knows_where or facts.where or (asked == Step.WHERE and answered)
    when = conversation.knows_when or facts.when or (asked == Step.WHEN and answered)
    step = Step.DONE if asked == Step.DONE else _next_step(what, where, when)
    changes |= {"knows_what": what, "knows_where": where, "knows_when": when, "step": step}
    actions.update_conversation(conversation=conversation, **changes)
    if asked != Step.DONE:
        return _answer(spoken, step, callback=bool(report.callback_sealed))
    if _is_thanks(message.text) and not message.media:
        return None  # "gracias" needs no answer (and an answer would invite another)
    return say(spoken, ADDED)


THANKS = words(
    "gracias muchas thanks thank you ok okay oki mesi anpil obrigado obrigada vale listo"
)


def _is_thanks(text: str) -> bool:
    words = salute.plain(text).split()
    return bool(words) and all(word in THANKS for word in words)


def _on_keyword(
    message: Inbound,
    conversation: Conversation | None,
    keyword: Keyword,
    said_in: str,
    *,
    now: datetime,
) -> str:
    # The conversation's language, unless we never learned it: then the keyword's.
    if conversation is not None and conversation.language_source != LanguageSource.DEFAULT:
        spoken = conversation.language
    else:
        spoken = said_in or (conversation.language if conversation else language.DEFAULT)
    if keyword == Keyword.STOP:
        if conversation is not None and conversation.report is not None:
            actions.withdraw_callback(report=conversation.report)
        actions.end_conversation(channel=message.channel, sender_hashes=_tokens(message))
        return say(spoken, STOPPED)
    if keyword == Keyword.START:
        return say(spoken, STARTED, _pending(conversation))
    if keyword == Keyword.HELP:
        return say(spoken, HELP)
    if keyword == Keyword.LANGUAGE:
        return _choose_language(message, conversation, said_in, now=now)
    return _call_me(message, conversation, said_in, now=now)


def _choose_language(
    message: Inbound, conversation: Conversation | None, chosen: str, *, now: datetime
) -> str:
    if conversation is None:
        conversation = actions.start_conversation(
            channel=message.channel,
            sender_hash=message.sender_token(),
            report=None,
            language=chosen,
            language_source=LanguageSource.CHOSEN,
            step=Step.WHAT,
            now=now,
        )
    else:
        actions.update_conversation(
            conversation=conversation, language=chosen, language_source=LanguageSource.CHOSEN
        )
        if conversation.report is not None:
            actions.add_to_report(report=conversation.report, language=chosen)
    return say(chosen, _language_note(chosen), _pending(conversation))


def _call_me(
    message: Inbound, conversation: Conversation | None, said_in: str, *, now: datetime
) -> str:
    if conversation is None or conversation.report is None:
        # Asking for a call is a report too: someone wants to talk to the hotline.
        conversation = _start_report(message, conversation, now=now, hint=said_in)
    assert conversation.report is not None
    actions.set_callback(report=conversation.report, contact=_contact(message))
    return say(conversation.language, CALLBACK_SET, _pending(conversation))
