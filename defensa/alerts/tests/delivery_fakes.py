"""Local stand-ins for alert delivery: a web push service and an SMTP server, on 127.0.0.1,
and a small world to deliver in (subscribers and an approved alert). Twilio and signal-cli
are faked by `messaging.tests.fakes`.

The push service is what a browser vendor runs, reduced to what matters here: it checks the
VAPID token (ES256 over the claims, audience = its origin, expiry within 24 hours) and
decrypts each payload (RFC 8291) with the subscriber's private key, so a test that passes
proves the encryption. It speaks HTTP/1.1 with kept-alive connections and pipelining, counts
what each subscriber received, and can answer 410 (gone) or 5xx (flaky) for chosen ones.

Subscribers are numbered; `subscription(n)` gives the browser's side of subscriber n (the
endpoint and keys a browser would hand over): a few key pairs are shared among them, each
with its own auth secret, so a benchmark can make 100,000 without making 100,000 keys.

Run as a module (`python -m defensa.alerts.tests.delivery_fakes push PORT VERIFY`) it is the
push service as a process of its own, for the benchmarks; `GET /_stats` answers its totals and
`GET /_counts` also what each subscriber received.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.test import override_settings

# Written again here, with cryptography's own HKDF, rather than borrowed from the code under
# test: the fake is the browser's side and must not share the sender's mistakes.


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


KEY_PAIRS = 16
SEED = b"defensa-fake-push"
PATH = "/wpush/v2/"


@cache
def _user_key(index: int) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(SEED + b"key" + bytes([index])).digest(), "big")
    return ec.derive_private_key(scalar % (2**255) + 1, ec.SECP256R1())


@cache
def _user_public(index: int) -> bytes:
    return (
        _user_key(index)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def _auth(n: int) -> bytes:
    return hashlib.sha256(SEED + b"auth" + str(n).encode()).digest()[:16]


def subscription(n: int, *, url: str) -> dict[str, Any]:
    """Subscriber n's push subscription, as a browser's PushSubscription.toJSON() gives it."""
    return {
        "endpoint": f"{url}{PATH}{n}",
        "keys": {"p256dh": b64url(_user_public(n % KEY_PAIRS)), "auth": b64url(_auth(n))},
    }


def decrypt(n: int, body: bytes) -> bytes:
    """What the browser of subscriber n reads from an aes128gcm body (RFC 8291 / RFC 8188)."""
    salt, (record_size, id_length) = body[:16], struct.unpack("!IB", body[16:21])
    sender = body[21 : 21 + id_length]
    sealed = body[21 + id_length :]
    if record_size < 18 or id_length != 65 or len(sealed) > record_size:
        raise ValueError("bad aes128gcm header")
    user = _user_key(n % KEY_PAIRS)
    shared = user.exchange(
        ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender)
    )
    ikm = _hkdf(_auth(n), shared, b"WebPush: info\x00" + _user_public(n % KEY_PAIRS) + sender, 32)
    key = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    plain = AESGCM(key).decrypt(nonce, sealed, None).rstrip(b"\x00")
    if not plain.endswith(b"\x02"):
        raise ValueError("missing last-record delimiter")
    return plain[:-1]


def check_vapid(header: str, *, origin: str, now: float) -> str:
    """The problem with a VAPID Authorization header, or "" when it is right."""
    scheme, _sep, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        return "not vapid"
    params = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    token, key = params.get("t", ""), params.get("k", "")
    try:
        head, claims_part, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
        header_json = json.loads(unb64url(head))
        claims = json.loads(unb64url(claims_part))
    except (ValueError, InvalidSignature, KeyError):
        return "bad token"
    if header_json.get("alg") != "ES256":
        return "not ES256"
    if claims.get("aud") != origin:
        return "wrong audience"
    if not now < float(claims.get("exp", 0)) <= now + 24 * 3600:
        return "expired or too long"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:", "http:")):
        return "no subject"
    return ""


@dataclass
class PushState:
    """What the fake push service saw, and how it is told to answer."""

    origin: str = ""
    verify: str = "all"  # "all", "sample" (every 97th), or "none"
    counts: dict[int, int] = field(default_factory=dict)
    payloads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    flaky: dict[int, int] = field(default_factory=dict)  # subscriber -> 503s still to give
    problems: list[str] = field(default_factory=list)
    decrypted: int = 0
    connections: int = 0
    _tokens: set[str] = field(default_factory=set)

    @property
    def received(self) -> int:
        return sum(self.counts.values())

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if not path.startswith(PATH) or not path[len(PATH) :].isdigit():
            return 404
        n = int(path[len(PATH) :])
        authorization = headers.get("authorization", "")
        if authorization not in self._tokens:
            problem = check_vapid(authorization, origin=self.origin, now=time.time())
            if problem:
                self.problems.append(problem)
                return 403
            self._tokens.add(authorization)
        if n in self.gone:
            return 410
        if self.flaky.get(n, 0) > 0:
            self.flaky[n] -= 1
            return 503
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            self.problems.append("headers")
            return 400
        if self.verify == "all" or (self.verify == "sample" and n % 97 == 0):
            try:
                message = json.loads(decrypt(n, body))
            except (ValueError, InvalidTag) as exc:
                self.problems.append(f"decrypt: {type(exc).__name__}")
                return 400
            self.decrypted += 1
            if self.verify == "all":
                self.payloads.setdefault(n, []).append(message)
                self.headers[n] = headers
        self.counts[n] = self.counts.get(n, 0) + 1
        return 201

    def stats(self, *, counts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "received": self.received,
            "decrypted": self.decrypted,
            "problems": self.problems[:20],
            "problem_count": len(self.problems),
            "connections": self.connections,
        }
        if counts:
            out["counts"] = self.counts
        return out


class _PushProtocol(asyncio.Protocol):
    def __init__(self, state: PushState) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.state.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _sep, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                break
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, path = [*lines[0].split(" "), "", ""][:2]
            if method == "GET" and path in ("/_stats", "/_counts"):
                raw = json.dumps(self.state.stats(counts=path == "/_counts")).encode()
                out.append(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                out.append(b"Content-Length: %d\r\n\r\n%s" % (len(raw), raw))
                continue
            status = self.state.answer(path, headers, body)
            out.append(b"HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n" % status)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


@dataclass
class FakePush:
    url: str
    state: PushState

    @property
    def counts(self) -> dict[int, int]:
        return self.state.counts

    def subscription(self, n: int) -> dict[str, Any]:
        return subscription(n, url=self.url)


async def _serve_push(state: PushState, port: int, ready: threading.Event | None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _PushProtocol(state), "127.0.0.1", port)
    state.origin = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()


@contextmanager
def push_service(*, verify: str = "all") -> Iterator[FakePush]:
    """A fake push service in a thread, with Defensa allowed to post to it."""
    state = PushState(verify=verify)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    task: list[asyncio.Task[None]] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        task.append(loop.create_task(_serve_push(state, 0, ready)))
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        with override_settings(DEFENSA_PUSH_SERVICE_HOSTS=["127.0.0.1"]):
            yield FakePush(state.origin, state)
    finally:

        def stop() -> None:
            task[0].add_done_callback(lambda _done: loop.stop())
            task[0].cancel()

        loop.call_soon_threadsafe(stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class FakeSMTP:
    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    connections: int = 0
    # Recipients answered 550 (mailbox does not exist).
    refused: set[str] = field(default_factory=set)


@contextmanager
def smtp_server() -> Iterator[FakeSMTP]:
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), with Django's SMTP
    backend pointed at it."""
    fake = FakeSMTP(port=0)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            fake.connections += 1
            self.wfile.write(b"220 fake ESMTP\r\n")
            sender, recipients = "", list[str]()
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    sender, recipients = line.decode().split(":", 1)[1].strip(), []
                    self.wfile.write(b"250 ok\r\n")
                elif verb == b"RCPT":
                    address = line.decode().split(":", 1)[1].strip().strip("<>")
                    if address in fake.refused:
                        self.wfile.write(b"550 no such user\r\n")
                    else:
                        recipients.append(address)
                        self.wfile.write(b"250 ok\r\n")
                elif verb == b"DATA":
                    self.wfile.write(b"354 go on\r\n")
                    data = b""
                    while not data.endswith(b"\r\n.\r\n"):
                        chunk = self.rfile.readline()
                        if not chunk:
                            return
                        data += chunk
                    fake.messages.append((sender, recipients, data[:-5]))
                    self.wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:  # RSET, NOOP
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=fake.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            DEFENSA_EMAIL_FROM="alertas@defensa.example.org",
        ):
            yield fake
    finally:
        server.shutdown()
        server.server_close()


