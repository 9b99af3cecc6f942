"""Local stand-ins for the providers: a Twilio REST API and a signal-cli JSON-RPC daemon.

Each runs an HTTP server on 127.0.0.1 in a thread, records what it was sent, and answers the
way the real service does (including its errors, when told to).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from django.test import override_settings
from twilio.request_validator import RequestValidator


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    # (status, json body) answers to give, in order; then the default success.
    scripted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    # Files served on GET (Twilio media and recordings): path -> (content type, bytes).
    # A path in `redirects` answers 302 to the path it maps to, as Twilio's media URLs do.
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    # signal-cli attachments by id.
    attachments: dict[str, bytes] = field(default_factory=dict)

    def deleted(self) -> list[str]:
        return [r.path for r in self.requests if r.method == "DELETE"]


@contextmanager
def _serve(answer: Any) -> Iterator[FakeServer]:
    state: dict[str, FakeServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            fake = state["fake"]
            fake.requests.append(Recorded(self.path, dict(self.headers), body))
            status, payload = answer(fake, body)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            fake = state["fake"]
            fake.requests.append(Recorded(self.path, dict(self.headers), b"", "GET"))
            if self.path in fake.redirects:
                self.send_response(302)
                self.send_header("Location", fake.url + fake.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, data = fake.files.get(self.path, ("application/json", b""))
            self.send_response(200 if self.path in fake.files else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_DELETE(self) -> None:
            fake = state["fake"]
            fake.requests.append(Recorded(self.path, dict(self.headers), b"", "DELETE"))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["fake"] = FakeServer(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state["fake"]
    finally:
        server.shutdown()
        server.server_close()


TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"
SIGNAL_ACCOUNT = "+13125550100"


def _twilio_answer(fake: FakeServer, body: bytes) -> tuple[int, dict[str, Any]]:
    if fake.scripted:
        return fake.scripted.pop(0)
    return 201, {"sid": f"SM{len(fake.requests):032d}", "status": "queued"}


def _signal_answer(fake: FakeServer, body: bytes) -> tuple[int, dict[str, Any]]:
    call = json.loads(body)
    if fake.scripted:
        status, payload = fake.scripted.pop(0)
        return status, {"jsonrpc": "2.0", "id": call["id"], **payload}
    if call["method"] == "receive":
        waiting, fake.inbox[:] = list(fake.inbox), []
        return 200, {"jsonrpc": "2.0", "id": call["id"], "result": waiting}
    if call["method"] == "getAttachment":
        data = fake.attachments.get(call["params"].get("id", ""))
        if data is None:
            error = {"code": -1, "message": "Attachment file not found"}
            return 200, {"jsonrpc": "2.0", "id": call["id"], "error": error}
        encoded = base64.b64encode(data).decode()
        return 200, {"jsonrpc": "2.0", "id": call["id"], "result": {"data": encoded}}
    return 200, {"jsonrpc": "2.0", "id": call["id"], "result": {"timestamp": 1764300000000}}


@contextmanager
def twilio() -> Iterator[FakeServer]:
    """A fake Twilio REST API, with Defensa configured to use it."""
    with (
        _serve(_twilio_answer) as fake,
        override_settings(
            DEFENSA_TWILIO_ACCOUNT_SID=TWILIO_SID,
            DEFENSA_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            DEFENSA_TWILIO_FROM="+13125550000",
            DEFENSA_TWILIO_API_URL=fake.url,
        ),
    ):
        yield fake


@contextmanager
def signal_cli() -> Iterator[FakeServer]:
    """A fake signal-cli daemon (JSON-RPC over HTTP), with Defensa configured to use it."""
    with (
        _serve(_signal_answer) as fake,
        override_settings(
            DEFENSA_SIGNAL_RPC_URL=f"{fake.url}/api/v1/rpc", DEFENSA_SIGNAL_ACCOUNT=SIGNAL_ACCOUNT
        ),
    ):
        yield fake


def basic_auth(recorded: Recorded) -> tuple[str, str]:
    kind, _sep, value = recorded.headers.get("Authorization", "").partition(" ")
    assert kind == "Basic"
    user, _sep, password = base64.b64decode(value).decode().partition(":")
    return user, password


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def sms_payload(sender: str, body: str, *, to: str = "+13125550000", **extra: str) -> dict:
    """An inbound SMS webhook's parameters, as Twilio sends them."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": (sid := extra.pop("MessageSid", message_sid())),
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def twilio_signature(url: str, params: dict[str, str]) -> str:
    return RequestValidator(TWILIO_TOKEN).compute_signature(url, params)


