"""The one outbound HTTP client. Every call to a provider (SMS, push, Signal, e-mail APIs) goes
through `client()`, so timeouts, headers and proxies are decided once and tests can forbid the
network in one place.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import CancelledError, InvalidStateError
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

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


# --- Many requests in flight (web push fan-out) -------------------------------------------------
#
# httpx spends ~0.4 ms of CPU per request (sync) and more through its async client; one web-push
# encryption costs ~0.09 ms, so a fan-out through httpx would spend most of its time in the
# client. `send_many` is the same policy as `client()` (timeout, User-Agent, no redirects
# followed, no proxy or netrc from the environment, TLS verified) on a small HTTP/1.1 engine:
# a few kept-alive connections per origin, several requests pipelined on each, all driven by
# one event loop in a background thread of the process. A server that closes a connection or
# answers with HTTP/1.0 gets the requests it did not answer again, one at a time from then on.

IDLE_SECONDS = 30.0
# Times a request a closing server left unanswered is sent again.
RETRIES = 2
NO_BODY = {204, 304}


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class ProtocolError(OSError):
    """The server's answer was not HTTP/1.1 as we read it."""


def _check_token(value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError("header or path with a line break")
    return value


_WAITING, _DONE, _CANCELLED = 0, 1, 2


class Outcome:
    """A request's answer to come: a light `concurrent.futures.Future` (result, cancel, done)
    whose lock is shared by every request of one `submit_many` call, not made per request
    (at fan-out rates a Future's own Condition costs a tenth of an encryption)."""

    __slots__ = ("_error", "_lock", "_state", "_value")

    def __init__(self, lock: threading.Condition) -> None:
        self._lock = lock
        self._state = _WAITING
        self._value: Response | None = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return self._state != _WAITING

    def cancel(self) -> bool:
        with self._lock:
            if self._state == _WAITING:
                self._state = _CANCELLED
                return True
            return False

    def set_result(self, value: Response) -> None:
        self._settle(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._settle(None, error)

    def _settle(self, value: Response | None, error: BaseException | None) -> None:
        with self._lock:
            if self._state != _WAITING:
                raise InvalidStateError("already settled")
            self._value, self._error, self._state = value, error, _DONE
            self._lock.notify_all()

    def result(self, timeout: float | None = None) -> Response:
        with self._lock:
            if not self._lock.wait_for(lambda: self._state != _WAITING, timeout):
                raise TimeoutError("no answer in time")
        if self._state == _CANCELLED:
            raise CancelledError
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _resolve(future: Outcome, outcome: Response | BaseException) -> None:
    """Settle a request's future unless its caller already cancelled it (another thread)."""
    try:
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    except InvalidStateError:
        pass


@dataclass
class _Pending:
    raw: bytes
    future: Outcome
    tries: int = 0


class _Connection(asyncio.Protocol):
    def __init__(self, origin: _Origin) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[_Pending] = deque()  # sent, unanswered, in order
        self.buffer = bytearray()
        self.closed = False
        self.reusable = True
        self.loop = asyncio.get_running_loop()
        self.idle_since = self.loop.time()
        # One timer per connection, moved lazily: progress only pushes `deadline` forward
        # (a timer per request or per answer costs more than parsing the answer).
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, items: list[_Pending]) -> None:
        """Write requests in one go (one system call for a pipelined run of them)."""
        assert self.transport is not None
        self.waiting.extend(items)
        self.transport.write(b"".join(item.raw for item in items))
        self._arm()

    def _arm(self) -> None:
        self.deadline = self.loop.time() + self.origin.timeout
        if self.timer is None:
            self.timer = self.loop.call_at(self.deadline, self._timed_out)

    def _timed_out(self) -> None:
        self.timer = None
        if not self.waiting:
            return
        if self.loop.time() < self.deadline:  # progress since: wait for the rest of it
            self.timer = self.loop.call_at(self.deadline, self._timed_out)
            return
        self._fail_all(TimeoutError("no answer in time"), retry=False)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.waiting:
            try:
                parsed = self._parse()
            except (ProtocolError, ValueError) as exc:
                self._fail_all(ProtocolError(str(exc)), retry=False)
                return
            if parsed is None:
                return
            item = self.waiting.popleft()
            _resolve(item.future, parsed)
            self._arm() if self.waiting else self._rest()
            if not self.reusable:
                self._fail_all(ConnectionResetError("server closed the connection"), retry=True)
                return
        self.origin.pump()

    def _rest(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.idle_since = asyncio.get_running_loop().time()

    def _parse(self) -> Response | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 65536:
                raise ProtocolError("header too long")
            return None
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        version, _sep, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
            self._fail_all(ProtocolError("not an HTTP/1.x answer"), retry=False)
            return None
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _sep, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if 100 <= status < 200:
            del self.buffer[:start]
            return self._parse()
        connection = headers.get("connection", "").lower()
        if connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive"):
            self.reusable = False
            self.origin.keeps_alive = False
        elif version == "HTTP/1.1" and self.origin.keeps_alive is None:
            self.origin.keeps_alive = True  # from now on, several requests in flight each
        if status in NO_BODY:
            body, used = b"", start
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            chunked = self._chunked(start)
            if chunked is None:
                return None
            body, used = chunked
        elif "content-length" in headers:
            used = start + int(headers["content-length"])
            if len(self.buffer) < used:
                return None
            body = bytes(self.buffer[start:used])
        else:
            self.reusable = False  # the body runs to the end of the connection
            if not self.closed:
                return None
            body, used = bytes(self.buffer[start:]), len(self.buffer)
        del self.buffer[:used]
        return Response(status, headers, body)

    def _chunked(self, start: int) -> tuple[bytes, int] | None:
        body = bytearray()
        at = start
        while True:
            line_end = self.buffer.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(bytes(self.buffer[at:line_end]).split(b";")[0], 16)
            at = line_end + 2
            if size == 0:
                trailer = self.buffer.find(b"\r\n\r\n", at - 2)
                return (bytes(body), trailer + 4) if trailer >= 0 else None
            if len(self.buffer) < at + size + 2:
                return None
            body += self.buffer[at : at + size]
            at += size + 2

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiting and self.buffer:
            try:
                parsed = self._parse()
            except (ProtocolError, ValueError):
                parsed = None
            if parsed is not None:
                _resolve(self.waiting.popleft().future, parsed)
        self.reusable = False
        if len(self.waiting) > 1:
            self.origin.keeps_alive = False  # it may not take pipelined requests
        self._fail_all(exc or ConnectionResetError("connection closed"), retry=True)

    def _fail_all(self, exc: BaseException, *, retry: bool) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.reusable = False
        waiting, self.waiting = self.waiting, deque()
        if self.transport is not None:
            self.transport.close()
        self.origin.forget(self)
        for item in waiting:
            # Requests a closing server left unanswered go again once, on a fresh connection.
            if retry and item.tries < RETRIES and not item.future.done():
                item.tries += 1
                self.origin.queue.appendleft(item)
            else:
                _resolve(item.future, exc)
        self.origin.pump()


class _Origin:
    def __init__(self, scheme: str, host: str, port: int, *, connections: int, pipeline: int):
        self.scheme, self.host, self.port = scheme, host, port
        self.max_connections = connections
        self.depth = pipeline
        # Unknown until the first answer: one request at a time per connection until the server
        # shows it keeps HTTP/1.1 connections alive (pipelining into a server that closes after
        # one answer makes it reset the connection, losing that answer too).
        self.keeps_alive: bool | None = None
        self.timeout = float(settings.DEFENSA_HTTP_TIMEOUT)
        self.queue: deque[_Pending] = deque()
        self.connections: list[_Connection] = []
        self.opening = 0

    @property
    def pipeline(self) -> int:
        return self.depth if self.keeps_alive else 1

    def forget(self, connection: _Connection) -> None:
        if connection in self.connections:
            self.connections.remove(connection)

    def pump(self) -> None:
        for connection in list(self.connections):
            batch: list[_Pending] = []
            room = self.pipeline - len(connection.waiting)
            while self.queue and connection.reusable and len(batch) < room:
                item = self.queue.popleft()
                if not item.future.done():  # a caller that gave up cancelled it
                    batch.append(item)
            if batch:
                connection.send(batch)
        if self.queue:
            spare = self.max_connections - len(self.connections) - self.opening
            wanted = -(-len(self.queue) // self.pipeline) - self.opening
            for _ in range(max(0, min(spare, wanted))):
                self.opening += 1
                asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        tls = ssl.create_default_context() if self.scheme == "https" else None
        try:
            _transport, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self),
                    self.host,
                    self.port,
                    ssl=tls,
                    server_hostname=self.host if tls else None,
                ),
                timeout=self.timeout,
            )
        except (OSError, TimeoutError) as exc:
            self.opening -= 1
            if not self.connections and not self.opening:
                while self.queue:
                    _resolve(self.queue.popleft().future, exc)
            return
        self.opening -= 1
        self.connections.append(connection)
        self.pump()

    def close_idle(self, now: float) -> None:
        for connection in list(self.connections):
            if not connection.waiting and now - connection.idle_since > IDLE_SECONDS:
                self.forget(connection)
                if connection.transport is not None:
                    connection.transport.close()


