"""What the public sign-up page reads: the numbers people can text, and the push key.

Nothing here is protected: hotline numbers are published on purpose, and the VAPID public key
is what every browser is given."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.conf import settings

from defensa.hotline.models import HotlineNumber

MAX_NUMBERS = 5


@dataclass(frozen=True)
class TextNumbers:
    sms: list[str]
    whatsapp: str
    signal: str


def text_numbers() -> TextNumbers:
    numbers = list(
        HotlineNumber.objects.order_by("committee__name", "number").values_list(
            "number", flat=True
        )[:MAX_NUMBERS]
    )
    whatsapp = settings.DEFENSA_TWILIO_WHATSAPP_FROM
    return TextNumbers(
        sms=numbers,
        whatsapp=whatsapp if whatsapp.startswith("+") else "",
        signal=settings.DEFENSA_SIGNAL_ACCOUNT if settings.DEFENSA_SIGNAL_RPC_URL else "",
    )


def vapid_public_key() -> str:
    """The push key browsers subscribe with ("" while web push is off)."""
    try:
        module = importlib.import_module(settings.DEFENSA_PUSH_VAPID_KEYS)
    except ImportError:
        return ""
    maker = getattr(module, "public_key_b64url", None)
    return str(maker() or "") if callable(maker) else ""