def signed_twilio_post(client: Any, path: str, params: dict[str, str], *, public_url: str) -> Any:
    """POST a webhook the way Twilio does: form-encoded, signed over the public URL."""
    signature = twilio_signature(public_url + path, params)
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


# --- Recorded inbound payloads (hotline messages) ----------------------------------------------


def twilio_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def media_url(api_url: str, message: str, media: str, *, account: str = TWILIO_SID) -> str:
    """Where Twilio says an MMS/WhatsApp file is (it answers with a redirect to its store)."""
    return f"{api_url}/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}"


def serve_media(fake: FakeServer, url: str, data: bytes, content_type: str = "image/jpeg") -> None:
    """Let the fake Twilio serve a file at `url` the way Twilio does: a 302 to its store."""
    path = url[len(fake.url) :]
    stored = f"/media-store/{secrets.token_hex(8)}"
    fake.redirects[path] = stored
    fake.files[stored] = (content_type, data)


def mms_payload(
    sender: str, body: str, *, media: list[tuple[str, str]], to: str = "+13125550000", **extra: str
) -> dict:
    """An MMS as Twilio posts it: `media` is (MediaUrl, MediaContentType) pairs, and the
    sender's number comes with its carrier's idea of a city and ZIP code."""
    sid = extra.pop("MessageSid", twilio_sid("MM"))
    files: dict[str, str] = {}
    for index, (url, content_type) in enumerate(media):
        files[f"MediaContentType{index}"] = content_type
        files[f"MediaUrl{index}"] = url
    return sms_payload(
        sender,
        body,
        to=to,
        MessageSid=sid,
        NumMedia=str(len(media)),
        FromCity="CHICAGO",
        FromState="IL",
        FromZip="60623",
        FromCountry="US",
        ToCity="CHICAGO",
        ToState="IL",
        ToZip="60601",
        **files,
        **extra,
    )


def whatsapp_payload(
    sender: str,
    body: str,
    *,
    profile_name: str,
    to: str = "+13125550000",
    media: Sequence[tuple[str, str]] = (),
    **extra: str,
) -> dict:
    """A WhatsApp message through Twilio: addresses carry "whatsapp:", and Twilio adds the
    sender's WhatsApp profile name (a person's name) and WhatsApp id (their number)."""
    wa_id = sender.lstrip("+")
    sid = extra.pop("MessageSid", twilio_sid("MM" if media else "SM"))
    files: dict[str, str] = {}
    for index, (url, content_type) in enumerate(media):
        files[f"MediaContentType{index}"] = content_type
        files[f"MediaUrl{index}"] = url
    metadata = {
        "type": "whatsapp",
        "data": {"context": {"ProfileName": profile_name, "WaId": wa_id}},
    }
    return {
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ProfileName": profile_name,
        "MessageType": "image" if media else "text",
        "SmsSid": sid,
        "WaId": wa_id,
        "SmsStatus": "received",
        "Body": body,
        "To": f"whatsapp:{to}",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "ChannelMetadata": json.dumps(metadata),
        "From": f"whatsapp:{sender}",
        "ApiVersion": "2010-04-01",
        **files,
        **extra,
    }


def signal_envelope(
    *,
    number: str | None,
    account_uuid: str,
    text: str | None,
    timestamp: int,
    attachments: Sequence[dict[str, Any]] = (),
    profile_name: str = "",
    group: bool = False,
) -> dict[str, Any]:
    """One item of signal-cli's JSON-RPC `receive` result. `number=None` is a sender who hides
    their number (Signal's default for people not in your contacts)."""
    data: dict[str, Any] = {
        "timestamp": timestamp,
        "message": text,
        "expiresInSeconds": 0,
        "viewOnce": False,
    }
    if attachments:
        data["attachments"] = list(attachments)
    if group:
        data["groupInfo"] = {"groupId": base64.b64encode(b"g" * 32).decode(), "type": "DELIVER"}
    return {
        "envelope": {
            "source": number or account_uuid,
            "sourceNumber": number,
            "sourceUuid": account_uuid,
            "sourceName": profile_name,
            "sourceDevice": 1,
            "timestamp": timestamp,
            "serverReceivedTimestamp": timestamp + 180,
            "serverDeliveredTimestamp": timestamp + 250,
            "dataMessage": data,
        },
        "account": SIGNAL_ACCOUNT,
    }


def signal_attachment(
    attachment_id: str, *, content_type: str = "image/jpeg", size: int = 0
) -> dict[str, Any]:
    return {
        "contentType": content_type,
        "filename": "signal-2026-11-27-081500.jpg",
        "id": attachment_id,
        "size": size,
        "width": 320,
        "height": 240,
        "caption": None,
        "uploadTimestamp": 1795767300000,
    }
