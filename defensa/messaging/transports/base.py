from __future__ import annotations

from abc import ABC, abstractmethod


class TransportError(Exception):
    """Sending failed. `permanent` failures are not retried (a wrong number, a blocked user)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(ABC):
    """Sends one text to one address. Addresses never reach logs or errors."""

    @classmethod
    @abstractmethod
    def configured(cls) -> bool:
        """Whether this deployment set the channel up (each integration is off until then)."""

    @abstractmethod
    def send(self, *, to: str, body: str) -> str:
        """Send, returning the provider's reference; raise TransportError on failure."""
