"""Voice calls through Twilio's Calls API: the alert read aloud in the subscriber's language
(TwiML `<Say>`), or a recording the committee uploaded for languages text-to-speech does not
speak (K'iche', Mam, Mixteco...). The TwiML travels with the call request, so Twilio does not
need to call us back for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import VoiceResponse

from defensa.messaging.transports.base import Outgoing, Result, Transport
from defensa.messaging.transports.sms import (
    in_flight,
    status_callback_url,
    twilio_configured,
    twilio_post,
)

# Languages Twilio's text-to-speech reads, as the voice it uses for them.
SPOKEN = {"es": "es-MX", "en": "en-US"}
FALLBACK = "es"


def twiml(*, body: str, language: str, recording: str = "") -> str:
    """What the call says: an introduction, the alert, and the alert once more."""
    response = VoiceResponse()
    if recording:
        response.play(recording)
        response.pause(length=1)
        response.play(recording)
        return str(response)
    spoken = language if language in SPOKEN else FALLBACK
    with translation.override(spoken):
        intro = _("This is a verified alert from your rapid response network.")
        again = _("Once more:")
    voice = SPOKEN[spoken]
    response.say(intro, language=voice)
    response.pause(length=1)
    response.say(body, language=voice)
    response.pause(length=1)
    response.say(again, language=voice)
    response.say(body, language=voice)
    return str(response)


class TwilioVoice(Transport):
    @classmethod
    def configured(cls) -> bool:
        return twilio_configured() and bool(
            settings.DEFENSA_TWILIO_VOICE_FROM or settings.DEFENSA_TWILIO_FROM
        )

    def _call(self, to: str, script: str, *, callback: str = "") -> str:
        data = {
            "To": to,
            "From": settings.DEFENSA_TWILIO_VOICE_FROM or settings.DEFENSA_TWILIO_FROM,
            "Twiml": script,
        }
        if callback:
            data["StatusCallback"] = callback
        return twilio_post("Calls", data)

    def send(self, *, to: str, body: str) -> str:
        return self._call(to, twiml(body=body, language=FALLBACK))

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        callback = status_callback_url()

        def send(message: Outgoing) -> str:
            script = twiml(
                body=message.body,
                language=message.language,
                recording=message.extra.get("recording", ""),
            )
            return self._call(str(message.to), script, callback=callback)

        return in_flight(send, messages)
