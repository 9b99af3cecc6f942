"""The one error an action raises when a rule of the domain refuses the request."""

from __future__ import annotations


class ActionRefused(Exception):
    """A clear, translated reason shown to the person; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
