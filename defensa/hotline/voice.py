"""The phone menu (Twilio Voice): what a caller hears and where each key takes them."""

from __future__ import annotations


def no_verified_alerts(zip_code: str, language: str) -> list[str]:
    """Until an alerts source is plugged in (DEFENSA_VERIFIED_ALERTS_FOR_ZIP): none."""
    return []
