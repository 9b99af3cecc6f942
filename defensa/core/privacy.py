"""Keeping client addresses (and other identifying strings) out of everything we keep.

* `client_token()` turns an address into a keyed hash under a secret that changes every UTC day
  and lives only in the cache's memory, so rate limits can count a client without anyone being
  able to recover the address later.
* `RedactingFormatter` scrubs IP addresses, phone numbers and e-mail addresses from every log
  line, including tracebacks, whatever logger produced them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta

from django.core.cache import cache

_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
_HEX = r"[0-9A-Fa-f]{1,4}"
# Full eight-group addresses, or compressed ones (which always contain "::"); times such as
# 12:18:00 must not match.
_IPV6 = (
    rf"(?<![\w:])(?:{_HEX}:){{7}}{_HEX}(?![\w:.])"
    rf"|(?<![\w:])(?:{_HEX}(?::{_HEX})*)?::(?:{_HEX}(?::{_HEX})*)?(?![\w:.])"
)
# E.164 with a plus; US styles with separators; 10 or 11 bare digits. UUID groups and dates
# (preceded or followed by "-") do not match.
_PHONE = (
    r"\+\d[\d\s().-]{8,18}\d"
    r"|(?<![\w-])\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?![\w-])"
    r"|(?<![\w-])1?\d{10}(?![\w-])"
)
_EMAIL = r"[\w.+-]+@[\w-]+\.[\w.-]+"
_SCRUB = re.compile(f"{_IPV4}|{_IPV6}|{_PHONE}|{_EMAIL}")
REDACTED = "[redacted]"
TOKEN_PREFIX = "c-"  # noqa: S105 - a label, not a secret


def scrub(text: str) -> str:
    return _SCRUB.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes addresses and numbers from the whole output."""

    def format(self, record: logging.LogRecord) -> str:
        # Objects attached by servers (sockets, requests) can carry the peer address.
        for attribute in ("request", "client_address", "peer"):
            if hasattr(record, attribute):
                setattr(record, attribute, None)
        return scrub(super().format(record))


_memo: dict[str, bytes] = {}


def _daily_secret(day: str) -> bytes:
    secret = _memo.get(day)
    if secret is not None:
        return secret
    key = f"defensa:client-secret:{day}"
    # add() so that processes sharing the cache agree on one secret; it expires with the day.
    candidate = secrets.token_hex(32)
    cache.add(key, candidate, timeout=2 * 24 * 3600)
    secret = bytes.fromhex(str(cache.get(key) or candidate))
    if len(_memo) >= 2:  # today's and yesterday's
        _memo.clear()
    _memo[day] = secret
    return secret


def client_token(address: str, *, now: datetime | None = None, days_ago: int = 0) -> str:
    """A keyed, day-scoped hash of a client address; the address itself is not kept.

    `days_ago=1` gives yesterday's token, for state that must outlive midnight by a little
    (a conversation that started at 23:55).
    """
    day = ((now or datetime.now(tz=UTC)) - timedelta(days=days_ago)).strftime("%Y-%m-%d")
    digest = hmac.new(_daily_secret(day), address.encode(), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[:32]
