"""Provider webhooks. Each checks the provider's signature before reading anything."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from defensa.messaging import inbound
from defensa.messaging.models import Channel
from defensa.messaging.transports.sms import TwilioSMS


def twilio_signature_valid(request: HttpRequest) -> bool:
    # Twilio signs the URL it called: behind a proxy that is the public URL, not ours.
    url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.DEFENSA_TWILIO_AUTH_TOKEN)
    return bool(validator.validate(url, request.POST.dict(), signature))


@csrf_exempt  # Twilio cannot hold a CSRF token; its signature authenticates the request.
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    if not TwilioSMS.configured():
        raise Http404
    if not twilio_signature_valid(request):
        return HttpResponseForbidden()
    reply = inbound.route(Channel.SMS, request.POST.get("From", ""), request.POST.get("Body", ""))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml; charset=utf-8")
