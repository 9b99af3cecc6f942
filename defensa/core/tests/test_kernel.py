"""Smaller kernel pieces: the outbound client, periodic jobs, background tasks, geography."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from defensa.core import crypto, geo, http, scheduler, tasks
from defensa.core.models import DataKey, KeyPurpose, PeriodicJob
from defensa.pytest_env import RealNetworkCall


def test_outbound_client_cannot_reach_the_network_in_tests() -> None:
    with pytest.raises(RealNetworkCall):
        http.client().get("http://192.0.2.10/")


def test_outbound_client_does_not_follow_redirects_or_read_proxy_settings() -> None:
    client = http.client()
    assert client.follow_redirects is False
    assert client._trust_env is False


@pytest.mark.django_db
def test_scheduler_enqueues_each_due_job_once() -> None:
    now = timezone.now()
    first = scheduler.run_due(now=now)
    assert set(first) == set(settings.DEFENSA_PERIODIC_TASKS)
    assert scheduler.run_due(now=now + timedelta(seconds=1)) == []
    later = now + timedelta(seconds=max(settings.DEFENSA_PERIODIC_TASKS.values()) + 1)
    assert set(scheduler.run_due(now=later)) == set(first)
    assert PeriodicJob.objects.count() == len(first)


@pytest.mark.django_db(transaction=True)
def test_retention_task_runs_through_the_configured_backend() -> None:
    """Enqueue the retention job and let the real worker of this deployment run it."""
    committee = uuid.uuid4()
    crypto.current_key(
        committee=committee, purpose=KeyPurpose.CONTACT, at=timezone.now() - timedelta(days=30)
    )
    result = tasks.shred_expired_keys.enqueue()
    backend = settings.TASKS_BACKEND
    # The deployment's own worker command, run in this process so it sees the test database.
    if backend == "db":
        call_command("db_worker", "--batch", "--no-startup-delay")
    elif backend == "rq":
        call_command(
            "rqworker",
            "--burst",
            "--worker-class",
            "rq.SimpleWorker",
            "--job-class",
            "django_tasks_rq.Job",
            "default",
        )
    if backend != "immediate":
        result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 1
    assert DataKey.objects.get(committee=committee).destroyed_at is not None


def test_zip_and_county_tables_are_offline_and_joined() -> None:
    chicago = geo.zip_code("60623")
    assert chicago is not None
    assert chicago.county_fips == "17031"
    county = geo.county("08005")
    assert county is not None
    assert county.state == "CO"
    assert geo.zip_code("6062") is None
    assert geo.county("abcde") is None


def test_points_are_kept_only_as_coarse_cells() -> None:
    cell = geo.coarse_cell(41.8487, -87.7157)
    assert geo.valid_area_cell(cell)
    lat, lng = geo.cell_center(cell)
    assert abs(lat - 41.8487) < 0.05
    assert abs(lng + 87.7157) < 0.05


@pytest.mark.django_db
def test_housekeeping_removes_expired_sessions() -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    live, dead = SessionStore(), SessionStore()
    live.create()
    dead.set_expiry(-10)
    dead.create()
    assert tasks.clear_expired_sessions.call() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
