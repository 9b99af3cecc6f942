"""Confirming a phone-call subscription with a call: a number typed on the web could be anyone's,
so nothing is read to it until whoever answers that phone presses 1.

The call asks, in the subscriber's language, whether they want the alerts (1) or never want to
be called again (9). Twilio posts the key pressed to `hooks/twilio/alerts/confirm/<code>/`,
signed; the answer counts only for the number the subscription holds (Twilio's `To`). A
pending subscription is called at most once an hour, however often the form is sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Gather, VoiceResponse

from defensa.alerts import addresses
from defensa.alerts.models import Channel, Subscription, SubscriptionStatus
from defensa.messaging.transports.sms import twilio_post
from defensa.messaging.transports.voice import FALLBACK, SPOKEN, TwilioVoice

logger = logging.getLogger(__name__)

# However often someone types a number on the form, it is called at most this often.
CALL_AGAIN_AFTER = timedelta(hours=1)
YES, NEVER = "1", "9"


def _voice(language: str) -> tuple[str, str]:
    spoken = language if language in SPOKEN else FALLBACK
    return spoken, SPOKEN[spoken]


def question(*, language: str, action: str) -> str:
    """The call's TwiML: the question twice, then goodbye if no key was pressed."""
    spoken, voice = _voice(language)
    with translation.override(spoken):
        asked = _(
            "Hello. Someone asked on the website of %(site)s that this phone receive calls "
            "with verified alerts about immigration enforcement in your area. To accept, "
            "press 1. If you never want these calls, press 9. If you do nothing, we will not "
            "call you again."
        ) % {"site": settings.DEFENSA_SITE_NAME}
        bye = _("We did not hear an answer. You will receive no calls. Goodbye.")
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action, method="POST", timeout=8)
    gather.say(asked, language=voice)
    gather.pause(length=1)
    gather.say(asked, language=voice)
    response.append(gather)
    response.say(bye, language=voice)
    return str(response)


def answer(*, language: str, outcome: str) -> VoiceResponse:
    """What the caller hears after pressing a key."""
    spoken, voice = _voice(language)
    with translation.override(spoken):
        text = {
            "confirmed": _(
                "Thank you. We will call this phone when trained volunteers verify "
                "immigration enforcement in your area. To stop, text STOP to the number "
                "that calls you."
            ),
            "never": _("Understood. We will not call this phone again. Goodbye."),
        }.get(outcome, _("Nothing was changed. Goodbye."))
    response = VoiceResponse()
    response.say(text, language=voice)
    response.hangup()
    return response


def action_url(subscription: Subscription) -> str:
    path = reverse("alerts_hooks:voice_confirm", kwargs={"code": subscription.code})
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + path


def place_call(*, code: str) -> bool:
    """Call a pending phone-call subscription's number to ask (the task's work). False when
    there is nothing to call (confirmed, stopped, or calls are not configured here)."""
    subscription = (
        Subscription.objects.filter(
            code=code, channel=Channel.VOICE, status=SubscriptionStatus.PENDING
        )
        .select_related("committee")
        .first()
    )
    if subscription is None:
        return False
    number = addresses.address_of(subscription)
    if not number or not TwilioVoice.configured():
        logger.warning("phone-call subscription %s: no call placed to confirm it", code)
        return False
    script = question(language=subscription.language, action=action_url(subscription))
    sender = settings.DEFENSA_TWILIO_VOICE_FROM or settings.DEFENSA_TWILIO_FROM
    twilio_post("Calls", {"To": number, "From": sender, "Twiml": script})
    return True
