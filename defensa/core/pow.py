"""Proof-of-work for anonymous forms under load: a single-use, expiring challenge that costs
a browser a little computing and a flood a lot.

Challenges are stateless (signed with the site's secret); the only state is a short-lived
"used" mark in the cache, so one solution cannot be replayed.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

LIFETIME = 600  # seconds a challenge stays valid
VERSION = "v1"


def _sign(body: str) -> str:
    return salted_hmac("defensa.core.pow", body, algorithm="sha256").hexdigest()[:32]


def issue(difficulty: int, *, now: float | None = None) -> str:
    """A challenge asking for `difficulty` leading zero bits."""
    body = f"{VERSION}.{int(now or time.time())}.{secrets.token_hex(12)}.{difficulty}"
    return f"{body}.{_sign(body)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def solve(challenge: str) -> str:
    """What a browser does (reference implementation, used by tests and benchmarks)."""
    difficulty = int(challenge.split(".")[3])
    nonce = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if leading_zero_bits(digest) >= difficulty:
            return str(nonce)
        nonce += 1


def verify(challenge: str, nonce: str, *, minimum: int, now: float | None = None) -> bool:
    """A valid, fresh, unused solution of at least `minimum` bits. Uses it up."""
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != VERSION or len(nonce) > 20:
        return False
    body, signature = ".".join(parts[:4]), parts[4]
    if not constant_time_compare(signature, _sign(body)):
        return False
    try:
        issued, difficulty = int(parts[1]), int(parts[3])
    except ValueError:
        return False
    current = now or time.time()
    if difficulty < minimum or not 0 <= current - issued <= LIFETIME:
        return False
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < difficulty:
        return False
    # Single use: the first to present it wins.
    return bool(cache.add(f"defensa:pow:{parts[2]}", 1, timeout=LIFETIME + 60))


def current_difficulty(*, scope: str = "report", now: float | None = None) -> int:
    """No work at all while things are calm; more as the last minutes get busier."""
    minute = int((now or time.time()) // 60)
    recent = sum(int(cache.get(f"defensa:powload:{scope}:{m}") or 0) for m in (minute, minute - 1))
    level = 0
    for threshold, bits in settings.DEFENSA_POW_LEVELS:
        if recent >= threshold:
            level = bits
    return level


def count_attempt(*, scope: str = "report", now: float | None = None) -> None:
    minute = int((now or time.time()) // 60)
    key = f"defensa:powload:{scope}:{minute}"
    cache.add(key, 0, timeout=180)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=180)
