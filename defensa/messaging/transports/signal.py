"""Signal through a signal-cli daemon's JSON-RPC interface (HTTP), over the outbound client.

Production runs signal-cli (`signal-cli -a ACCOUNT daemon --http 127.0.0.1:8080
--receive-mode=manual`); tests run a local fake that speaks the same protocol.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from django.conf import settings

from defensa.core import http
from defensa.messaging.transports.base import Transport, TransportError


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

    def receive(self) -> list[tuple[str, str]]:
        """Messages waiting at the daemon, as (sender number, text)."""
        result = self._call("receive", {"timeout": 1})
        messages: list[tuple[str, str]] = []
        for item in result or []:
            envelope = item.get("envelope", item)
            text = (envelope.get("dataMessage") or {}).get("message")
            sender = envelope.get("sourceNumber") or envelope.get("source")
            if text and sender:
                messages.append((str(sender), str(text)))
        return messages
