"""Subscribing and stopping by text message (SMS, WhatsApp, Signal): "ALERTA 60623" and "BAJA".

`handle` sits in settings.DEFENSA_INBOUND_HANDLERS just before the hotline, which takes
everything else as a report. Like the hotline's keywords, these count only as the whole
message: "ALERTA 60623" subscribes (the language is the keyword's: ALERTA/ALERTAS Spanish,
ALERT/ALERTS English), while "alerta, la migra en 26th" is a report. STOP and its Spanish
words stop every live subscription of the sender; a sender with none is left to the hotline,
which answers STOP for reporters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from defensa.alerts import subscriptions
from defensa.alerts.models import Channel
from defensa.core import geo
from defensa.core.errors import ActionRefused
from defensa.hotline import inbound as hotline_inbound
from defensa.messaging.inbound import Inbound

SUBSCRIBE_WORDS = {"ALERTA": "es", "ALERTAS": "es", "ALERT": "en", "ALERTS": "en"}
STOP_WORDS = {
    **{word: "en" for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")},
    **{word: "en" for word in ("OPTOUT", "REVOKE")},
    **{word: "es" for word in ("BAJA", "PARAR", "ALTO", "CANCELAR", "DETENER")},
}
# Words people put around a ZIP code: "ALERTA CP 60623", "ALERT ZIP 60623".
FILLER = {"ZIP", "CODE", "CP", "CODIGO", "POSTAL", "EN", "IN", "PARA", "FOR", "DE", "Y", "AND"}
ZIP_PLUS_FOUR = re.compile(r"\b(\d{5})-\d{4}\b")
CHANNELS = {"sms": Channel.SMS, "whatsapp": Channel.WHATSAPP, "signal": Channel.SIGNAL}


@dataclass(frozen=True)
class Command:
    verb: str  # "subscribe" or "stop"
    language: str
    zips: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()  # numbers that are not five digits
    only_alerts: bool = False  # "BAJA ALERTAS": about alerts only


def _plain(text: str) -> list[str]:
    """Upper-case words without accents or punctuation: "¡Alertá  60623!" is ALERTA 60623."""
    text = ZIP_PLUS_FOUR.sub(r"\1", text)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", plain).upper().split()


def parse(text: str) -> Command | None:
    """The command a whole message is, or None when it says anything more."""
    words = _plain(text)
    if not words:
        return None
    first, rest = words[0], words[1:]
    if first in STOP_WORDS and all(word in SUBSCRIBE_WORDS for word in rest):
        # "STOP" alone is the hotline's keyword too; "BAJA ALERTAS" is only ours.
        return Command("stop", STOP_WORDS[first], only_alerts=bool(rest))
    if first not in SUBSCRIBE_WORDS:
        return None
    numbers = [word for word in rest if word not in FILLER]
    if not all(word.isdigit() for word in numbers):
        return None  # words after the keyword: somebody telling us something
    zips = tuple(dict.fromkeys(word for word in numbers if len(word) == 5 and word.isascii()))
    wrong = tuple(word for word in numbers if word not in zips)
    return Command("subscribe", SUBSCRIBE_WORDS[first], zips=zips, wrong=wrong)


def handle(message: Inbound) -> str | None:
    """The answer to a subscription keyword, or None for anything else."""
    channel = CHANNELS.get(message.channel)
    if channel is None or message.media:
        return None
    command = parse(message.text)
    if command is None:
        return None
    if command.verb == "stop":
        return _stop(message, channel, command)
    with translation.override(command.language):
        unknown = [code for code in command.zips if geo.zip_code(code) is None]
        if command.wrong or unknown:
            return _(
                "%(number)s is not a ZIP code. Send ALERT and your five-digit ZIP code, "
                "for example: ALERT 60623."
            ) % {"number": (command.wrong or unknown)[0][:10]}
        if not command.zips:
            return _(
                "To receive verified alerts, send ALERT and your ZIP code, for example: "
                "ALERT 60623."
            )
        try:
            done = subscriptions.subscribe(
                channel=channel,
                address=message.sender,
                language=command.language,
                area=subscriptions.Area(zips=command.zips),
                number=message.to,
            )
        except ActionRefused as refused:
            return refused.message
        places = ", ".join(command.zips)
        if done.created:
            return ngettext(
                "Done: you will receive verified alerts for ZIP code %(zip_codes)s. "
                "To stop, reply STOP.",
                "Done: you will receive verified alerts for ZIP codes %(zip_codes)s. "
                "To stop, reply STOP.",
                len(command.zips),
            ) % {"zip_codes": places}
        return ngettext(
            "Updated: you will now receive verified alerts for ZIP code %(zip_codes)s. "
            "To stop, reply STOP.",
            "Updated: you will now receive verified alerts for ZIP codes %(zip_codes)s. "
            "To stop, reply STOP.",
            len(command.zips),
        ) % {"zip_codes": places}


def _stop(message: Inbound, channel: str, command: Command) -> str | None:
    stopped = subscriptions.stop_address(channel=channel, address=message.sender)
    if command.only_alerts and not stopped:
        with translation.override(command.language):
            return _("There were no alerts to stop at this number.")
    if not stopped:
        return None  # not a subscriber: the hotline answers STOP for reporters
    if not command.only_alerts:
        # STOP means stop everything: the hotline forgets any conversation of this sender too
        # (and withdraws a call back). Our answer is the one sent.
        hotline_inbound.handle(message)
    # A subscriber's own language, even when they wrote the English STOP.
    with translation.override(stopped[0].language or command.language):
        return _(
            "Done: you will not receive alerts here any more. To subscribe again, send ALERT "
            "and your ZIP code."
        )
