"""Web push: payloads encrypted for the subscriber's browser (RFC 8291, aes128gcm, RFC 8188),
authorized with a VAPID token (RFC 8292), posted to the browser's push service.

The push service only sees ciphertext, the token and the endpoint. A token is signed once per
push-service origin and reused for hours. A batch is encrypted in slices that are handed to
`core.http.submit_many` as they are ready, so requests are in flight (over a few kept-alive
connections, several pipelined on each) while the next slice is encrypted.

Endpoints come from browsers, but a forged subscription could name any URL: only hosts of the
push services in DEFENSA_PUSH_SERVICE_HOSTS are posted to, over HTTPS (plain HTTP only to this
machine, for the local fakes).
"""

from __future__ import annotations

import base64
import hmac
import importlib
import ipaddress
import json
import os
import struct
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from defensa.core import http
from defensa.messaging.transports.base import Outgoing, Result, Transport, TransportError

RECORD_SIZE = 4096
# 86 bytes of header (salt, record size, key length, key), 16 of tag, 1 of padding delimiter.
MAX_PLAINTEXT = RECORD_SIZE - 86 - 16 - 1
TOKEN_SECONDS = 12 * 3600  # RFC 8292 allows up to 24 hours
TOKEN_REUSE_MARGIN = 3600  # a token is replaced an hour before it expires
SLICE = 64  # messages encrypted before they are handed to the sender
DEFAULT_TTL = 12 * 3600
CURVE = ec.SECP256R1()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 with one output block (every length here is at most 32 bytes)."""
    prk = hmac.digest(salt, ikm, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")[:length]


def encrypt(
    plaintext: bytes,
    *,
    p256dh: bytes,
    auth: bytes,
    record_size: int = RECORD_SIZE,
    _ours: ec.EllipticCurvePrivateKey | None = None,
    _salt: bytes | None = None,
) -> bytes:
    """RFC 8291: one aes128gcm record for the user agent's key `p256dh` and secret `auth`,
    under a fresh ECDH key pair and salt (as the RFC requires, one per message; `_ours` and
    `_salt` exist only to check the RFC's test vector)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("payload too long for one record")
    user_key = ec.EllipticCurvePublicKey.from_encoded_point(CURVE, p256dh)
    ours = _ours or ec.generate_private_key(CURVE)
    our_public = ours.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ours.exchange(ec.ECDH(), user_key)
    ikm = _hkdf(auth, shared, b"WebPush: info\x00" + p256dh + our_public, 32)
    salt = _salt or os.urandom(16)
    prk = hmac.digest(salt, ikm, "sha256")  # one extraction for the key and the nonce
    key = hmac.digest(prk, b"Content-Encoding: aes128gcm\x00\x01", "sha256")[:16]
    nonce = hmac.digest(prk, b"Content-Encoding: nonce\x00\x01", "sha256")[:12]
    sealed = AESGCM(key).encrypt(nonce, plaintext + b"\x02", None)
    return salt + struct.pack("!IB", record_size, len(our_public)) + our_public + sealed


# --- VAPID -----------------------------------------------------------------------------------


def _keys() -> Any:
    return importlib.import_module(settings.DEFENSA_PUSH_VAPID_KEYS)


def _vapid_key() -> ec.EllipticCurvePrivateKey:
    """The application server's key, from the module named by DEFENSA_PUSH_VAPID_KEYS (its
    `private_key()`; see `alerts.push_keys`)."""
    key = _keys().private_key()
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TransportError("no VAPID key configured", permanent=False)
    return key


def public_key_b64url(key: ec.EllipticCurvePrivateKey | None = None) -> str:
    """What a browser's `applicationServerKey` must be (uncompressed point, base64url)."""
    key = key or _vapid_key()
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def vapid_token(*, audience: str, key: ec.EllipticCurvePrivateKey, expires: int) -> str:
    header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode())
    claims = {"aud": audience, "exp": expires, "sub": settings.DEFENSA_VAPID_SUBJECT}
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode()
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{header}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class _Tokens:
    """Authorization headers per push-service origin, signed once and reused for hours."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_origin: dict[tuple[str, int], tuple[str, float]] = {}
        self.signed = 0

    def header(self, origin: str) -> str:
        now = time.time()
        key = _vapid_key()
        with self._lock:
            cached = self._by_origin.get((origin, id(key)))
            if cached and cached[1] - TOKEN_REUSE_MARGIN > now:
                return cached[0]
            expires = int(now) + TOKEN_SECONDS
            token = vapid_token(audience=origin, key=key, expires=expires)
            value = f"vapid t={token}, k={public_key_b64url(key)}"
            self._by_origin[(origin, id(key))] = (value, expires)
            self.signed += 1
            return value

    def forget(self) -> None:
        with self._lock:
            self._by_origin.clear()


tokens = _Tokens()


# --- Sending -----------------------------------------------------------------------------------


def _origin(endpoint: str) -> str | None:
    """The endpoint's origin when it is a push service we post to, else None."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        return None
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if 0 <= found < end:
            end = found
    return _origin_of(scheme, rest[:end], tuple(settings.DEFENSA_PUSH_SERVICE_HOSTS))


