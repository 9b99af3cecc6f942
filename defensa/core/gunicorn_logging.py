"""Gunicorn's logger, made unable to record client addresses.

Gunicorn writes the peer address in some warnings ("Invalid request from ip=..."); its access
log would write it on every request. The access log stays off, and every line it does write
passes through the same redaction as the application's logs.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from defensa.core.privacy import RedactingFormatter


class RedactingLogger(Logger):
    def _set_handler(self, log: logging.Logger, output: Any, fmt: Any, stream: Any = None) -> None:
        redacting = RedactingFormatter(fmt._fmt, fmt.datefmt)
        super()._set_handler(log, output, redacting, stream=stream)

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None
