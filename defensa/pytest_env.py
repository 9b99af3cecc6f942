"""Loaded with `-p defensa.pytest_env` before pytest-django reads the settings: tests get a
private data directory (keys, SQLite file) and can reach nothing but this machine.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile

os.environ.setdefault("DEFENSA_DATA_DIR", tempfile.mkdtemp(prefix="defensa-test-"))
os.environ["DEFENSA_STATIC_MANIFEST"] = "0"
os.environ.setdefault("DEFENSA_TASKS_BACKEND", "db")  # the embedded default
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API


class RealNetworkCall(RuntimeError):
    """A test tried to reach a host that is not this machine."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets
    host = str(address[0]) if isinstance(address, tuple) else str(address)
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host.split("%")[0]).is_loopback:
            return
    except ValueError:
        pass
    raise RealNetworkCall(f"tests may not reach {host}: fake the provider with a local server")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