class _Engine:
    """The background event loop and its origins (one engine per process)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.origins: dict[tuple[str, str, int, int, int], _Origin] = {}
        self.thread = threading.Thread(target=self._run, name="defensa-http", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._sweep)
        self.loop.run_forever()

    def _sweep(self) -> None:
        now = self.loop.time()
        for origin in self.origins.values():
            origin.close_idle(now)
        self.loop.call_later(IDLE_SECONDS / 3, self._sweep)

    def submit(
        self, items: list[tuple[tuple[str, str, int], _Pending]], *, conns: int, depth: int
    ) -> None:
        def enqueue() -> None:
            touched = set()
            for (scheme, host, port), item in items:
                key = (scheme, host, port, conns, depth)
                origin = self.origins.get(key)
                if origin is None:
                    origin = self.origins[key] = _Origin(
                        scheme, host, port, connections=conns, pipeline=depth
                    )
                origin.queue.append(item)
                touched.add(key)
            for key in touched:
                self.origins[key].pump()

        self.loop.call_soon_threadsafe(enqueue)


_engine: _Engine | None = None


def _the_engine() -> _Engine:
    global _engine
    with _lock:
        if _engine is None or _engine.pid != os.getpid():
            _engine = _Engine()
        return _engine


@lru_cache(maxsize=4096)
def _target(scheme: str, netloc: str) -> tuple[tuple[str, str, int], str]:
    """(scheme, host, port) and the Host header of a URL's scheme and authority, parsed once
    per origin (a fan-out posts to a few origins many times)."""
    parts = urlsplit(f"{scheme}://{netloc}/")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("only http(s) URLs with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    authority = host if parts.port is None else f"{host}:{parts.port}"
    return (parts.scheme, host, port), _check_token(authority)


def _raw(request: Request) -> tuple[tuple[str, str, int], bytes]:
    scheme, sep, rest = request.url.partition("://")
    if not sep:
        raise ValueError("only http(s) URLs with a host")
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if 0 <= found < end:
            end = found
    origin, authority = _target(scheme, rest[:end])
    target = rest[end:].split("#", 1)[0]
    path = _check_token(target if target.startswith("/") else "/" + target)
    start = f"POST {path} HTTP/1.1\r\n".encode()
    length = f"Content-Length: {len(request.body)}\r\n\r\n".encode()
    return origin, start + _head(authority, tuple(request.headers.items())) + length + request.body


@lru_cache(maxsize=256)
def _head(authority: str, headers: tuple[tuple[str, str], ...]) -> bytes:
    """The header lines a batch's requests share (checked and encoded once per batch)."""
    lines = [f"Host: {authority}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{_check_token(k)}: {_check_token(v)}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n").encode()


