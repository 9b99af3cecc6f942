"""A real Defensa web server on 127.0.0.1, for the intake benchmark and the flood test.

It is started the way a small deployment runs: gunicorn with `defensa.gunicorn_conf` (one
worker, eight threads unless told otherwise), zero configuration (SQLite and the in-memory
cache in a fresh data directory, migrated first), or PostgreSQL and Redis when their URLs are
given (a scratch database is created and dropped, and the cache keys get a prefix of their own).
One committee (ZIP 60608) takes the reports; a trusted-reporter link is issued for it.

Load comes from Debian's `wrk` with `wrk_form.lua` beside this module; `wrk()` runs it,
bounded in time and in count, against this machine only.

Run as a module (`python -m defensa.public.tests.live_server seed|reports`) it is the small
program that prepares and inspects the server's data from inside the server's environment.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HOST = "127.0.0.1"
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[2]
LUA = PACKAGE / "wrk_form.lua"
ZIP_CODE = "60608"
BOUNDARY = "----defensa-form-boundary"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Page:
    """What a browser keeps from the report form: the CSRF pair and the challenge."""

    cookie: str
    csrf: str
    challenge: str

    @property
    def difficulty(self) -> int:
        return int(self.challenge.split(".")[3])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """The body a browser sends for the report form (no file chosen: an empty file part)."""
    chunks = []
    for name, value in fields.items():
        chunks.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    chunks.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment"; filename=""\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\r\n--{BOUNDARY}--\r\n"
    )
    return "".join(chunks).encode(), f"multipart/form-data; boundary={BOUNDARY}"


@dataclass
class LiveServer:
    workers: int = 1
    threads: int = 8
    database_url: str = ""
    redis_url: str = ""
    # Header a simulated proxy puts the client's address in (each client then counts alone).
    proxy_header: str = ""
    log_path: Path | None = None
    # Further gunicorn options, over the config's (e.g. another worker class).
    gunicorn_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    trusted_token: str = ""
    env: dict[str, str] = field(default_factory=dict)
    _data: Path | None = None
    _scratch_db: str = ""
    _process: subprocess.Popen[bytes] | None = None
    _log: Any = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- Life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> LiveServer:
        try:
            self._prepare()
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
        if self._scratch_db:
            _postgres(self.database_url, f'DROP DATABASE IF EXISTS "{self._scratch_db}"')
        if self.redis_url and self.env.get("DEFENSA_CACHE_PREFIX"):
            _forget_redis(self.redis_url, self.env["DEFENSA_CACHE_PREFIX"])
        if self._data is not None:
            shutil.rmtree(self._data, ignore_errors=True)

    def _prepare(self) -> None:
        self._data = Path(tempfile.mkdtemp(prefix="defensa-live-"))
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DEFENSA_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "defensa.settings",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                "DEFENSA_DATA_DIR": str(self._data),
                # Static files are served from the packages (no collectstatic step to run).
                "DEFENSA_STATIC_MANIFEST": "0",
                "DEFENSA_TASKS_BACKEND": "db",
                "DEFENSA_LOG_LEVEL": "WARNING",
                "DEFENSA_WEB_WORKERS": str(self.workers),
                "DEFENSA_WEB_THREADS": str(self.threads),
            }
        )
        if self.proxy_header:
            env["DEFENSA_TRUSTED_PROXY_HEADER"] = self.proxy_header
        if self.database_url:
            self._scratch_db = f"defensa_live_{secrets.token_hex(4)}"
            _postgres(self.database_url, f'CREATE DATABASE "{self._scratch_db}"')
            env["DEFENSA_DATABASE_URL"] = _with_database(self.database_url, self._scratch_db)
        if self.redis_url:
            env["DEFENSA_REDIS_URL"] = self.redis_url
            env["DEFENSA_CACHE_PREFIX"] = f"defensa-live-{secrets.token_hex(4)}"
            env["DEFENSA_TASKS_BACKEND"] = "rq"
        self.env = env
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        self.trusted_token = str(self.inside("seed")["token"])

    def _start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:defensa.gunicorn_conf",
            "--bind",
            f"{HOST}:{self.port}",
            *self.gunicorn_args,
        ]
        self._log = (
            self.log_path.open("wb") if self.log_path else open(os.devnull, "wb")  # noqa: SIM115
        )
        self._process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("the server did not start (see its log)")
            time.sleep(0.2)
        # The first report loads the ZIP table and the keys: not part of any measurement.
        self.post_report(text="Prueba de arranque", trusted=True)

    # --- Inside the server's environment -----------------------------------------------------

    def inside(self, command: str) -> dict[str, Any]:
        """Run this module's `command` with the server's settings and data; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "defensa.public.tests.live_server", command],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    # --- Talking to it ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def form(self, *, address: str = "", path: str = "/reportar/") -> Page:
        headers = self._client(address)
        answer = self.request("GET", path, headers=headers)
        if answer.status != 200:
            raise RuntimeError(f"the form answered {answer.status}")
        cookie = re.search(r"csrftoken=([^;]+)", answer.headers.get("Set-Cookie", ""))
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
        challenge = re.search(rb'name="pow_challenge" value="([^"]*)"', answer.body)
        if not (cookie and csrf and challenge):
            raise RuntimeError("the form lacks its CSRF pair or its challenge")
        return Page(cookie.group(1), csrf.group(1).decode(), challenge.group(1).decode())

    def post_report(
        self,
        *,
        text: str,
        page: Page | None = None,
        nonce: str = "",
        trusted: bool = False,
        address: str = "",
    ) -> Answer:
        page = page or self.form(address=address)
        fields = report_fields(page, text=text, nonce=nonce)
        if trusted:
            fields["t"] = self.trusted_token
        body, content_type = multipart(fields)
        headers = {
            **self._client(address),
            "Cookie": f"csrftoken={page.cookie}",
            "Content-Type": content_type,
        }
        return self.request("POST", "/reportar/", body=body, headers=headers)

    def _client(self, address: str) -> dict[str, str]:
        if address and not self.proxy_header:
            raise ValueError("simulated addresses need the server started with a proxy header")
        return {self.proxy_header: address} if address else {}

    def wrk(
        self,
        *,
        mode: str,
        seconds: float,
        connections: int,
        max_requests: int,
        threads: int = 1,
        page: Page | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Run wrk against this server (bounded in time and in count); its figures."""
        return run_wrk(
            url=f"{self.url}{'/healthz' if mode == 'hello' else '/reportar/'}",
            mode=mode,
            seconds=seconds,
            connections=connections,
            threads=threads,
            max_requests=max_requests,
            env={
                "FORM_COOKIE": page.cookie if page else "",
                "FORM_CSRF": page.csrf if page else "",
                "FORM_CHALLENGE": page.challenge if page else "",
                "FORM_TOKEN": self.trusted_token,
                "FORM_ZIP": ZIP_CODE,
                "FORM_PROXY_HEADER": self.proxy_header,
                **(extra or {}),
            },
        )


def report_fields(page: Page, *, text: str, nonce: str = "") -> dict[str, str]:
    return {
        "csrfmiddlewaretoken": page.csrf,
        "what": text,
        "where": "Calle 18 y Blue Island",
        "zip_code": ZIP_CODE,
        "when": "now",
        "agency": "ice",
        "how_many": "3",
        "callback": "",
        "spoken": "",
        "lat": "",
        "lng": "",
        "pow_challenge": page.challenge,
        "pow_nonce": nonce,
        "t": "",
    }


def wrk_command() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise FileNotFoundError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def run_wrk(
    *,
    url: str,
    mode: str,
    seconds: float,
    connections: int,
    threads: int,
    max_requests: int,
    env: dict[str, str],
) -> dict[str, Any]:
    """wrk's figures for one run: requests, rps, statuses, latency percentiles (ms)."""
    if urlsplit(url).hostname != HOST:
        raise ValueError("load is only ever sent to this machine")
    command = [
        wrk_command(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=20s",
        f"--script={LUA}",
        url,
    ]
    run_env = {
        **os.environ,
        **env,
        "FORM_MODE": mode,
        # Each wrk thread stops after its share of the requests.
        "FORM_MAX": str(max(1, max_requests // threads)),
    }
    done = subprocess.run(
        command, env=run_env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise RuntimeError(f"wrk gave no figures: {done.stdout[-2000:]} {done.stderr[-2000:]}")


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement.encode())


def _forget_redis(url: str, prefix: str) -> None:
    """The server's counters and daily secret go with it."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


# --- Inside the server's environment (python -m defensa.public.tests.live_server ...) ---------


def _seed() -> dict[str, Any]:
    from defensa import testing
    from defensa.hotline import actions as hotline
    from defensa.network import actions as network
    from defensa.network.models import AreaKind

    committee = testing.committee("Comité de Pilsen")
    network.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value=ZIP_CODE)
    token = hotline.issue_trusted_token(actor=None, committee=committee, label="Banco de pruebas")
    return {"token": token}


def _reports() -> dict[str, Any]:
    from defensa.hotline import actions as hotline
    from defensa.hotline.models import Report

    texts = []
    for report in Report.objects.select_related("committee").iterator():
        parts = hotline.read_content(report).get("parts", [])
        texts.append(parts[0]["text"] if parts else "")
    return {"count": len(texts), "texts": texts}


def _main(command: str) -> None:
    import django

    django.setup()
    answer = {"seed": _seed, "reports": _reports}[command]()
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1])
