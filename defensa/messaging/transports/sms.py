"""SMS through Twilio's REST API, over the one outbound HTTP client."""

from __future__ import annotations

import httpx
from django.conf import settings

from defensa.core import http
from defensa.messaging.transports.base import Transport, TransportError

# Twilio error codes that will not succeed on retry (invalid or unreachable number, opted out).
PERMANENT_CODES = {21211, 21212, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006}


class TwilioSMS(Transport):
    @classmethod
    def configured(cls) -> bool:
        return bool(settings.DEFENSA_TWILIO_ACCOUNT_SID and settings.DEFENSA_TWILIO_AUTH_TOKEN)

    def send(self, *, to: str, body: str) -> str:
        sid = settings.DEFENSA_TWILIO_ACCOUNT_SID
        url = f"{settings.DEFENSA_TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json"
        sender = settings.DEFENSA_TWILIO_FROM
        data = {"To": to, "Body": body}
        data["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        try:
            response = http.client().post(
                url, data=data, auth=(sid, settings.DEFENSA_TWILIO_AUTH_TOKEN)
            )
        except httpx.HTTPError as exc:
            raise TransportError(
                f"twilio unreachable: {type(exc).__name__}", permanent=False
            ) from exc
        if response.status_code in (200, 201):
            return str(response.json().get("sid", ""))
        code = _error_code(response)
        permanent = response.status_code in (400, 404) and (
            code in PERMANENT_CODES or response.status_code == 404
        )
        if response.status_code in (401, 403):
            permanent = False  # our credentials: an operator must fix them, then it works
        raise TransportError(f"twilio {response.status_code} code {code}", permanent=permanent)


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except ValueError:
        return None
    return int(code) if isinstance(code, int) else None