@lru_cache(maxsize=4096)
def _origin_of(scheme: str, netloc: str, hosts: tuple[str, ...]) -> str | None:
    """Decided once per push service (a batch names a few services many times)."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}/")
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if not host or parts.username or parts.password:
        return None
    allowed = [h.strip().lower() for h in hosts if h.strip()]
    if not any(host == h or host.endswith("." + h) for h in allowed):
        return None
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(host)):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def payload(message: Outgoing) -> bytes:
    """What the service worker receives: title, text, link and tag, cut to one record."""
    data = {
        "title": message.title,
        "body": message.body,
        "url": message.extra.get("url", ""),
        "tag": message.extra.get("topic", ""),
        "lang": message.language,
    }
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    while len(raw) > MAX_PLAINTEXT and data["body"]:
        data["body"] = data["body"][: max(0, len(data["body"]) - (len(raw) - MAX_PLAINTEXT) - 1)]
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return raw


def _request(message: Outgoing, authorizations: dict[str, str] | None = None) -> http.Request:
    """The POST for one message; `authorizations` remembers each origin's header for a batch."""
    subscription = message.to if isinstance(message.to, dict) else {}
    endpoint = str(subscription.get("endpoint", ""))
    origin = _origin(endpoint)
    if origin is None:
        raise TransportError("not a push service endpoint", permanent=True, gone=True)
    keys = subscription.get("keys") or {}
    try:
        body = encrypt(
            payload(message), p256dh=unb64url(str(keys["p256dh"])), auth=unb64url(str(keys["auth"]))
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TransportError("unusable push subscription keys", permanent=True, gone=True) from exc
    headers = {
        "TTL": message.extra.get("ttl", str(DEFAULT_TTL)),
        "Urgency": "high",
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Authorization": _authorization(origin, authorizations),
    }
    if message.extra.get("topic"):
        # A correction uses its original's topic: a push service still holding the original
        # for an offline phone replaces it instead of delivering both.
        headers["Topic"] = message.extra["topic"]
    return http.Request(endpoint, body, headers)


def _authorization(origin: str, remembered: dict[str, str] | None) -> str:
    if remembered is None:
        return tokens.header(origin)
    value = remembered.get(origin)
    if value is None:
        value = remembered[origin] = tokens.header(origin)
    return value


def _result(key: int, outcome: http.Response | BaseException) -> Result:
    if isinstance(outcome, BaseException):
        kind = type(outcome).__name__
        return Result(key, error=TransportError(f"push unreachable: {kind}", permanent=False))
    status = outcome.status
    if status in (200, 201, 202):
        return Result(key)
    if status in (404, 410):
        return Result(key, error=TransportError(f"push {status}", permanent=True, gone=True))
    # 400 and 413 are our message's fault; 401/403 our key's (an operator fixes it); 429 and
    # 5xx pass.
    permanent = status in (400, 413)
    return Result(key, error=TransportError(f"push {status}", permanent=permanent))


class WebPush(Transport):
    @classmethod
    def configured(cls) -> bool:
        keys = _keys()
        return bool(settings.DEFENSA_PUSH_SERVICE_HOSTS) and keys.private_key() is not None

    def send(self, *, to: Any, body: str) -> str:
        result = self.send_many([Outgoing(key=0, to=to, body=body)])[0]
        if result.error is not None:
            raise result.error
        return result.ref

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        results: dict[int, Result] = {}
        authorizations: dict[str, str] = {}
        in_flight: list[tuple[int, http.Outcome]] = []
        options = {
            "connections": settings.DEFENSA_PUSH_CONNECTIONS,
            "pipeline": settings.DEFENSA_PUSH_PIPELINE,
        }
        for start in range(0, len(messages), SLICE):
            ready: list[tuple[int, http.Request]] = []
            for index in range(start, min(start + SLICE, len(messages))):
                try:
                    ready.append((index, _request(messages[index], authorizations)))
                except TransportError as exc:
                    results[index] = Result(messages[index].key, error=exc)
            futures = http.submit_many([request for _index, request in ready], **options)
            in_flight += [(index, f) for (index, _r), f in zip(ready, futures, strict=True)]
        deadline = time.monotonic() + float(settings.DEFENSA_HTTP_TIMEOUT) * 3 + 5
        for index, future in in_flight:
            outcome: http.Response | BaseException
            try:
                outcome = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError as exc:
                future.cancel()
                outcome = exc
            except Exception as exc:  # the request's own failure is its result
                outcome = exc
            results[index] = _result(messages[index].key, outcome)
        return [results[index] for index in range(len(messages))]
