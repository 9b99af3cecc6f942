"""A small fixed-window limiter keyed by the request's client token (never an address).

Counters live in the cache (memory only) and expire with their window.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def allow(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in this `window` (seconds)."""
    token = getattr(request, "client_token", "unknown")
    key = f"defensa:rl:{scope}:{token}:{int(time.time()) // window}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= limit


def bucket(key: str, *, per_minute: float, burst: int, now: float | None = None) -> bool:
    """A token bucket (as a "generic cell rate" value: one number per key): up to `burst`
    at once, then `per_minute` on average. Returns False when this one is over the limit.

    Keys must never contain an address or a number in clear: callers pass keyed tokens.
    """
    now = time.time() if now is None else now
    interval = 60.0 / per_minute
    full = f"defensa:bucket:{key}"
    theoretical = max(float(cache.get(full) or now), now) + interval
    if theoretical - now > burst * interval:
        return False
    cache.set(full, theoretical, timeout=int(burst * interval) + 60)
    return True
