"""Deployment checks (`manage.py check --deploy`) for what Django cannot know about."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def redis_keeps_nothing_on_disk(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The cache holds the day's client-token secret and rate-limit counters keyed by tokens.

    Written to disk, a copy of both would let someone test every IPv4 address against the
    tokens. They must live in memory only.
    """
    if not settings.REDIS_URL:
        return []
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3)
        save = client.config_get("save").get("save", "")
        appendonly = client.config_get("appendonly").get("appendonly", "no")
    except redis.RedisError as exc:
        return [
            Warning(
                f"Cannot confirm that Redis keeps nothing on disk ({type(exc).__name__}).",
                hint="Run Redis with --save '' --appendonly no, and allow CONFIG GET.",
                id="defensa.W001",
            )
        ]
    if save or appendonly != "no":
        return [
            Warning(
                "Redis writes its data to disk (RDB snapshots or an append-only file).",
                hint="Run Redis with --save '' --appendonly no: the cache must stay in memory.",
                id="defensa.W002",
            )
        ]
    return []
