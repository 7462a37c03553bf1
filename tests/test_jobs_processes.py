"""Celery beat and a worker as real processes on PostgreSQL, from a clean checkout (no var/).

Beat writes no schedule file, a periodic job succeeds and ``/readyz`` lists it; once beat
stops, ``python manage.py jobs_status`` exits 1 after the (shortened) overdue window.
"""

from __future__ import annotations

import copy
import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hotsauce import jobs
from hotsauce.api.models import JobRun
from tests.celery_support import (
    BASE_DIR,
    BEAT_READY,
    WORKER_READY,
    child_env,
    redis_queue_clear,
    start_beat,
    start_worker,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (the worker's broker)"),
]

PURGE = "api-idempotency-purge"  # hourly in production, every 3 s here
PURGE_PERIOD = 3


def jobs_status(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "jobs_status"], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def short_periods(settings) -> str:
    """The shortened periods, for the children (environment) and this process (settings) alike."""
    periods = {PURGE: PURGE_PERIOD, "webhooks-deliveries-sweep": 4}
    schedule = copy.deepcopy(settings.CELERY_BEAT_SCHEDULE)
    for name, seconds in periods.items():
        schedule[name]["schedule"] = float(seconds)
    settings.CELERY_BEAT_SCHEDULE = schedule
    return ",".join(f"{name}={seconds}" for name, seconds in periods.items())


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_run_jobs_on_postgresql_without_var_and_stopping_beat_makes_them_overdue(
        tmp_path, short_periods):
    env = child_env(tmp_path, BEAT_PERIOD_SECONDS=short_periods)
    var = tmp_path / "no-var"
    assert not var.exists()
    redis_queue_clear()
    worker = beat = None
    try:
        worker = start_worker(env, tmp_path, concurrency=2, wait=False)
        beat = start_beat(env, tmp_path, wait=False)
        worker.wait_for_log(WORKER_READY)
        beat.wait_for_log(BEAT_READY)
        ran = wait_until(lambda: JobRun.objects.filter(name=PURGE, last_success_at__isnull=False).first(), 40,
                         lambda: f"{PURGE} never succeeded:\n{beat.log()[-2000:]}\n{worker.log()[-2000:]}")
        assert beat.process.poll() is None and "FileNotFoundError" not in beat.log()

        response = Client().get("/readyz")
        assert response.status_code == 200, response.content
        listed = response.json()["jobs"]
        assert set(listed) == set(jobs.jobs_defined())
        assert listed[PURGE]["lastSuccess"] is not None and listed[PURGE]["overdue"] is False
        assert listed[PURGE]["lastSuccess"] >= ran.last_success_at.strftime("%Y-%m-%dT%H:%M:%SZ")

        call_command("jobs_status", stdout=io.StringIO())  # exits 0 (no SystemExit) while beat runs

        beat.stop()
        stopped_at = timezone.now()
        wait_until(lambda: next(s for s in jobs.job_report() if s.name == PURGE).overdue, 4 * PURGE_PERIOD + 20,
                   f"{PURGE} not overdue after beat stopped")
        last = JobRun.objects.get(name=PURGE).last_success_at
        assert timezone.now() - last > timedelta(seconds=2 * PURGE_PERIOD)
        assert last < stopped_at + timedelta(seconds=PURGE_PERIOD)  # nothing ran it after beat stopped
        stopped = jobs_status(env)
        assert stopped.returncode == 1, stopped.stdout + stopped.stderr
        assert any(line.startswith(PURGE) and "OVERDUE" in line for line in stopped.stdout.splitlines())
        assert Client().get("/readyz").json()["jobs"][PURGE]["overdue"] is True
    finally:
        for proc in (beat, worker):
            if proc is not None:
                proc.stop()
    assert not var.exists()  # nothing needed a var/ directory: no schedule file, no SQLite
