"""Proof-of-work and token buckets: what a flood cannot get past, and what a person can."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from defensa.core import pow as proof
from defensa.core import ratelimit

LEVELS = [(120, 10), (600, 14), (3000, 16)]


def test_even_while_calm_a_challenge_must_be_ours_and_unused() -> None:
    challenge = proof.issue(0)
    assert proof.verify(challenge, "", minimum=0)
    assert not proof.verify(challenge, "", minimum=0)  # replayed
    body = challenge.rsplit(".", 1)[0]
    assert not proof.verify(f"{body}.{'0' * 32}", "", minimum=0)  # made up
    assert not proof.verify("", "", minimum=0)
    assert not proof.verify(proof.issue(0) + "x" * 200, "", minimum=0)


def test_while_calm_an_old_page_still_counts_but_not_under_load() -> None:
    hour_ago = time.time() - 3600
    assert proof.verify(proof.issue(0, now=hour_ago), "", minimum=0)
    stale = proof.issue(10, now=hour_ago)
    assert not proof.verify(stale, proof.solve(stale), minimum=10)


def test_under_load_the_work_must_be_done() -> None:
    challenge = proof.issue(10)
    wrong = next(
        str(n)
        for n in range(1000)
        if proof.leading_zero_bits(proof.hashlib.sha256(f"{challenge}:{n}".encode()).digest()) < 10
    )
    assert not proof.verify(challenge, wrong, minimum=10)
    assert proof.verify(challenge, proof.solve(challenge), minimum=10)


@override_settings(DEFENSA_POW_LEVELS=LEVELS)
def test_a_level_that_rose_while_the_phone_worked_is_forgiven_once() -> None:
    now = time.time()
    recent = proof.issue(14, now=now - 30)
    assert proof.verify(recent, proof.solve(recent), minimum=16, now=now)
    older = proof.issue(14, now=now - proof.GRACE - 5)
    assert not proof.verify(older, proof.solve(older), minimum=16, now=now)
    two_levels = proof.issue(10, now=now - 5)
    assert not proof.verify(two_levels, proof.solve(two_levels), minimum=16, now=now)
    # A page from calm times asked no work: it never counts once work is asked.
    calm = proof.issue(0, now=now - 5)
    assert not proof.verify(calm, "", minimum=10, now=now)


@override_settings(DEFENSA_POW_LEVELS=LEVELS)
def test_difficulty_rises_with_attempts_and_falls_when_they_stop() -> None:
    start = 1_800_000_000.0
    assert proof.current_difficulty(now=start) == 0
    for _ in range(600):
        proof.count_attempt(now=start)
    assert proof.current_difficulty(now=start) == 14
    assert proof.current_difficulty(now=start + 60) == 14  # the last two minutes count
    assert proof.current_difficulty(now=start + 180) == 0


def test_a_bucket_lets_a_burst_through_then_its_rate() -> None:
    now = 1_800_000_000.0
    results = [ratelimit.bucket("t1", per_minute=60, burst=3, now=now) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert ratelimit.bucket("t1", per_minute=60, burst=3, now=now + 1.01)
    assert not ratelimit.bucket("t1", per_minute=60, burst=3, now=now + 1.02)
    assert ratelimit.bucket("t2", per_minute=60, burst=3, now=now)  # another client


class SlowCache:
    """The in-memory cache, answering as slowly as a network round trip would."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def get(self, *args, **kwargs):
        value = self.backend.get(*args, **kwargs)
        time.sleep(0.001)  # the answer travels back
        return value

    def set(self, *args, **kwargs):
        return self.backend.set(*args, **kwargs)


def test_a_bucket_holds_when_many_threads_spend_it_at_once(monkeypatch) -> None:
    backend = ratelimit.store()
    if not isinstance(backend, RedisCache):  # Redis runs the bucket as one script
        monkeypatch.setattr(ratelimit, "store", lambda: SlowCache(backend))
    allowed: list[bool] = []
    barrier = threading.Barrier(16)

    def spend() -> None:
        barrier.wait()
        for _ in range(10):
            allowed.append(ratelimit.bucket("shared", per_minute=1, burst=5))

    threads = [threading.Thread(target=spend) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_a_flood_of_addresses_does_not_make_used_challenges_reusable() -> None:
    challenge = proof.issue(0)
    assert proof.verify(challenge, "", minimum=0)
    # Each new address leaves a bucket entry behind; they must not evict the "used" marks.
    for n in range(2000):
        ratelimit.bucket(f"flood:{n}", per_minute=4, burst=10)
    assert cache.get(f"defensa:pow:{challenge.split('.')[2]}") is not None
    assert not proof.verify(challenge, "", minimum=0)


@pytest.fixture(autouse=True)
def _empty_limits() -> None:
    ratelimit.store().clear()
