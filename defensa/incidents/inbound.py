"""Answers to dispatch requests sent by SMS or Signal."""

from __future__ import annotations

from defensa.messaging.inbound import Inbound


def handle(message: Inbound) -> str | None:
    return None
