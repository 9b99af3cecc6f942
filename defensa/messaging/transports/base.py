from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class TransportError(Exception):
    """Sending failed. `permanent` failures are not retried (a wrong number, a blocked user);
    `gone` ones also say the address no longer works (an invalid number, an expired push
    subscription, a recipient who unsubscribed at the provider), so it is not used again."""

    def __init__(self, message: str, *, permanent: bool, gone: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent or gone
        self.gone = gone


@dataclass(frozen=True)
class Outgoing:
    """One message of a batch. `key` is the caller's reference (a subscription id); `to` is
    the address (a string, or a push subscription's dict); nothing here is ever logged."""

    key: int
    to: Any
    body: str
    language: str = "es"
    title: str = ""
    # Per channel: "url" (push), "unsubscribe_url" (e-mail), "topic" (push), "recording" (voice).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    key: int
    ref: str = ""  # the provider's reference (a Twilio SID), when it gives one
    error: TransportError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Transport(ABC):
    """Sends text to addresses. Addresses never reach logs or errors."""

    @classmethod
    @abstractmethod
    def configured(cls) -> bool:
        """Whether this deployment set the channel up (each integration is off until then)."""

    @abstractmethod
    def send(self, *, to: str, body: str) -> str:
        """Send, returning the provider's reference; raise TransportError on failure."""

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        """Send a batch; one Result per message, in order. Channels that can keep many
        requests in flight, or reuse one connection, override this."""
        results = []
        for message in messages:
            try:
                results.append(Result(message.key, self.send(to=message.to, body=message.body)))
            except TransportError as exc:
                results.append(Result(message.key, error=exc))
        return results
