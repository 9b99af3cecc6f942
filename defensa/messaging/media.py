"""Files people send with messages, fetched from the provider that holds them, then deleted
there (a photo of a raid should not stay in a provider's storage longer than we need it).

Reading stops at a size limit, so a huge file costs bounded memory.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from django.conf import settings

from defensa.core import http
from defensa.messaging import twilio
from defensa.messaging.inbound import MediaRef
from defensa.messaging.transports.base import TransportError
from defensa.messaging.transports.signal import SignalTransport


class TooLarge(TransportError):
    def __init__(self) -> None:
        super().__init__("file over the size limit", permanent=True)


def _read_limited(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _twilio_get(path: str, limit: int) -> bytes:
    url = settings.DEFENSA_TWILIO_API_URL.rstrip("/") + path
    auth = (settings.DEFENSA_TWILIO_ACCOUNT_SID, settings.DEFENSA_TWILIO_AUTH_TOKEN)
    try:
        for hop in range(2):
            # Twilio answers with a redirect to its file store: follow it once, without our
            # credentials, and only to an https address (or back to the API host).
            with http.client().stream("GET", url, auth=auth if hop == 0 else None) as response:
                if response.status_code in (301, 302, 303, 307, 308) and hop == 0:
                    target = response.headers.get("Location", "")
                    parts = urlsplit(target)
                    api = urlsplit(settings.DEFENSA_TWILIO_API_URL)
                    if parts.scheme != "https" and parts.netloc != api.netloc:
                        raise TransportError("twilio: redirect refused", permanent=True)
                    url = target
                    continue
                if response.status_code == 404:
                    raise TransportError("twilio: file gone", permanent=True)
                if response.status_code != 200:
                    raise TransportError(f"twilio http {response.status_code}", permanent=False)
                return _read_limited(response, limit)
    except httpx.HTTPError as exc:
        raise TransportError(f"twilio unreachable: {type(exc).__name__}", permanent=False) from exc
    raise TransportError("twilio: too many redirects", permanent=True)


def fetch(ref: MediaRef, *, limit: int) -> bytes:
    """The file's bytes; TransportError (permanent or not) when it cannot be had."""
    if ref.source == "twilio":
        if not ref.locator.startswith(twilio.account_path()):
            raise TransportError("twilio: not our account's file", permanent=True)
        return _twilio_get(ref.locator, limit)
    if ref.source == "signal":
        data = SignalTransport().fetch_attachment(ref.locator)
        if len(data) > limit:
            raise TooLarge
        return data
    raise TransportError(f"unknown media source {ref.source}", permanent=True)


def forget(ref: MediaRef) -> None:
    """Delete the provider's copy (best effort: a failure is retried by nobody, and logged
    by the caller without the reference)."""
    if ref.source != "twilio" or not ref.locator.startswith(twilio.account_path()):
        return  # signal-cli keeps attachments on our own host; its store is pruned there
    head, _slash, last = ref.locator.rpartition("/")
    resource = f"{head}/{last.split('.', 1)[0]}.json"  # .../Media/ME....json, .../RE....json
    url = settings.DEFENSA_TWILIO_API_URL.rstrip("/") + resource
    auth = (settings.DEFENSA_TWILIO_ACCOUNT_SID, settings.DEFENSA_TWILIO_AUTH_TOKEN)
    try:
        response = http.client().delete(url, auth=auth)
    except httpx.HTTPError as exc:
        raise TransportError(f"twilio unreachable: {type(exc).__name__}", permanent=False) from exc
    if response.status_code not in (200, 204, 404):
        raise TransportError(f"twilio http {response.status_code}", permanent=False)
