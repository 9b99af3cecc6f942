"""What every Twilio webhook shares: the signature check, the sender's channel, and the files
a message carries.

Twilio signs the URL it called plus the POST parameters. Behind a proxy the URL we see is
not the one Twilio called, so the public URL (DEFENSA_PUBLIC_URL) is what is checked.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from defensa.messaging.inbound import MAX_MEDIA, MediaRef

WHATSAPP_PREFIX = "whatsapp:"
# Provider ids: two letters and 32 hex digits (SM..., MM..., CA..., RE..., ME...).
SID_RE = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
MEDIA_PATH = re.compile(
    r"/2010-04-01/Accounts/AC[0-9a-f]{32}"
    r"/Messages/(?:MM|SM)[0-9a-f]{32}/Media/(?P<media>ME[0-9a-f]{32})"
)


def configured() -> bool:
    return bool(settings.DEFENSA_TWILIO_ACCOUNT_SID and settings.DEFENSA_TWILIO_AUTH_TOKEN)


def signature_valid(request: HttpRequest) -> bool:
    url = settings.DEFENSA_PUBLIC_URL.rstrip("/") + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(settings.DEFENSA_TWILIO_AUTH_TOKEN)
    # The QueryDict itself: every value of a repeated parameter is signed.
    return bool(validator.validate(url, request.POST, signature))


def valid_sid(value: str, prefix: str) -> bool:
    return bool(SID_RE.match(value)) and value.startswith(prefix)


def channel_and_address(raw: str) -> tuple[str, str]:
    """("whatsapp", "+1...") for a WhatsApp sender, ("sms", "+1...") otherwise."""
    if raw.startswith(WHATSAPP_PREFIX):
        return "whatsapp", raw[len(WHATSAPP_PREFIX) :]
    return "sms", raw


def account_path() -> str:
    return f"/2010-04-01/Accounts/{settings.DEFENSA_TWILIO_ACCOUNT_SID}/"


def media_refs(post: dict[str, str]) -> tuple[MediaRef, ...]:
    """The MMS/WhatsApp files of a message, as paths under our own account.

    Only URLs on the Twilio API host, of the exact shape Twilio gives a message's file
    (/2010-04-01/Accounts/AC.../Messages/MM.../Media/ME...) under our own account, are taken:
    whatever else a request names is never fetched (a forged or odd URL must not make us fetch
    from anywhere, with our credentials, through an encoded "..", a query or a userinfo part).
    """
    refs = []
    try:
        count = min(int(post.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        return ()
    api = settings.DEFENSA_TWILIO_API_URL.rstrip("/")
    for index in range(count):
        url = post.get(f"MediaUrl{index}", "")
        if not url.startswith(api + "/"):
            continue
        path = url[len(api) :]
        match = MEDIA_PATH.fullmatch(path)
        if match is None or path.rsplit("/Messages/", 1)[0] + "/" != account_path():
            continue
        content_type = post.get(f"MediaContentType{index}", "")[:64]
        refs.append(MediaRef("twilio", path, match.group("media"), content_type))
    return tuple(refs)
