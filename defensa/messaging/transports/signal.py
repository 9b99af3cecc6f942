"""Signal through a signal-cli daemon's JSON-RPC interface (HTTP), over the outbound client.

Production runs signal-cli (`signal-cli -a ACCOUNT daemon --http 127.0.0.1:8080
--receive-mode=manual`); tests run a local fake that speaks the same protocol.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings
from django.utils.crypto import salted_hmac

from defensa.core import http
from defensa.messaging.inbound import MAX_MEDIA, Inbound, MediaRef
from defensa.messaging.transports.base import Outgoing, Result, Transport, TransportError

# signal-cli names stored attachments with letters, digits, dots, dashes and underscores.
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Recipients per `send` call in a batch; signal-cli answers with one result per recipient.
RECIPIENTS_PER_CALL = 20
# signal-cli's per-recipient result types that say the number is not on Signal.
GONE_RESULTS = {"UNREGISTERED_FAILURE"}
TEMPORARY_RESULTS = {"NETWORK_FAILURE", "RATE_LIMIT_FAILURE", "PROOF_REQUIRED_FAILURE"}


class SignalTransport(Transport):
    @classmethod
    def configured(cls) -> bool:
        return bool(settings.DEFENSA_SIGNAL_RPC_URL and settings.DEFENSA_SIGNAL_ACCOUNT)

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": method,
            "params": {"account": settings.DEFENSA_SIGNAL_ACCOUNT, **params},
            "id": str(uuid.uuid4()),
        }
        try:
            response = http.client().post(settings.DEFENSA_SIGNAL_RPC_URL, json=payload)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"signal-cli unreachable: {type(exc).__name__}", permanent=False
            ) from exc
        if response.status_code != 200:
            raise TransportError(f"signal-cli http {response.status_code}", permanent=False)
        answer = response.json()
        if "error" in answer:
            message = str(answer["error"].get("message", ""))
            # Rate limits and proof-of-work challenges pass; anything else will not.
            temporary = "rate" in message.lower() or "captcha" in message.lower()
            raise TransportError(
                f"signal-cli error {answer['error'].get('code')}", permanent=not temporary
            )
        return answer.get("result")

    def send(self, *, to: str, body: str) -> str:
        result = self._call("send", {"recipient": [to], "message": body})
        return str((result or {}).get("timestamp", ""))

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        """One `send` call per text and group of recipients; each recipient's own result."""
        by_key: dict[int, Result] = {}
        groups: dict[str, list[Outgoing]] = {}
        for message in messages:
            groups.setdefault(message.body, []).append(message)
        for body, group in groups.items():
            for start in range(0, len(group), RECIPIENTS_PER_CALL):
                part = group[start : start + RECIPIENTS_PER_CALL]
                for result in self._send_group(body, part):
                    by_key[result.key] = result
        return [by_key[message.key] for message in messages]

    def _send_group(self, body: str, part: list[Outgoing]) -> list[Result]:
        numbers = [str(message.to) for message in part]
        try:
            answer = self._call("send", {"recipient": numbers, "message": body})
        except TransportError as exc:
            return [Result(message.key, error=exc) for message in part]
        stamp = str((answer or {}).get("timestamp", "")) if isinstance(answer, dict) else ""
        kinds: dict[str, str] = {}
        for item in (answer or {}).get("results", []) if isinstance(answer, dict) else []:
            address = item.get("recipientAddress", {}) if isinstance(item, dict) else {}
            if isinstance(address, dict) and address.get("number"):
                kinds[str(address["number"])] = str(item.get("type", "SUCCESS"))
        results = []
        for message, number in zip(part, numbers, strict=True):
            kind = kinds.get(number, "SUCCESS")
            if kind == "SUCCESS":
                results.append(Result(message.key, stamp))
            else:
                gone = kind in GONE_RESULTS
                error = TransportError(
                    f"signal-cli {kind.lower()}",
                    permanent=kind not in TEMPORARY_RESULTS,
                    gone=gone,
                )
                results.append(Result(message.key, error=error))
        return results

    def receive(self) -> list[Inbound]:
        """Messages waiting at the daemon, with their attachments named by id (fetched later).

        What is not a person's direct message is skipped: receipts, typing, reactions,
        malformed items, and group messages (a hotline added to a group must not take every
        word said there as a report, nor answer each member privately).
        """
        result = self._call("receive", {"timeout": 1})
        messages: list[Inbound] = []
        for item in result if isinstance(result, list) else []:
            envelope = item.get("envelope", item) if isinstance(item, dict) else None
            data = envelope.get("dataMessage") if isinstance(envelope, dict) else None
            if not isinstance(envelope, dict) or not isinstance(data, dict):
                continue
            if data.get("groupInfo") or data.get("groupV2"):
                continue
            message = _inbound(envelope, data)
            if message is not None:
                messages.append(message)
        return messages

    def fetch_attachment(self, attachment_id: str, *, sender: str = "") -> bytes:
        """An attachment's bytes, from the daemon's store (signal-cli `getAttachment`)."""
        params: dict[str, Any] = {"id": attachment_id}
        if sender:
            params["recipient"] = sender
        result = self._call("getAttachment", params)
        data = (result or {}).get("data") if isinstance(result, dict) else result
        if not isinstance(data, str):
            raise TransportError("signal-cli: no attachment data", permanent=True)
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise TransportError("signal-cli: attachment not base64", permanent=True) from exc


def _inbound(envelope: dict[str, Any], data: dict[str, Any]) -> Inbound | None:
    sender = envelope.get("sourceNumber") or envelope.get("sourceUuid") or ""
    text = data.get("message") or ""
    attachments = data.get("attachments") or []
    if (
        not isinstance(sender, str)
        or not isinstance(text, str)
        or not isinstance(attachments, list)
    ):
        return None
    media = tuple(
        MediaRef(
            "signal",
            str(a["id"]),
            _attachment_id(str(a["id"])),
            str(a.get("contentType", ""))[:64],
        )
        for a in attachments[:MAX_MEDIA]
        if isinstance(a, dict) and _safe_id(a.get("id"))
    )
    if not sender or not (text or media):
        return None
    stamp = envelope.get("timestamp") or data.get("timestamp") or ""
    return Inbound(
        channel="signal",
        sender=sender,
        text=text,
        to=settings.DEFENSA_SIGNAL_ACCOUNT,
        message_id=_message_id(sender, str(stamp)) if stamp else "",
        media=media,
    )


def _safe_id(value: object) -> bool:
    return isinstance(value, str) and bool(SAFE_ID.match(value)) and ".." not in value


def _message_id(sender: str, stamp: str) -> str:
    """A repeat-proof id for a Signal message that does not name its sender."""
    return "sg" + salted_hmac("defensa.signal.message", f"{sender}:{stamp}").hexdigest()[:40]


def _attachment_id(attachment: str) -> str:
    return "sa" + salted_hmac("defensa.signal.attachment", attachment).hexdigest()[:40]
