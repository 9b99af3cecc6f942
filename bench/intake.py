"""Intake throughput against hello-world, on the same real server in the same run.

    .venv/bin/python bench/intake.py [--seconds 60] [--connections 8]
        [--database-url postgres://postgres@127.0.0.1:5432/test --redis-url redis://127.0.0.1:6379/15
         --workers 2]

Starts gunicorn with `defensa.gunicorn_conf` on 127.0.0.1 the way a committee runs it (SQLite
in a fresh data directory, migrated, 1 worker x 8 threads), or on PostgreSQL and Redis (a
scratch database is created and dropped). Debian's wrk sends the load over loopback, bounded in
time and in count: GET /healthz (hello-world: middleware and nothing else) and POST /reportar/
(the public report form as a browser sends it, multipart, valid CSRF pair, Spanish text, a ZIP,
no file) with a committee's trusted-reporter link, so what is measured is storing a report, not
the flood defenses. Hello and intake alternate in short rounds so both see the same machine
(2 shared cores: figures are noisy, run it more than once). Prints one key=value per figure.
Afterwards the number of stored reports must equal the number of 302s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from defensa.public.tests.live_server import LiveServer  # noqa: E402

GOAL = 0.18
ROUNDS = 3


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        sys.stderr.write("# installing Debian's wrk (apt-get install -y wrk)\n")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)  # noqa: S607
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
        return
    sys.exit("This benchmark needs wrk: sudo apt-get install wrk (then run it again).")


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over rounds; the latency percentiles of the worst round (wrk gives no merge)."""
    requests = sum(run["requests"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    socket_errors = sum(sum(run["errors"].values()) for run in runs)
    return {
        "requests": requests,
        "rps": requests / seconds if seconds else 0.0,
        "statuses": statuses,
        "socket_errors": socket_errors,
        "p50_ms": max(run["p50_ms"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "rounds_rps": [round(run["requests"] / run["seconds"]) for run in runs],
    }


def calibrate(args: argparse.Namespace) -> None:
    sync = LiveServer(gunicorn_args=["--worker-class", "sync", "--workers", "4"])
    with sync:
        sync.wrk(mode="hello", seconds=2, connections=16, max_requests=args.max_requests)
        run = sync.wrk(
            mode="hello", seconds=8, connections=16, threads=2, max_requests=args.max_requests
        )
    sys.stdout.write(f"calibration_sync4_hello_rps={run['requests'] / run['seconds']:.1f}\n")
    sys.stdout.write(f"calibration_sync4_hello_p99_ms={run['p99_ms']}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="total time under load")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default="", help="PostgreSQL (a scratch DB is made)")
    parser.add_argument("--redis-url", default="", help="Redis for the cache (shared counters)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="cap per measurement")
    parser.add_argument("--log", type=Path, default=None, help="write the server's log here")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="first check that wrk can drive hello-world past NOTES-stack's ~2.7k req/s"
        " (gunicorn sync, 4 workers): the load generator is not what limits the figures",
    )
    args = parser.parse_args()
    if args.workers > 1 and not args.redis_url:
        sys.exit("More than one worker needs --redis-url (the in-memory cache is per process).")
    if args.workers > 1 and not args.database_url:
        sys.exit("More than one worker needs --database-url (SQLite is for one process).")
    ensure_wrk()
    if args.calibrate:
        calibrate(args)
    # A short warm-up of each, then ROUNDS x (hello, intake).
    warm = 2.0
    budget = max(4.0, args.seconds - 2 * warm)
    each = max(1.0, budget / (2 * ROUNDS))
    server = LiveServer(
        workers=args.workers,
        threads=args.threads,
        database_url=args.database_url,
        redis_url=args.redis_url,
        log_path=args.log,
    )
    with server:
        page = server.form()
        before = server.inside("reports")["count"]
        common = {
            "connections": args.connections,
            "threads": args.wrk_threads,
            "max_requests": args.max_requests,
        }
        hello_runs, intake_runs = [], []
        server.wrk(mode="hello", seconds=warm, **common)
        intake_runs.append(server.wrk(mode="intake", seconds=warm, page=page, **common))
        warmup_intake = intake_runs.pop()
        for _round in range(ROUNDS):
            hello_runs.append(server.wrk(mode="hello", seconds=each, **common))
            intake_runs.append(server.wrk(mode="intake", seconds=each, page=page, **common))
        time.sleep(0.5)  # requests wrk left in flight finish (or not) before counting
        stored = server.inside("reports")["count"] - before
    hello, intake = combine(hello_runs), combine(intake_runs)
    runs = [warmup_intake, *intake_runs]
    accepted = sum(run["statuses"].get("302", 0) for run in runs)
    # wrk stops with requests in flight; the server may still store those, unanswered.
    unanswered = sum(run["unanswered"] for run in runs)
    nothing_lost = accepted <= stored <= accepted + unanswered
    intake_errors = sum(n for status, n in intake["statuses"].items() if status != "302")
    hello_errors = sum(n for status, n in hello["statuses"].items() if status != "200")
    capped = any(run["requests"] >= args.max_requests for run in hello_runs + intake_runs)
    ratio = intake["rps"] / hello["rps"] if hello["rps"] else 0.0
    figures = {
        "database": "postgresql" if args.database_url else "sqlite",
        "cache": "redis" if args.redis_url else "locmem",
        "workers": args.workers,
        "threads": args.threads,
        "connections": args.connections,
        "seconds_each": round(each, 1),
        "rounds": ROUNDS,
        "hello_rps": round(hello["rps"], 1),
        "hello_rounds_rps": ",".join(map(str, hello["rounds_rps"])),
        "hello_p50_ms": hello["p50_ms"],
        "hello_p99_ms": hello["p99_ms"],
        "hello_requests": hello["requests"],
        "hello_errors": hello_errors + hello["socket_errors"],
        "intake_rps": round(intake["rps"], 1),
        "intake_rounds_rps": ",".join(map(str, intake["rounds_rps"])),
        "intake_p50_ms": intake["p50_ms"],
        "intake_p99_ms": intake["p99_ms"],
        "intake_requests": intake["requests"],
        "intake_errors": intake_errors + intake["socket_errors"],
        "intake_vs_hello_ratio": round(ratio, 3),
        "goal_ratio": GOAL,
        "reports_accepted": accepted,
        "reports_stored": stored,
        "reports_unanswered_at_stop": unanswered,
        "nothing_lost": int(nothing_lost),
        "capped": int(capped),
    }
    for key, value in figures.items():
        sys.stdout.write(f"{key}={value}\n")
    if capped:
        sys.stderr.write("# a measurement hit --max-requests: its rate is understated\n")
    if not nothing_lost:
        sys.stderr.write(
            f"# {accepted} reports were answered 302 (+{unanswered} cut off by wrk's stop)"
            f" but {stored} are stored\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
