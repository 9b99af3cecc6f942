"""Alert fan-out under failure: workers killed with SIGKILL, then the database "restarted".

    .venv/bin/python bench/fanout_chaos.py [--subscribers 100000] [--kills 5] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--lease 10] [--seed N]
        [--restarts 1]

Everything runs on 127.0.0.1. A scratch PostgreSQL database is created, migrated and dropped;
a fake web-push service runs as its own process (it checks each VAPID token and decrypts a
sample of the payloads) and counts what each subscriber received. The subscribers are all web
push (the channel fast enough for 100,000 in a run). One alert is approved (`fanout.plan` in
the approval's transaction, its batches enqueued on commit to the database task backend) and
two `manage.py db_worker` processes deliver it. While it goes out, a worker is killed with
SIGKILL `--kills` times at random moments (at random fractions of the fan-out, a random
worker each time; a fresh worker replaces it), then the database is restarted mid-fan-out.
By default the bench starts its own PostgreSQL server (Debian's binaries, a temporary data
directory, a free port on 127.0.0.1) and restarts it for real with `pg_ctl restart -m
immediate`: every connection is cut, nothing is checkpointed, and the server recovers from
its write-ahead log before it accepts connections again. With `--database-url` it uses that
server instead and, not to disturb others, only simulates the restart: new connections to the
scratch database are refused for a few seconds and every open one is ended
(`pg_terminate_backend`).
This process plays the scheduler's part: every second it runs the sweep
(`delivery_tasks.sweep_deliveries`'s work), which enqueues batches whose lease ran out.

Prints one key=value per figure: chaos_targets, chaos_lost (must be 0), chaos_duplicates,
chaos_duplicate_bound (one batch per failure: (kills + restarts) x the web-push batch size),
and how it went (kills, restarts, seconds, workers that died by themselves).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/postgres"
RESTART_SECONDS = 3.0
T = TypeVar("T")


def emit(key: str, value: object) -> None:
    sys.stdout.write(f"{key}={value}\n")
    sys.stdout.flush()


def note(text: str) -> None:
    sys.stderr.write(f"# {text}\n")
    sys.stderr.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres(url: str, *statements: str) -> list[Any]:
    import psycopg

    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            cursor = conn.execute(statement.encode())
            out.append(cursor.fetchall() if cursor.description else None)
    return out


def with_database(url: str, name: str) -> str:
    base, _sep, _old = url.rpartition("/")
    return f"{base}/{name}"


class PrivateServer:
    """A PostgreSQL server of our own, so it can be restarted for real without disturbing
    anyone: Debian's binaries, a temporary data directory, a free port on 127.0.0.1."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_version)
        if not found:
            raise SystemExit("no PostgreSQL binaries; pass --database-url")
        self.bin = found[-1].parent
        self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="defensa-chaos-pg-"))
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(  # noqa: S603 - Debian's own binaries
            [*prefix, *command], check=True, capture_output=True, cwd=self.data
        )

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} "
            # The bench restarts the server, never the machine: writes in the OS cache survive.
            "-c fsync=off -c max_connections=50"
        )
        log = str(self.data / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-l", log,
                  "-o", options, "-w", *args)  # fmt: skip

    def __enter__(self) -> PrivateServer:
        if os.geteuid() == 0:
            shutil.chown(self.data, user="postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data / "db"), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8")  # fmt: skip
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        """The real thing: an immediate shutdown (connections cut, no checkpoint) and a start
        that recovers from the write-ahead log."""
        self._pg_ctl("-m", "immediate", "restart")

    def __exit__(self, *exc: object) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.data, ignore_errors=True)


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parent.parent.name.split(".") if part.isdigit())


