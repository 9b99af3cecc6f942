"""Twilio's status callbacks for alert messages and calls (`/hooks/twilio/status/`), and the
key pressed on a call that confirms a phone-call subscription.

Twilio posts each message's later fate (delivered, undelivered, failed). An undelivered message
with an error code that says the number does not work disables its subscription: the SID was
recorded on the Reached row when the message was handed off, so no number is needed or kept.
Signed like every Twilio webhook; anything unsigned is refused before it is read.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from defensa.alerts import confirm_call, fanout, subscriptions
from defensa.alerts.models import Reached
from defensa.messaging import twilio
from defensa.messaging.transports.sms import GONE_CODES
from defensa.messaging.views import refuse_unsigned, twiml_response

FAILED = {"undelivered", "failed"}


@csrf_exempt  # Twilio cannot hold a CSRF token; its signature authenticates the request.
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    refused = refuse_unsigned(request)
    if refused is not None:
        return refused
    post = request.POST
    sid = post.get("MessageSid") or post.get("CallSid") or ""
    if not any(twilio.valid_sid(sid, prefix) for prefix in ("SM", "MM", "CA")):
        return HttpResponse(status=400)
    status = (post.get("MessageStatus") or post.get("CallStatus") or "").lower()
    try:
        code = int(post.get("ErrorCode") or 0)
    except ValueError:
        code = 0
    if status in FAILED and code in GONE_CODES:
        ids = list(
            Reached.objects.filter(provider_ref=sid).values_list("subscription_id", flat=True)
        )
        if ids:
            fanout.mark_gone(subscription_ids=ids)
    # Twilio only needs to hear that the callback arrived; repeats change nothing.
    return HttpResponse(status=204)


@csrf_exempt  # Twilio cannot hold a CSRF token; its signature authenticates the request.
@require_POST
def voice_confirm(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """The key pressed on the confirmation call: 1 confirms, 9 stops; anything else, or a
    number that is not the subscription's, changes nothing."""
    refused = refuse_unsigned(request)
    if refused is not None:
        return refused
    post = request.POST
    digits, called = post.get("Digits", ""), post.get("To", "")
    outcome, language = subscriptions.answer_confirmation_call(
        code=str(code), digits=digits, number=called
    )
    return twiml_response(confirm_call.answer(language=language, outcome=outcome))
