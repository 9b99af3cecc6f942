"""Helpers for the tests of reports by text message: post a signed webhook the way Twilio does,
read our answer, and look at everything the database holds."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.db import connection
from django.test import Client

from defensa.core.models import AuditEvent
from defensa.hotline.models import Conversation, MediaFetch, Report
from defensa.messaging.models import SeenInbound
from defensa.messaging.tests import fakes

HOOK = "/hooks/twilio/sms/"
PHONE = "+13125550142"
OTHER_PHONE = "+17735550199"

# GSM 03.38: an SMS in these characters carries 160 per segment (153 when split), any other
# character makes the whole message UCS-2: 70 (67 when split).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def segments(text: str) -> int:
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = len(text) + sum(c in GSM7_EXTENDED for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def post(params: dict[str, str], *, client: Client | None = None) -> Any:
    return fakes.signed_twilio_post(
        client or Client(), HOOK, params, public_url=settings.DEFENSA_PUBLIC_URL
    )


def answer(response: Any) -> str:
    """The text of our TwiML answer ('' when we answer nothing)."""
    assert response.status_code == 200, response.status_code
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    return " ".join(m.text or "" for m in root.iter("Message"))


def sms(body: str, *, sender: str = PHONE, **extra: str) -> str:
    return answer(post(fakes.sms_payload(sender, body, **extra)))


def counts() -> dict[str, int]:
    """What a refused request must not have written."""
    return {
        "reports": Report.objects.count(),
        "fetches": MediaFetch.objects.count(),
        "conversations": Conversation.objects.count(),
        "seen": SeenInbound.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def everything_stored() -> str:
    """Every value in every table, as text (sealed columns as their bytes, which never
    hold anything readable)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from Django
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def only_report() -> Report:
    return Report.objects.select_related("committee").get()