class Scratch:
    """A scratch database, data directory and environment for Defensa processes."""

    def __init__(
        self, server_url: str, *, lease: int, label: str, server: PrivateServer | None = None
    ) -> None:
        self.server = server
        self.server_url = server_url
        self.name = f"defensa_{label}_{secrets.token_hex(4)}"
        self.data = Path(tempfile.mkdtemp(prefix=f"defensa-{label}-"))
        self.url = with_database(server_url, self.name)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "defensa.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "DEFENSA_DATA_DIR": str(self.data),
            "DEFENSA_DATABASE_URL": self.url,
            "DEFENSA_TASKS_BACKEND": "db",
            "DEFENSA_STATIC_MANIFEST": "0",
            "DEFENSA_LOG_LEVEL": "WARNING",
            "DEFENSA_PUSH_SERVICE_HOSTS": "127.0.0.1",
            "DEFENSA_DELIVERY_LEASE_SECONDS": str(lease),
            "DEFENSA_PUBLIC_URL": "http://127.0.0.1:8000",
        }
        self.env.pop("DEFENSA_REDIS_URL", None)

    def __enter__(self) -> Scratch:
        postgres(self.server_url, f'CREATE DATABASE "{self.name}"')
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run(  # noqa: S603 - our own manage.py
            [*manage, "migrate", "--no-input"], env=self.env, check=True, capture_output=True
        )
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("DEFENSA_", "DJ"))})
        import django

        django.setup()
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connections

        connections.close_all()
        try:
            postgres(self.server_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as error:  # leave it rather than hide the figures
            note(f"could not drop {self.name}: {error}")

    def restart(self) -> str:
        """Restart the database under its clients: for real on a private server; else what a
        restart does to them (every connection ends, new ones are refused until it is back).
        Which of the two it was."""
        if self.server is not None:
            self.server.restart()
            return "pg_ctl_restart_immediate"
        postgres(
            self.server_url,
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608 - our name
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
        )
        time.sleep(RESTART_SECONDS)
        postgres(self.server_url, f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        return "pg_terminate_backend"


class FakePushProcess:
    def __init__(self, *, verify: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        module = "defensa.alerts.tests.delivery_fakes"
        command = [sys.executable, "-m", module, "push", str(self.port), verify]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
        deadline = time.monotonic() + 20
        while True:
            try:
                self.stats()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    def stats(self, *, counts: bool = False) -> dict[str, Any]:
        path = "/_counts" if counts else "/_stats"
        with urllib.request.urlopen(self.url + path, timeout=30) as answer:  # noqa: S310
            return dict(json.loads(answer.read()))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def patient(step: Callable[[], T], *, seconds: float = 60.0) -> T:
    """A step of this controller, waiting out the database restart it caused."""
    from django.db import InterfaceError, OperationalError, connection

    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def make_world(count: int, push_url: str, *, chunk: int = 5000) -> Any:
    """`count` web-push subscribers spread over the cells around one place, and an approved
    alert for that place (not planned yet)."""
    from defensa import testing
    from defensa.alerts import selection
    from defensa.alerts.tests import delivery_fakes as world
    from defensa.core import crypto

    committee = testing.committee("Bench committee")
    cells = sorted(selection.cells_within(world.CENTER, 5.0))
    made = 0
    # Setting up only: the subscriber key is looked up once, not once per address sealed.
    looked_up = crypto.current_key
    key = looked_up(committee=committee.code, purpose="subscriber")
    crypto.current_key = lambda **_kwargs: key
    try:
        for start in range(0, count, chunk):
            numbers = range(start, min(start + chunk, count))
            by_cell: dict[str, list[Any]] = {}
            for n in numbers:
                by_cell.setdefault(cells[n % len(cells)], []).append(
                    world.subscription(n, url=push_url)
                )
            for cell, addresses in by_cell.items():
                made += len(
                    world.subscribe(committee, channel="push", addresses=addresses, cells=[cell])
                )
    finally:
        crypto.current_key = looked_up
    return world.approved_alert(committee, cells=cells), made


def open_batches(alert_id: int) -> int:
    from defensa.alerts.fanout import OPEN
    from defensa.alerts.models import Delivery

    return Delivery.objects.filter(alert_id=alert_id, status__in=OPEN).count()


def sweep() -> int:
    from defensa.alerts import fanout

    due = fanout.due_batches()
    fanout.enqueue(due)
    return len(due)


class Workers:
    def __init__(self, env: dict[str, str], count: int, logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started = 0
        self.died_alone = 0
        self.processes: list[subprocess.Popen[bytes]] = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        command = [
            sys.executable,
            str(ROOT / "manage.py"),
            "db_worker",
            "--queue-name",
            "*",
            "--interval",
            "0.2",
            "--no-startup-delay",
        ]
        return subprocess.Popen(command, env=self.env, stdout=log, stderr=log, cwd=ROOT)  # noqa: S603

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.processes))
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait()
        self.processes[index] = self._start()

    def keep_alive(self) -> None:
        """A worker that died by itself (its database went away under it) is replaced, as a
        process supervisor would."""
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                self.died_alone += 1
                self.processes[index] = self._start()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def run(args: argparse.Namespace) -> int:
    if args.database_url:
        return run_on(args, args.database_url, None)
    with PrivateServer() as server:
        return run_on(args, server.url, server)


def run_on(args: argparse.Namespace, url: str, server: PrivateServer | None) -> int:
    rng = random.Random(args.seed)  # noqa: S311 - a benchmark
    restart_kind = "none"
    with Scratch(url, lease=args.lease, label="chaos", server=server) as scratch:
        push = FakePushProcess(verify="sample", env=scratch.env)
        workers: Workers | None = None
        try:
            from django.db import transaction

            from defensa.alerts import fanout
            from defensa.alerts.models import Reached

            started = time.monotonic()
            alert, made = make_world(args.subscribers, push.url)
            note(f"{made} subscribers in {time.monotonic() - started:.1f} s")
            workers = Workers(scratch.env, args.workers, scratch.data)
            time.sleep(1.0)  # let the workers start polling
            begun = time.monotonic()
            with transaction.atomic():
                batches = fanout.plan(alert=alert)
            note(f"{batches} batches planned and enqueued")
            kill_at = sorted(rng.uniform(0.05, 0.65) for _ in range(args.kills))
            restart_at = rng.uniform(0.7, 0.85) if args.restarts else 2.0
            kills = restarts = 0
            last_sweep = 0.0
            deadline = begun + args.timeout
            while time.monotonic() < deadline:
                received = int(push.stats()["received"])
                progress = received / max(1, made)
                if kill_at and progress >= kill_at[0]:
                    kill_at.pop(0)
                    time.sleep(rng.uniform(0.0, 0.3))
                    workers.kill_one(rng)
                    kills += 1
                    note(f"kill {kills} at {progress:.0%}")
                elif not kill_at and restarts < args.restarts and progress >= restart_at:
                    note(f"database restart at {progress:.0%}")
                    restart_kind = scratch.restart()
                    restarts += 1
                workers.keep_alive()
                if time.monotonic() - last_sweep >= 1.0:
                    patient(sweep)
                    last_sweep = time.monotonic()
                    if patient(lambda: open_batches(alert.pk)) == 0:
                        break
                time.sleep(0.05)
            seconds = time.monotonic() - begun
            remaining = patient(lambda: open_batches(alert.pk))
            stats = push.stats(counts=True)
            counts = {int(n): c for n, c in stats["counts"].items()}
            lost = sum(1 for n in range(made) if counts.get(n, 0) == 0)
            duplicates = sum(c - 1 for c in counts.values() if c > 1)
            reached = patient(lambda: Reached.objects.filter(alert=alert).count())
            emit("chaos_targets", made)
            emit("chaos_lost", lost)
            emit("chaos_duplicates", duplicates)
            emit("chaos_duplicate_bound", (kills + restarts) * fanout.BATCH["push"])
            emit("chaos_kills", kills)
            emit("chaos_db_restarts", restarts)
            emit("chaos_db_restart_kind", restart_kind)
            emit("chaos_workers_died_alone", workers.died_alone)
            emit("chaos_seconds", f"{seconds:.1f}")
            emit("chaos_open_batches_left", remaining)
            emit("chaos_reached_rows", reached)
            emit("chaos_push_problems", stats["problem_count"])
            emit("chaos_payloads_decrypted", stats["decrypted"])
            ok = (
                lost == 0
                and remaining == 0
                and duplicates <= (kills + restarts) * fanout.BATCH["push"]
            )
            return 0 if ok else 1
        finally:
            if workers is not None:
                workers.stop()
            push.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lease", type=int, default=10, help="lease seconds (short: fast runs)")
    parser.add_argument(
        "--database-url",
        default="",
        help=f"use this server (e.g. {DEFAULT_DB}); the restart is then simulated",
    )
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=None)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
