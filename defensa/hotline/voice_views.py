"""Twilio Voice webhooks for the phone menu. Each checks Twilio's signature before reading
anything (refusing with 403, 404 while Twilio is not configured, 415 for another content
type), then every parameter it uses (400), before anything is written. The menu itself is
in `voice`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from twilio.twiml.voice_response import VoiceResponse

from defensa.hotline import voice
from defensa.messaging.views import refuse_unsigned, twiml_response

Handler = Callable[[HttpRequest, voice.Call], VoiceResponse]


def _webhook(
    *, number_in_query: bool = False, number_field: str = "To"
) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """`number` is where the hotline number is: `To` of a caller's call, `From` of the leg
    that rings a volunteer (the hotline is its caller id), our query for the recording
    callback (which has neither)."""

    def decorate(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt  # Twilio cannot hold a CSRF token; its signature authenticates the request.
        @require_POST
        @wraps(handler)
        def view(request: HttpRequest) -> HttpResponse:
            refused = refuse_unsigned(request)
            if refused is not None:
                return refused
            try:
                number = (
                    request.GET.get("to", "")
                    if number_in_query
                    else request.POST.get(number_field, "")
                )
                call = voice.read_call(request.POST, request.GET, number=number)
                twiml = handler(request, call)
            except voice.BadRequest:
                return HttpResponse(status=400)
            return twiml_response(twiml)

        return view

    return decorate


def _again(request: HttpRequest) -> bool:
    return request.GET.get("again") == "1"


@_webhook()
def incoming(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    """A new call (the number's voice webhook), and the language menu asked again."""
    return voice.language_menu(call, again=_again(request))


@_webhook()
def language(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.choose_language(call, voice.read_digits(request.POST))


@_webhook()
def menu(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.main_menu(call, again=_again(request))


@_webhook()
def choose(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.choose(call, voice.read_digits(request.POST))


@_webhook()
def dialed(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.dialed(
        call,
        status=voice.read_choice(request.POST.get("DialCallStatus", ""), voice.DIAL_STATUSES),
        call_status=voice.read_choice(request.POST.get("CallStatus", ""), voice.CALL_STATUSES),
        stage=voice.read_choice(request.GET.get("stage", ""), voice.STAGES),
    )


@_webhook(number_field="From")
def screen(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    """A volunteer's phone answered (the leg to them, before the caller is connected)."""
    return voice.screen(call)


@_webhook(number_field="From")
def screened(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.screened(voice.read_digits(request.POST))


@_webhook()
def zip_code(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    return voice.zip_entered(call, voice.read_digits(request.POST), again=_again(request))


@_webhook()
def subscribe(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    """The key pressed after the alerts of a ZIP code (1: calls for its new alerts)."""
    return voice.subscribe_entered(
        call,
        voice.read_digits(request.POST),
        caller=request.POST.get("From", ""),
        zip_code=voice.read_zip(request.GET.get("zip", "")),
    )


@_webhook()
def recorded(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    """<Record> ended (its Digits may say "hangup": they are not read)."""
    return voice.recorded(call)


@_webhook(number_in_query=True)
def recording(request: HttpRequest, call: voice.Call) -> VoiceResponse:
    """The recording status callback: the file exists at Twilio now."""
    return voice.recording_ready(
        call,
        recording_sid=voice.read_sid(request.POST.get("RecordingSid", ""), "RE"),
        status=voice.read_choice(request.POST.get("RecordingStatus", ""), voice.RECORDING_STATUSES),
        channel=voice.read_choice(request.GET.get("channel", ""), voice.RECORDING_CHANNELS),
    )


@require_safe
def prompt(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """A menu recording, for Twilio's <Play>."""
    item = voice.public_prompt(code)
    response = HttpResponse(bytes(item.audio), content_type=voice.served_type(item))
    response["Cache-Control"] = "public, max-age=300"
    # Played, never run as a page.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
