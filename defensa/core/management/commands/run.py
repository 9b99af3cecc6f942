"""Run everything in the foreground: web server, task worker and scheduler. Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_SECONDS = 10.0


def process_specs(*, host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    specs = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "--config",
            "python:defensa.gunicorn_conf",
            "--bind",
            f"{host}:{port}",
        ]
    }
    if settings.TASKS_BACKEND == "db":
        specs["worker"] = [python, "-m", "django", "db_worker", "--queue-name", "*"]
    elif settings.TASKS_BACKEND == "rq":
        specs["worker"] = [
            python,
            "-m",
            "django",
            "rqworker",
            "--worker-class",
            "rq.SimpleWorker",
            "--job-class",
            "django_tasks_rq.Job",
            "default",
        ]
    specs["scheduler"] = [python, "-m", "django", "scheduler"]
    if settings.DEFENSA_SIGNAL_RPC_URL and settings.DEFENSA_SIGNAL_ACCOUNT:
        specs["signal"] = [python, "-m", "django", "signal_receive"]
    return specs


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "defensa.settings"}
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(settings.BASE_DIR), env.get("PYTHONPATH", "")])
        )
        specs = process_specs(host=options["host"], port=options["port"])
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in specs.items():
            children[name] = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Defensa is running at {url} (Ctrl-C stops it)"))
        self._print_demo_logins()
        failed = ""
        while not stopping and not failed:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = name
            time.sleep(0.3)
        self._stop_all(children)
        if failed:
            raise CommandError(f"the {failed} process stopped unexpectedly; everything stopped")

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _print_demo_logins(self) -> None:
        path = Path(settings.DATA_DIR) / "demo-logins.txt"
        if path.exists():
            self.stdout.write(path.read_text(encoding="utf-8"))
