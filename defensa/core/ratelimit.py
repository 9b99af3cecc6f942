"""Rate limits keyed by the request's client token (never an address): a fixed window (`allow`)
and a token bucket (`bucket`).

State lives in its own cache, "limits" (memory only, or Redis), expiring with its window. A
flood from many addresses makes one entry per address; kept apart, those entries can crowd out
only each other, never the proof-of-work's single-use marks or load counters.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

LIMITS = "limits"

# The bucket's read-modify-write, made atomic: one lock per process for the in-memory cache
# (shared by the server's threads), one script run for Redis (shared by every process).
_lock = threading.Lock()
_BUCKET_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + interval
if tat - now > tonumber(ARGV[3]) * interval then return 0 end
redis.call('SET', KEYS[1], tostring(tat), 'PX', ARGV[4])
return 1
"""


def store() -> BaseCache:
    return caches[LIMITS]


def allow(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in this `window` (seconds)."""
    token = getattr(request, "client_token", "unknown")
    key = f"defensa:rl:{scope}:{token}:{int(time.time()) // window}"
    counters = store()
    counters.add(key, 0, timeout=window + 5)
    try:
        count = counters.incr(key)
    except ValueError:  # evicted between add and incr
        counters.set(key, 1, timeout=window + 5)
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
    timeout = int(burst * interval) + 60
    backend = store()
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(full, write=True)
        allowed = client.eval(
            _BUCKET_SCRIPT,
            1,
            backend.make_and_validate_key(full),
            int(now * 1000),
            max(1, round(interval * 1000)),
            burst,
            timeout * 1000,
        )
        return bool(allowed)
    with _lock:
        theoretical = max(float(backend.get(full) or now), now) + interval
        if theoretical - now > burst * interval:
            return False
        backend.set(full, theoretical, timeout=timeout)
        return True
