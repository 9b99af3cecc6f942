"""Proof-of-work for anonymous forms under load: a single-use, expiring challenge that costs
a browser a little computing and a flood a lot.

Challenges are stateless (signed with the site's secret); the only state is a short-lived
"used" mark in the cache, so one solution cannot be replayed.

Every submission must carry a challenge we issued and nobody used yet, even while things are
calm and no work is asked: a flood that replays one captured form, or makes challenges up, is
refused from its first request instead of after the load counter has caught up with it.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

LIFETIME = 600  # seconds a challenge stays valid
# A challenge this recent, asked at the level just below the one in force, still counts: the
# level may rise between the page being loaded and the phone finishing its work.
GRACE = 120
VERSION = "v1"
MAX_CHALLENGE = 120


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
    """A challenge we issued, not used before, solved to at least `minimum` bits. Uses it up.

    With `minimum` 0 (calm) no work is checked and an old page still counts (someone may take
    long to write); the challenge must still be ours and unused.
    """
    parts = challenge.split(".")
    if len(challenge) > MAX_CHALLENGE or len(parts) != 5 or parts[0] != VERSION:
        return False
    if len(nonce) > 20:
        return False
    body, signature = ".".join(parts[:4]), parts[4]
    if not constant_time_compare(signature, _sign(body)):
        return False
    try:
        issued, difficulty = int(parts[1]), int(parts[3])
    except ValueError:
        return False
    if minimum > 0:
        age = (now or time.time()) - issued
        if not 0 <= age <= LIFETIME:
            return False
        if difficulty < minimum and not (0 < _level_below(minimum) <= difficulty and age <= GRACE):
            return False
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if leading_zero_bits(digest) < difficulty:
            return False
    # Single use: the first to present it wins.
    return bool(cache.add(f"defensa:pow:{parts[2]}", 1, timeout=LIFETIME + 60))


def _level_below(bits: int) -> int:
    below = [level for _threshold, level in settings.DEFENSA_POW_LEVELS if level < bits]
    return max(below, default=0)


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
