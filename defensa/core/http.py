"""The one outbound HTTP client. Every call to a provider (SMS, push, Signal, e-mail APIs) goes
through `client()`, so timeouts, headers and proxies are decided once and tests can forbid the
network in one place.
"""

from __future__ import annotations

import threading

import httpx
from django.conf import settings

USER_AGENT = "Defensa/0.1 (+self-hosted)"
_lock = threading.Lock()
_client: httpx.Client | None = None


def client() -> httpx.Client:
    """A shared, connection-pooling client (reused TLS connections cost far less than new ones)."""
    global _client
    with _lock:
        if _client is None or _client.is_closed:
            _client = httpx.Client(
                timeout=httpx.Timeout(settings.DEFENSA_HTTP_TIMEOUT),
                # Never follow a provider's redirect somewhere we did not choose.
                follow_redirects=False,
                # Ignore HTTP(S)_PROXY and netrc from the environment: deployments configure
                # egress explicitly, and credentials in a netrc must not leak to providers.
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            )
        return _client


def close() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
            _client = None
