"""SMS through Twilio's REST API, over the one outbound HTTP client.

`twilio_post` is shared with WhatsApp and voice calls (the same account, the same errors).
Batches (alerts) send several requests at once over the client's kept-alive connections and
ask Twilio for status callbacks, so a number found dead after hand-off is disabled too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
from django.conf import settings

from defensa.core import http
from defensa.messaging.transports.base import Outgoing, Result, Transport, TransportError

# Twilio error codes that say the address does not work (invalid, unreachable, landline,
# unknown, opted out with STOP, not on WhatsApp): the subscription is disabled.
GONE_CODES = {21211, 21217, 21610, 21614, 30003, 30005, 30006, 63003}
# Codes that will not succeed on retry but say nothing about the address.
PERMANENT_CODES = GONE_CODES | {21212, 21408, 21612, 30004}
# Requests in flight at once in a batch (each a thread on the shared, pooled client).
IN_FLIGHT = 8
STATUS_PATH = "/hooks/twilio/status/"


def twilio_configured() -> bool:
    return bool(settings.DEFENSA_TWILIO_ACCOUNT_SID and settings.DEFENSA_TWILIO_AUTH_TOKEN)


def status_callback_url() -> str:
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + STATUS_PATH


def twilio_post(resource: str, data: dict[str, str]) -> str:
    """POST to the account's `resource` ("Messages", "Calls"); the new SID."""
    sid = settings.DEFENSA_TWILIO_ACCOUNT_SID
    url = f"{settings.DEFENSA_TWILIO_API_URL}/2010-04-01/Accounts/{sid}/{resource}.json"
    try:
        response = http.client().post(
            url, data=data, auth=(sid, settings.DEFENSA_TWILIO_AUTH_TOKEN)
        )
    except httpx.HTTPError as exc:
        raise TransportError(f"twilio unreachable: {type(exc).__name__}", permanent=False) from exc
    if response.status_code in (200, 201):
        return str(response.json().get("sid", ""))
    code = _error_code(response)
    permanent = response.status_code in (400, 404) and (
        code in PERMANENT_CODES or response.status_code == 404
    )
    if response.status_code in (401, 403):
        permanent = False  # our credentials: an operator must fix them, then it works
    gone = response.status_code == 400 and code in GONE_CODES
    raise TransportError(
        f"twilio {response.status_code} code {code}", permanent=permanent, gone=gone
    )


def sender_field(sender: str) -> dict[str, str]:
    return {"MessagingServiceSid" if sender.startswith("MG") else "From": sender}


def in_flight(
    send: Callable[[Outgoing], str], messages: Sequence[Outgoing], *, workers: int = IN_FLIGHT
) -> list[Result]:
    """Send each message with `send`, several at once; one Result each, in order."""

    def one(message: Outgoing) -> Result:
        try:
            return Result(message.key, send(message))
        except TransportError as exc:
            return Result(message.key, error=exc)

    if len(messages) <= 1:
        return [one(message) for message in messages]
    with ThreadPoolExecutor(max_workers=min(workers, len(messages))) as pool:
        return list(pool.map(one, messages))


class TwilioSMS(Transport):
    @classmethod
    def configured(cls) -> bool:
        return twilio_configured()

    def send(self, *, to: str, body: str) -> str:
        return twilio_post(
            "Messages", {"To": to, "Body": body, **sender_field(settings.DEFENSA_TWILIO_FROM)}
        )

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        callback = status_callback_url()

        def send(message: Outgoing) -> str:
            data = {"To": str(message.to), "Body": message.body, "StatusCallback": callback}
            return twilio_post("Messages", {**data, **sender_field(settings.DEFENSA_TWILIO_FROM)})

        return in_flight(send, messages)


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except ValueError:
        return None
    return int(code) if isinstance(code, int) else None
