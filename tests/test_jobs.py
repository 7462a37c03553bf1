"""Periodic jobs: recorded by the workers, overdue after twice their period, shown everywhere.

The beat and worker processes themselves are in ``tests/test_jobs_processes.py``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

import hotsauce.api.tasks
from hotsauce import jobs
from hotsauce.api.models import JobRun
from hotsauce.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
SWEEPER = "webhooks-deliveries-sweep"  # every 2 s
PURGE = "api-idempotency-purge"  # hourly, task api.idempotency_purge


def test_every_beat_entry_is_a_job_with_its_period(db):
    defined = jobs.jobs_defined()
    assert set(defined) == set(settings.CELERY_BEAT_SCHEDULE)
    assert defined[SWEEPER].period == timedelta(seconds=2)
    assert defined[PURGE].period == timedelta(hours=1) and defined[PURGE].task == "api.idempotency_purge"


def test_a_job_that_never_ran_is_overdue_only_twice_its_period_after_tracking_began(db):
    start = timezone.now()
    assert not any(status["overdue"] for status in jobs.job_statuses(now=start).values())
    assert {status["lastSuccess"] for status in jobs.job_statuses(now=start).values()} == {None}
    later = jobs.job_statuses(now=start + timedelta(seconds=5))
    assert later[SWEEPER]["overdue"] is True
    assert later[PURGE]["overdue"] is False
    assert jobs.job_statuses(now=start + timedelta(hours=2, seconds=1))[PURGE]["overdue"] is True
    # Reading again does not restart the clock.
    assert JobRun.objects.get(name=PURGE).tracked_since <= start + timedelta(seconds=1)


def test_a_task_success_is_recorded_by_the_worker_signal_and_clears_overdue(db):
    JobRun.objects.create(name=PURGE, tracked_since=timezone.now() - timedelta(days=3))
    assert jobs.job_statuses()[PURGE]["overdue"] is True
    result = celery_app.tasks["api.idempotency_purge"].apply()  # the worker's code path: signals fire
    assert result.successful()
    row = JobRun.objects.get(name=PURGE)
    assert row.last_success_at is not None and timezone.now() - row.last_success_at < timedelta(seconds=30)
    status = jobs.job_statuses()[PURGE]
    assert status == {"lastSuccess": row.last_success_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "overdue": False}
    assert jobs.job_statuses(now=row.last_success_at + timedelta(hours=2, seconds=1))[PURGE]["overdue"] is True


def test_a_failing_task_records_the_failure_and_stays_overdue(db, monkeypatch):
    def broken():
        raise RuntimeError("purge exploded")

    monkeypatch.setattr(hotsauce.api.tasks, "idempotency_purge", broken)
    JobRun.objects.create(name=PURGE, tracked_since=timezone.now() - timedelta(days=3))
    assert celery_app.tasks["api.idempotency_purge"].apply(throw=False).failed()
    [status] = [s for s in jobs.job_report() if s.name == PURGE]
    assert status.overdue and status.failing and status.last_success is None
    assert status.last_error == "RuntimeError: purge exploded"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("jobs_status", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    line = next(line for line in out.getvalue().splitlines() if line.startswith(PURGE))
    assert "OVERDUE" in line and "purge exploded" in line
    assert PURGE in err.getvalue()


def test_jobs_status_exits_0_while_nothing_is_overdue(db):
    out = io.StringIO()
    call_command("jobs_status", stdout=out)  # no SystemExit
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + len(settings.CELERY_BEAT_SCHEDULE)
    assert all(line.endswith("ok") for line in lines[1:])


def test_readyz_lists_every_job_and_its_status_code_ignores_them(db):
    JobRun.objects.create(name=PURGE, tracked_since=timezone.now() - timedelta(days=3))
    response = Client().get("/readyz")
    body = response.json()
    assert set(body) == {"status", "checks", "jobs"}
    assert set(body["jobs"]) == set(settings.CELERY_BEAT_SCHEDULE)
    assert body["jobs"][PURGE] == {"lastSuccess": None, "overdue": True}
    assert body["jobs"][SWEEPER] == {"lastSuccess": None, "overdue": False}
    # An overdue job does not make the service unready: only the database and broker count.
    ready = body["checks"] == {"database": "ok", "broker": "ok"}
    assert (response.status_code, body["status"]) == ((200, "ready") if ready else (503, "unavailable"))


def test_readyz_still_lists_jobs_when_the_broker_is_down(db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
    assert set(response.json()["jobs"]) == set(settings.CELERY_BEAT_SCHEDULE)


def test_the_dashboard_shows_overdue_jobs_in_red(db):
    JobRun.objects.create(name=PURGE, tracked_since=timezone.now() - timedelta(days=3))
    JobRun.objects.create(name=SWEEPER, tracked_since=timezone.now() - timedelta(days=3),
                          last_success_at=timezone.now())
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    page = client.get("/admin/dashboard/").content.decode()
    card = page[page.index('id="card-jobs"'):]
    card = card[:card.index("</section>")]
    overdue_rows = [row for row in card.split("<tr")[1:] if 'class="dash-bad job-overdue"' in row]
    assert len(overdue_rows) == 1 and f"<td>{PURGE}</td>" in overdue_rows[0]
    sweeper_row = next(row for row in card.split("<tr")[1:] if f"<td>{SWEEPER}</td>" in row)
    assert "dash-bad" not in sweeper_row and "<td>2 s</td>" in sweeper_row


def test_metrics_export_each_job(db):
    from prometheus_client.parser import text_string_to_metric_families

    last = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    JobRun.objects.create(name=PURGE, tracked_since=last, last_success_at=last)
    JobRun.objects.create(name=SWEEPER, tracked_since=timezone.now() - timedelta(days=1))
    text = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    samples = {(sample.name, sample.labels.get("job")): sample.value
               for family in text_string_to_metric_families(text) for sample in family.samples}
    assert samples[("hotsauce_job_overdue", SWEEPER)] == 1
    assert samples[("hotsauce_job_overdue", PURGE)] == 0
    assert samples[("hotsauce_job_last_success_timestamp_seconds", PURGE)] == last.timestamp()
    assert samples[("hotsauce_job_last_success_timestamp_seconds", SWEEPER)] == 0


def test_beat_resumes_each_entry_from_the_job_table(db):
    now = timezone.now()
    JobRun.objects.create(name="inventory-reconcile", tracked_since=now - timedelta(days=9),
                          last_success_at=now - timedelta(minutes=30))
    JobRun.objects.create(name="edi-inventory-advice", tracked_since=now - timedelta(days=2))
    scheduler = jobs.JobScheduler(app=celery_app)
    entries = scheduler.schedule
    reconcile = entries["inventory-reconcile"]
    assert reconcile.last_run_at == now - timedelta(minutes=30)
    due, next_in = reconcile.is_due()
    assert not due and 25 * 60 < next_in <= 30 * 60 + 5  # not postponed by the restart
    assert entries["edi-inventory-advice"].is_due()[0]  # owed for two days: runs at once
    # A job first seen now counts its period from now, as Celery's own scheduler would.
    due, next_in = entries["orders-backorders-sweep"].is_due()
    assert not due and next_in > 250


def test_beat_period_overrides_are_parsed_strictly(tmp_path):
    env = dict(os.environ, HOTSAUCE_VAR_DIR=str(tmp_path), BEAT_PERIOD_SECONDS="no-such-job=5")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "BEAT_PERIOD_SECONDS" in result.stderr


def test_beat_starts_on_sqlite_and_writes_no_schedule_file(tmp_path):
    """``celery -A hotsauce beat`` on the embedded SQLite default sends its first due job."""
    var = tmp_path / "var"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL",
                                                                           "CELERY_BROKER_URL")}
    env |= {"HOTSAUCE_VAR_DIR": str(var), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "BEAT_PERIOD_SECONDS": "inventory-reservations-expire=1", "PYTHONUNBUFFERED": "1"}
    (tmp_path / "metrics").mkdir()
    log = tmp_path / "beat.log"
    with open(log, "w") as out:
        beat = subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "hotsauce", "beat",
                                 "--loglevel", "INFO"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and beat.poll() is None:
                if "Sending due task inventory-reservations-expire" in log.read_text():
                    break
                time.sleep(0.2)
            assert beat.poll() is None, log.read_text()[-3000:]
            assert "Sending due task inventory-reservations-expire" in log.read_text(), log.read_text()[-3000:]
        finally:
            beat.terminate()
            beat.wait(timeout=20)
    assert list((var / "broker" / "queue").iterdir())  # the message is on the filesystem broker
    assert not list(var.glob("celerybeat-schedule*"))
