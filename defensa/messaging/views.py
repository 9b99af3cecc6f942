"""Provider webhooks. Each checks the provider's signature before reading anything else, and
writes nothing for a request it refuses."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from defensa.messaging import inbound, twilio

FORM = "application/x-www-form-urlencoded"


def twiml_response(twiml: object, *, status: int = 200) -> HttpResponse:
    return HttpResponse(str(twiml), content_type="text/xml; charset=utf-8", status=status)


def refuse_unsigned(request: HttpRequest) -> HttpResponse | None:
    """The refusal for a Twilio webhook request that is not what Twilio sends, else None."""
    if not twilio.configured():
        raise Http404
    if request.content_type != FORM:
        return HttpResponse(status=415)
    if not twilio.signature_valid(request):
        return HttpResponseForbidden()
    return None


@csrf_exempt  # Twilio cannot hold a CSRF token; its signature authenticates the request.
@require_POST
def twilio_message(request: HttpRequest) -> HttpResponse:
    """SMS, MMS and WhatsApp messages to any of our numbers."""
    refused = refuse_unsigned(request)
    if refused is not None:
        return refused
    post = request.POST
    sid = post.get("MessageSid", "")
    channel, sender = twilio.channel_and_address(post.get("From", ""))
    _channel, to = twilio.channel_and_address(post.get("To", ""))
    if not (twilio.valid_sid(sid, "SM") or twilio.valid_sid(sid, "MM")) or not sender:
        return HttpResponse(status=400)
    message = inbound.Inbound(
        channel=channel,
        sender=sender,
        text=post.get("Body", ""),
        to=to,
        message_id=sid,
        media=twilio.media_refs(post.dict()),
    )
    reply = inbound.handle_once(message)
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return twiml_response(twiml)
