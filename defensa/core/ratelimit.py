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
