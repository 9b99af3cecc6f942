"""Django's SQLite backend, with write transactions queued in the process instead of in SQLite.

Every transaction begins with `BEGIN IMMEDIATE` (settings), so only one connection writes at a
time. When another thread of the same server already writes, SQLite's busy handler makes the
newcomer sleep and retry (1, 2, 5 ... 100 ms), waking late or not at all: under gunicorn's eight
threads intake slowed below one thread's and some reports waited seconds. A lock taken just
before `BEGIN IMMEDIATE` hands the write turn over as soon as it is free. Other processes (the
task worker) still meet at SQLite's own lock, with its timeout.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writing = False

    def _start_transaction_under_autocommit(self) -> None:
        # Past SQLite's own timeout, go ahead and let SQLite decide, as without the lock.
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        self._writing = _writer.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._done_writing()
            raise

    def _done_writing(self) -> None:
        if self._writing:
            self._writing = False
            _writer.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._done_writing()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._done_writing()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._done_writing()