# --- A small world: subscribers and an approved alert --------------------------------------------

CENTER = (41.8500, -87.7000)  # Chicago, Little Village


def subscribe(
    committee: Any,
    *,
    channel: str,
    addresses: Sequence[Any],
    cells: Sequence[str],
    language: str = "es",
) -> list[Any]:
    """Active subscriptions of `channel`, one per address, covering `cells` (bulk, sealed)."""
    from defensa.alerts import addresses as sealing
    from defensa.alerts.models import Subscription, SubscriptionCell, SubscriptionStatus

    rows = []
    for address in addresses:
        row = Subscription(
            committee=committee,
            channel=channel,
            status=SubscriptionStatus.ACTIVE,
            language=language,
            area={"cells": list(cells)},
        )
        sealing.seal(row, address)
        rows.append(row)
    made = Subscription.objects.bulk_create(rows, batch_size=2000)
    if not made or made[0].pk is None:  # databases that do not return ids from bulk inserts
        codes = [row.code for row in rows]
        made = list(Subscription.objects.filter(code__in=codes).order_by("pk"))
    SubscriptionCell.objects.bulk_create(
        [SubscriptionCell(subscription=row, cell=cell) for row in made for cell in cells],
        batch_size=5000,
    )
    return made


def approved_alert(
    committee: Any,
    *,
    cells: Sequence[str],
    kind: str = "confirmed",
    corrects: Any = None,
    texts: dict[str, dict[str, str]] | None = None,
) -> Any:
    """An approved, signed alert (as actions.approve leaves it, before `fanout.plan`)."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from defensa import testing
    from defensa.alerts.models import Alert, AlertStatus

    composer = testing.member(committee)
    approver = testing.member(committee)
    texts = texts or {
        "es": {"sms": "ALERTA verificada: actividad de ICE cerca.", "push": "Actividad de ICE."},
        "en": {"sms": "Verified ALERT: ICE activity nearby.", "push": "ICE activity."},
    }
    from defensa.alerts import verify
    from defensa.core import signing

    alert = Alert.objects.create(
        committee=committee,
        kind=kind,
        status=AlertStatus.APPROVED,
        composed_by=composer,
        approved_by=approver,
        approved_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=6),
        cells=list(cells),
        texts=texts,
        corrects=corrects,
        verify_code=secrets.token_hex(4).upper(),
    )
    data = verify.snapshot_of(
        alert, key_id=signing.active_key_id(), headlines={}, places={}, advice={}
    )
    alert.snapshot, alert.signature, alert.key_id = verify.sign_snapshot(data)
    alert.save(update_fields=["snapshot", "signature", "key_id"])
    return alert


def _main() -> None:
    """python -m defensa.alerts.tests.delivery_fakes push PORT VERIFY"""
    _kind, port, verify = sys.argv[1:4]
    state = PushState(verify=verify)
    asyncio.run(_serve_push(state, int(port), None))


if __name__ == "__main__":
    _main()