def submit_many(
    requests: Sequence[Request], *, connections: int = 8, pipeline: int = 8
) -> list[Outcome]:
    """POST each request; a future per request (its Response, or the error that stopped it).
    Returns at once: the caller may prepare more while these are in flight."""
    futures: list[Outcome] = []
    items = []
    lock = threading.Condition()
    for request in requests:
        future = Outcome(lock)
        futures.append(future)
        try:
            origin, raw = _raw(request)
        except ValueError as exc:
            future.set_exception(exc)
            continue
        items.append((origin, _Pending(raw, future)))
    if items:
        _the_engine().submit(items, conns=max(1, connections), depth=max(1, pipeline))
    return futures


def send_many(
    requests: Sequence[Request], *, connections: int = 8, pipeline: int = 8
) -> list[Response | Exception]:
    """POST each request with many in flight; each one's Response or error, in order."""
    results: list[Response | Exception] = []
    deadline = time.monotonic() + float(settings.DEFENSA_HTTP_TIMEOUT) * 3 + 5
    for future in submit_many(requests, connections=connections, pipeline=pipeline):
        try:
            results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except TimeoutError as exc:
            future.cancel()  # not sent later, after the caller gave up on it
            results.append(exc)
        except Exception as exc:  # each request's own failure is its result
            results.append(exc)
    return results
