"""Alert fan-out figures, all on loopback, in one run.

    .venv/bin/python bench/fanout.py [--parts push,pywebpush,fanout,pacing,area]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--subscribers 100000]
        [--area-subscribers 1000000] [--seconds 6]

Parts (each bounded in time or count):

- push: web-push sending rate (`WebPush.send_many`: RFC 8291 encryption, cached VAPID token,
  kept-alive pipelined connections) to a fake push service in its own process, against the raw
  RFC 8291 encryption rate (`push.encrypt` in a loop) in the same process, same payloads:
  `webpush_vs_encrypt_ratio` (goal >= 0.70).
- pywebpush: the same sending rate against a plain `pywebpush.webpush()` loop to the same
  service: `webpush_vs_pywebpush_ratio` (goal >= 8).
- fanout: a scratch PostgreSQL database, `--subscribers` web-push subscribers, two
  `manage.py db_worker` processes already polling; the time from approval (`fanout.plan` in
  the approval's transaction, enqueued on commit) to the last hand-off (the push service has
  answered every subscriber): `fanout_100k_seconds`.
- pacing: SMS through a fake Twilio at a configured rate, sent by the same two workers sharing
  the sender's pace through the database: `sms_pacing_error_pct` (goal within +-5).
- area: `--area-subscribers` subscribers in memory (`selection.CellIndex`) over a metro area,
  most with a resolution-7 cell, some with coarser ones; 1.5 km and 5 km circles around random
  points: `area_p95_ms_1500m`, `area_p95_ms_5km`, and `area_recall` against a brute force over
  every cell (a cell counts when a densely sampled point of its outline, or the circle's
  centre, lies in the circle).

Prints one key=value per figure. Two shared cores: the figures are noisy, run it more than once.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fanout_chaos import (  # noqa: E402
    DEFAULT_DB,
    FakePushProcess,
    Scratch,
    Workers,
    emit,
    make_world,
    note,
    open_batches,
    patient,
    sweep,
)

PAYLOAD_TEXT = (
    "ALERTA verificada: actividad de ICE en La Villita. Código 7K2Q. https://d.example/v/7K2Q"
)
SMS_RATE = 50
SMS_MESSAGES = 400


def _setup_standalone() -> None:
    """Django for the parts that need no database of their own (push, area)."""
    if "DJANGO_SETTINGS_MODULE" in os.environ and os.environ.get("DEFENSA_DATA_DIR"):
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = "defensa.settings"
    os.environ["DEFENSA_DATA_DIR"] = tempfile.mkdtemp(prefix="defensa-bench-")
    os.environ["DEFENSA_PUSH_SERVICE_HOSTS"] = "127.0.0.1"
    os.environ.pop("DEFENSA_DATABASE_URL", None)
    import django

    django.setup()


def _messages(service_url: str, count: int) -> list[Any]:
    from defensa.alerts.tests import delivery_fakes as world
    from defensa.messaging.transports import Outgoing

    return [
        Outgoing(
            key=n,
            to=world.subscription(n, url=service_url),
            body=PAYLOAD_TEXT,
            title="Actividad confirmada",
            extra={"url": "https://d.example/v/7K2Q", "topic": "abc"},
        )
        for n in range(count)
    ]


def encrypt_rate(messages: list[Any], seconds: float) -> float:
    from defensa.messaging.transports import push

    done = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        for message in messages[:500]:
            keys = message.to["keys"]
            push.encrypt(
                push.payload(message),
                p256dh=push.unb64url(keys["p256dh"]),
                auth=push.unb64url(keys["auth"]),
            )
        done += min(500, len(messages))
    return done / (time.perf_counter() - began)


def send_rate(messages: list[Any], seconds: float) -> tuple[float, int]:
    from defensa.messaging.transports import push

    sender = push.WebPush()
    sender.send_many(messages[:200])  # connections open, token signed: the steady state
    done = failed = 0
    began = time.perf_counter()
    step = 2000
    while time.perf_counter() - began < seconds:
        start = done % max(1, len(messages) - step)
        results = sender.send_many(messages[start : start + step])
        failed += sum(1 for r in results if not r.ok)
        done += len(results)
    return done / (time.perf_counter() - began), failed


def pywebpush_rate(service_url: str, seconds: float, limit: int = 3000) -> tuple[float, int]:
    import pywebpush
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from defensa.alerts.tests import delivery_fakes as world

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    from py_vapid import Vapid02

    vapid = Vapid02.from_pem(pem.encode())
    done = failed = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds and done < limit:
        response = pywebpush.webpush(
            world.subscription(done, url=service_url),
            data=PAYLOAD_TEXT,
            vapid_private_key=vapid,
            vapid_claims={"sub": "mailto:bench@defensa.example.org"},
            ttl=43200,
        )
        if getattr(response, "status_code", 0) not in (200, 201):
            failed += 1
        done += 1
    return done / (time.perf_counter() - began), failed


def part_push(args: argparse.Namespace, figures: dict[str, float]) -> None:
    _setup_standalone()
    from django.conf import settings

    service = FakePushProcess(verify="none", env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        settings.DEFENSA_PUSH_SERVICE_HOSTS = ["127.0.0.1"]
        messages = _messages(service.url, 20_000)
        baseline = "pywebpush" in args.parts
        # Short rounds of each, alternating, so all see the same machine (2 shared cores, and
        # other work on them); each round gives its own ratios, the median is reported.
        share = args.seconds / 3
        rounds = []
        for _round in range(3):
            encrypting = encrypt_rate(messages, share)
            sending, failed = send_rate(messages, share)
            plain, plain_failed = pywebpush_rate(service.url, share) if baseline else (0.0, 0)
            rounds.append((encrypting, sending, plain, failed + plain_failed))
            note(
                f"round: encrypt {encrypting:.0f}/s, send {sending:.0f}/s, "
                f"pywebpush {plain:.0f}/s, {failed + plain_failed} failed"
            )
        emit("webpush_encrypt_per_s", f"{statistics.median(r[0] for r in rounds):.0f}")
        emit("webpush_send_per_s", f"{statistics.median(r[1] for r in rounds):.0f}")
        emit("webpush_failed", sum(r[3] for r in rounds))
        emit("webpush_vs_encrypt_ratio", f"{statistics.median(r[1] / r[0] for r in rounds):.3f}")
        if baseline:
            emit("pywebpush_send_per_s", f"{statistics.median(r[2] for r in rounds):.1f}")
            ratio = statistics.median(r[1] / r[2] for r in rounds)
            emit("webpush_vs_pywebpush_ratio", f"{ratio:.2f}")
        figures["send"] = statistics.median(r[1] for r in rounds)
        stats = service.stats()
        emit("push_service_connections", stats["connections"])
        emit("push_service_problems", stats["problem_count"])
    finally:
        service.stop()


def part_fanout_and_pacing(args: argparse.Namespace) -> None:
    from defensa.messaging.tests import fakes

    arrivals: list[float] = []
    lock = threading.Lock()

    def answer(fake: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        with lock:
            arrivals.append(time.monotonic())
        return fakes._twilio_answer(fake, body)

    with fakes._serve(answer) as twilio:
        os.environ.update(
            {
                "DEFENSA_TWILIO_ACCOUNT_SID": fakes.TWILIO_SID,
                "DEFENSA_TWILIO_AUTH_TOKEN": fakes.TWILIO_TOKEN,
                "DEFENSA_TWILIO_FROM": "+13125550000",
                "DEFENSA_TWILIO_API_URL": twilio.url,
                "DEFENSA_SMS_PER_SECOND": str(SMS_RATE),
            }
        )
        with Scratch(args.database_url, lease=30, label="fanout") as scratch:
            push = FakePushProcess(verify="sample", env=scratch.env)
            workers: Workers | None = None
            try:
                from django.db import transaction

                from defensa.alerts import fanout
                from defensa.alerts.tests import delivery_fakes as world

                workers = Workers(scratch.env, 2, scratch.data)
                if "fanout" in args.parts:
                    began = time.monotonic()
                    alert, made = make_world(args.subscribers, push.url)
                    note(f"{made} subscribers in {time.monotonic() - began:.1f} s")
                    time.sleep(2.0)  # the workers are polling
                    began = time.monotonic()
                    with transaction.atomic():
                        fanout.plan(alert=alert)
                    last = 0
                    while time.monotonic() - began < args.timeout:
                        received = int(push.stats()["received"])
                        if received >= made:
                            break
                        if received == last:
                            patient(sweep)
                        last = received
                        time.sleep(0.05)
                    seconds = time.monotonic() - began
                    stats = push.stats()
                    emit("fanout_subscribers", made)
                    emit("fanout_received", stats["received"])
                    emit("fanout_push_problems", stats["problem_count"])
                    emit(
                        "fanout_100k_seconds" if made == 100_000 else "fanout_seconds",
                        f"{seconds:.2f}",
                    )
                    emit("fanout_per_s", f"{made / seconds:.0f}")
                    while patient(lambda: open_batches(alert.pk)):
                        time.sleep(0.2)
                if "pacing" in args.parts:
                    from defensa import testing

                    committee = testing.committee("Pacing committee")
                    phones = [f"+1773{n:07d}" for n in range(SMS_MESSAGES)]
                    from defensa.core import geo

                    cell = geo.coarse_cell(*world.CENTER)
                    world.subscribe(committee, channel="sms", addresses=phones, cells=[cell])
                    alert = world.approved_alert(committee, cells=[cell])
                    arrivals.clear()
                    with transaction.atomic():
                        fanout.plan(alert=alert)
                    deadline = time.monotonic() + SMS_MESSAGES / SMS_RATE * 3 + 30
                    while len(arrivals) < SMS_MESSAGES and time.monotonic() < deadline:
                        time.sleep(0.1)
                    times = sorted(arrivals)
                    tick = max(1, int(SMS_RATE * 0.1))
                    measured = (len(times) - tick) / (times[-1] - times[0])
                    error = (measured - SMS_RATE) / SMS_RATE * 100
                    emit("sms_configured_per_s", SMS_RATE)
                    emit("sms_sent", len(times))
                    emit("sms_measured_per_s", f"{measured:.2f}")
                    emit("sms_pacing_error_pct", f"{error:+.2f}")
            finally:
                if workers is not None:
                    workers.stop()
                push.stop()


def part_area(args: argparse.Namespace) -> None:
    _setup_standalone()
    import h3

    from defensa.alerts import selection

    rng = random.Random(11)  # noqa: S311 - a benchmark
    lat0, lng0 = 41.85, -87.70  # Chicago
    count = args.area_subscribers
    began = time.monotonic()
    index = selection.CellIndex()
    cells_of: dict[str, int] = {}
    for n in range(count):
        lat = lat0 + rng.uniform(-0.25, 0.25)
        lng = lng0 + rng.uniform(-0.33, 0.33)
        resolution = 7 if n % 20 else rng.choice([4, 5, 6])  # 5 % chose a county or a zone
        cell = h3.latlng_to_cell(lat, lng, resolution)
        index.add(n, cell)
        cells_of[cell] = cells_of.get(cell, 0) + 1
    note(f"{count} subscribers, {len(index)} cells, indexed in {time.monotonic() - began:.1f} s")
    for radius, key in ((1.5, "area_p95_ms_1500m"), (5.0, "area_p95_ms_5km")):
        timings = []
        recall_found = recall_truth = 0
        for query in range(args.area_queries):
            center = (lat0 + rng.uniform(-0.2, 0.2), lng0 + rng.uniform(-0.27, 0.27))
            start = time.perf_counter()
            found = index.within(center, radius)
            timings.append((time.perf_counter() - start) * 1000)
            if query < args.recall_queries:
                truth = _truth(index, cells_of, center, radius)
                recall_found += len(found & truth)
                recall_truth += len(truth)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        emit(key, f"{p95:.2f}")
        emit(key.replace("p95", "median"), f"{statistics.median(timings):.2f}")
        emit(f"area_recall_{key.rsplit('_', 1)[1]}", f"{recall_found / max(1, recall_truth):.4f}")
        args.recall.append(recall_found / max(1, recall_truth))
    emit("area_subscribers", count)
    emit("area_recall", f"{min(args.recall):.4f}")


def _truth(
    index: Any, cells_of: dict[str, int], center: tuple[float, float], radius: float
) -> set[int]:
    """Subscribers whose cell meets the circle, by brute force over every cell held."""
    import h3

    from defensa.alerts import selection

    ky = math.pi * selection.EARTH_KM / 180.0
    kx = ky * math.cos(math.radians(center[0]))

    def inside(lat: float, lng: float) -> bool:
        return math.hypot((lat - center[0]) * ky, (lng - center[1]) * kx) <= radius

    centre_cell = h3.latlng_to_cell(*center, 7)

    def meets(fine: str) -> bool:
        if fine == centre_cell:
            return True
        outline = h3.cell_to_boundary(fine)
        for (a_lat, a_lng), (b_lat, b_lng) in zip(outline, outline[1:] + outline[:1], strict=True):
            for step in range(24):
                t = step / 24
                if inside(a_lat + (b_lat - a_lat) * t, a_lng + (b_lng - a_lng) * t):
                    return True
        return False

    # A coarser cell stands for its resolution-7 children (as `selection.finest` reads it).
    meeting = []
    for cell in cells_of:
        fine = [cell] if h3.get_resolution(cell) == 7 else h3.cell_to_children(cell, 7)
        near = [c for c in fine if _km_between(h3.cell_to_latlng(c), center, kx, ky) < radius + 3]
        if any(meets(c) for c in near):
            meeting.append(cell)
    return index.lookup(meeting)


def _km_between(a: tuple[float, float], b: tuple[float, float], kx: float, ky: float) -> float:
    return math.hypot((a[0] - b[0]) * ky, (a[1] - b[1]) * kx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="push,pywebpush,fanout,pacing,area")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--area-subscribers", type=int, default=1_000_000)
    parser.add_argument("--area-queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=9.0, help="per rate measured")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    # Each group runs in a process of its own: each sets Django up with its own database.
    groups = [
        group
        for group in ({"push", "pywebpush"}, {"fanout", "pacing"}, {"area"})
        if group & args.parts
    ]
    if len(groups) > 1:
        status = 0
        for group in groups:
            command = [
                sys.executable,
                __file__,
                *sys.argv[1:],
                "--parts",
                ",".join(sorted(group & args.parts)),
            ]
            status |= subprocess.run(command, check=False).returncode  # noqa: S603
        return status
    args.recall = []
    figures: dict[str, float] = {}
    if args.parts & {"push", "pywebpush"}:
        args.parts.add("push")
        part_push(args, figures)
    if args.parts & {"fanout", "pacing"}:
        part_fanout_and_pacing(args)
    if "area" in args.parts:
        part_area(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
