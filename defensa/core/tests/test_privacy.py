"""No client address is kept: not in the database, sessions, caches, logs or error output."""

from __future__ import annotations

import http.client
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from defensa import testing
from defensa.core import privacy

CLIENT_IP = "127.13.37.42"
HEADERS = {
    "REMOTE_ADDR": CLIENT_IP,
    "HTTP_X_FORWARDED_FOR": f"{CLIENT_IP}, 10.0.0.1",
    "HTTP_X_REAL_IP": CLIENT_IP,
    "HTTP_FORWARDED": f"for={CLIENT_IP}",
}


def traces(text: str) -> bool:
    return CLIENT_IP in text or "7f0d252a" in text.lower()


@pytest.fixture
def written_logs() -> Iterator[io.StringIO]:
    """Everything the configured log handlers would write, formatted as they format it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging_config: dict[str, Any] = settings.LOGGING
    formatter_config = logging_config["formatters"]["redacted"]
    handler.setFormatter(
        privacy.RedactingFormatter(formatter_config["format"], style=formatter_config["style"])
    )
    loggers = [logging.getLogger(name) for name in ("", "django", "django.request", "allauth")]
    for logger in loggers:
        logger.addHandler(handler)
    previous = logging.getLogger("django.request").level
    logging.getLogger("django.request").setLevel(logging.DEBUG)
    yield stream
    logging.getLogger("django.request").setLevel(previous)
    for logger in loggers:
        logger.removeHandler(handler)


def every_stored_value() -> Iterator[str]:
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for row in model._default_manager.all().values_list():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    yield bytes(value).decode("latin-1")
                else:
                    yield str(value)
    for session in Session.objects.all():
        yield str(session.get_decoded())
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        for key, value in backend._cache.items():  # type: ignore[attr-defined]
            yield f"{key}={value!r}"
    else:
        client = backend._cache.get_client()  # type: ignore[attr-defined]
        for key in client.scan_iter("*"):
            yield key.decode("latin-1")
            yield repr(client.get(key))


@pytest.mark.django_db
def test_requests_leave_no_client_address_anywhere(written_logs: io.StringIO) -> None:
    committee = testing.committee()
    coordinator = testing.member(committee, roles=["coordinator"], username="coord")
    assert coordinator.user is not None
    secret = testing.enrol_totp(coordinator.user)
    client = Client(**HEADERS)  # type: ignore[arg-type]

    client.get("/")
    client.get("/no-such-page/")
    client.get("/staff/")
    # A failed and a successful sign-in, with the second factor: rate limits and sessions.
    client.post("/accounts/login/", {"login": "coord", "password": "wrong"})
    client.post("/accounts/login/", {"login": "coord", "password": "correct horse battery"})
    code = testing.totp_code(secret)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get(f"/staff/c/{committee.code}/").status_code == 200
    client.get("/api/v1/committees")
    client.post("/api/v1/me", data=b"\xff\xfe", content_type="application/json")
    client.post("/join/", {"code": "NOPE-NOPE-NOPE"})
    Client(enforce_csrf_checks=True, **HEADERS).post("/join/", {"code": "x"})  # type: ignore[arg-type]
    client.post(f"/staff/c/{committee.code}/invitations/", {"roles": ["trainer"]})

    assert Session.objects.exists()
    for value in every_stored_value():
        assert not traces(value), value
    assert not traces(written_logs.getvalue()), written_logs.getvalue()
    assert written_logs.getvalue(), "the log capture saw nothing: the check would be vacuous"


def test_request_sees_a_token_not_the_address(rf) -> None:
    from defensa.core.middleware import ClientAddressMiddleware

    seen = {}

    def view(request):
        seen.update(request.META)
        seen["token"] = request.client_token
        from django.http import HttpResponse

        return HttpResponse()

    request = rf.get("/", **HEADERS)
    ClientAddressMiddleware(view)(request)
    assert not any(traces(str(value)) for value in seen.values())
    assert seen["token"].startswith(privacy.TOKEN_PREFIX)
    assert seen["token"] == privacy.client_token(CLIENT_IP)
    assert privacy.client_token("127.0.0.2") != seen["token"]


def test_tokens_change_with_the_day() -> None:
    from datetime import UTC, datetime

    today = privacy.client_token(CLIENT_IP, now=datetime(2026, 11, 28, tzinfo=UTC))
    tomorrow = privacy.client_token(CLIENT_IP, now=datetime(2026, 11, 29, tzinfo=UTC))
    assert today != tomorrow


@pytest.mark.parametrize(
    ("line", "leak"),
    [
        ("Invalid request from ip=127.13.37.42: bad", "127.13.37.42"),
        ("peer ::ffff:127.13.37.42 closed", "127.13.37.42"),
        ("peer 2001:db8::1 closed", "2001:db8::1"),
        ("peer fe80:0:0:0:0:0:0:1 closed", "fe80:0:0:0:0:0:0:1"),
        ("caller +1 (312) 555-0142 left a voicemail", "555-0142"),
        ("caller 3125550142", "3125550142"),
        ("mail maria@example.org", "maria@example.org"),
    ],
)
def test_log_lines_are_scrubbed(line: str, leak: str) -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, line, None, None)
    assert leak not in privacy.RedactingFormatter("%(message)s").format(record)


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-28 12:18:00,123 task 123e4567-e89b-12d3-a456-426614174000 done",
        "retention: destroyed 3 data keys at 12:18:00",
    ],
)
def test_log_scrubbing_keeps_times_and_ids(line: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, line, None, None)
    assert privacy.RedactingFormatter("%(message)s").format(record) == line


def test_tracebacks_are_scrubbed_too() -> None:
    try:
        raise ValueError(f"connection from {CLIENT_IP} failed")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    assert not traces(privacy.RedactingFormatter("%(message)s").format(record))


# --- The real server, end to end --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(CLIENT_IP, 0))
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


@pytest.mark.slow
def test_running_server_keeps_no_trace_of_the_client(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEFENSA_DATA_DIR": str(tmp_path),
        "DEFENSA_STATIC_MANIFEST": "0",
        "DEFENSA_TASKS_BACKEND": "db",
        "DEFENSA_LOG_LEVEL": "DEBUG",
    }
    for key in ("DEFENSA_DATABASE_URL", "DEFENSA_REDIS_URL"):
        env.pop(key, None)
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True, capture_output=True)
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*manage, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    _request(port, "GET", "/")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.3)
            response, page = _request(port, "GET", "/accounts/login/")
            cookie = response.getheader("Set-Cookie", "").split(";")[0]
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token is not None
            form = f"login=nobody&password=wrong&csrfmiddlewaretoken={token.group(1).decode()}"
            _request(
                port,
                "POST",
                "/accounts/login/",
                form,
                {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            _request(port, "GET", "/no-such-page/", headers={"X-Forwarded-For": CLIENT_IP})
            _request(port, "POST", "/join/", "code=x")  # no CSRF token
            # A request gunicorn itself rejects (it logs the peer address for these).
            with socket.create_connection(("127.0.0.1", port), source_address=(CLIENT_IP, 0)) as s:
                s.sendall(b"BROKEN\x01 / HTTP/1.1\r\n\r\n")
                s.recv(1024)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Defensa is running" in output
    # Ctrl-C stopped the web server and the worker too.
    with pytest.raises(ConnectionRefusedError):
        _request(port, "GET", "/")
    assert "Shutting down: Master" in output
    assert "shutting down gracefully" in output
    assert not traces(output), output
    stored = 0
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != log_path:
            stored += 1
            assert not traces(path.read_bytes().decode("latin-1")), path
    assert stored > 0
