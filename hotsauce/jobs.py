"""Periodic jobs: which exist, when each last succeeded, which are overdue; and beat's scheduler.

A job is an entry of ``settings.CELERY_BEAT_SCHEDULE`` (webhook sweeper, purges, forecasts,
reconciliation, ...) or of ``settings.PERIODIC_JOBS_OUTSIDE_BEAT`` (long-running loops such
as ``relay_events`` that report the same way). Its record is a ``JobRun`` row:

- workers write ``last_success_at`` when a job's task succeeds (Celery's ``task_success``
  signal, so no task needs to know about it) and ``last_failure_at`` when it fails;
- ``tracked_since`` is when the job was first expected here (the first beat start or status
  read that knew it). **A job that never succeeded is overdue once twice its period has
  passed since then**, so a fresh install is not alarmed at once, and a beat that never
  started shows up after two periods instead of never.

A job is overdue when its last success (or, never having succeeded, its ``tracked_since``)
is older than twice its period (API-CONTRACT.md section 7). ``/readyz`` lists every job,
``python manage.py jobs_status`` exits 1 when one is overdue, the staff dashboard shows
them, and ``/metrics`` exports them (``hotsauce.metrics.JobCollector``).

``JobScheduler`` is Celery beat's scheduler: the same schedule with no file. Each entry
resumes from its row (last success, else ``tracked_since``), so beat starts the same way on
any database, needs no writable directory, and a restart does not postpone a daily job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import beat
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from hotsauce.api.models import JobRun

logger = logging.getLogger("hotsauce.jobs")

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Job:
    name: str
    task: str | None  # None: reported by a process of its own (relay_events), not a Celery task
    period: timedelta


@dataclass(frozen=True)
class JobStatus:
    name: str
    period: timedelta
    tracked_since: datetime
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str
    overdue: bool

    @property
    def failing(self) -> bool:
        """Its latest run failed (a failure newer than the last success)."""
        return self.last_failure is not None and (self.last_success is None or self.last_failure > self.last_success)

    @property
    def every(self) -> str:
        return duration_text(self.period)


def duration_text(delta: timedelta) -> str:
    """``2 s``, ``15 min``, ``24 h``, ``3 d``: short, for tables."""
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _period(schedule) -> timedelta:
    if isinstance(schedule, timedelta):
        return schedule
    if isinstance(schedule, (int, float)):
        return timedelta(seconds=schedule)
    run_every = getattr(schedule, "run_every", None)  # celery.schedules.schedule
    if isinstance(run_every, timedelta):
        return run_every
    raise TypeError(f"beat schedule {schedule!r} has no fixed period; hotsauce.jobs needs one")


def jobs_defined() -> dict[str, Job]:
    """Every periodic job, by name (the beat entry's name)."""
    jobs = {name: Job(name=name, task=entry["task"], period=_period(entry["schedule"]))
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    for name, seconds in getattr(settings, "PERIODIC_JOBS_OUTSIDE_BEAT", {}).items():
        jobs[name] = Job(name=name, task=None, period=timedelta(seconds=seconds))
    return jobs


def _rows(names, now: datetime) -> dict[str, JobRun]:
    """The jobs' rows, creating the missing ones (their overdue clock starts now)."""
    rows = {row.name: row for row in JobRun.objects.filter(name__in=names)}
    missing = [JobRun(name=name, tracked_since=now) for name in names if name not in rows]
    if missing:
        JobRun.objects.bulk_create(missing, ignore_conflicts=True)
        rows = {row.name: row for row in JobRun.objects.filter(name__in=names)}
    return rows


def job_report(*, now: datetime | None = None) -> list[JobStatus]:
    """Every defined job's record, by name."""
    now = now or timezone.now()
    jobs = jobs_defined()
    rows = _rows(list(jobs), now)
    report = []
    for name in sorted(jobs):
        row, period = rows[name], jobs[name].period
        reference = row.last_success_at or row.tracked_since
        report.append(JobStatus(name=name, period=period, tracked_since=row.tracked_since,
                                last_success=row.last_success_at, last_failure=row.last_failure_at,
                                last_error=row.last_error, overdue=now - reference > 2 * period))
    return report


def job_statuses(*, now: datetime | None = None) -> dict[str, dict]:
    """``{name: {"lastSuccess": ISO timestamp or None, "overdue": bool}}``: the ``jobs`` of ``/readyz``."""
    return {status.name: {"lastSuccess": status.last_success.strftime(TIMESTAMP_FORMAT) if status.last_success
                          else None, "overdue": status.overdue}
            for status in job_report(now=now)}


def job_succeeded(name: str, *, now: datetime | None = None) -> None:
    """Record a success of job ``name`` (Celery tasks do this through the signal below)."""
    now = now or timezone.now()
    _record([name], now, last_success_at=now)


def _record(names: list[str], now: datetime, **fields) -> None:
    if JobRun.objects.filter(name__in=names).update(**fields) < len(names):
        _rows(names, now)
        JobRun.objects.filter(name__in=names).update(**fields)


def _names_for_task(task_name: str) -> list[str]:
    return [job.name for job in jobs_defined().values() if job.task == task_name]


def _task_succeeded(sender=None, **kwargs) -> None:
    names = _names_for_task(getattr(sender, "name", ""))
    if not names:
        return
    now = timezone.now()
    try:
        _record(names, now, last_success_at=now)
    except DatabaseError:  # the database is away: the job's next run records it
        logger.warning("Could not record the success of %s", ", ".join(names), exc_info=True)


def _task_failed(sender=None, exception=None, **kwargs) -> None:
    names = _names_for_task(getattr(sender, "name", ""))
    if not names:
        return
    now = timezone.now()
    try:
        _record(names, now, last_failure_at=now, last_error=f"{type(exception).__name__}: {exception}"[:300])
    except DatabaseError:
        logger.warning("Could not record the failure of %s", ", ".join(names), exc_info=True)


def install() -> None:
    """Connect the Celery signal receivers (called once, from an AppConfig.ready)."""
    from celery.signals import task_failure, task_success

    task_success.connect(_task_succeeded, dispatch_uid="hotsauce.jobs.task_success", weak=False)
    task_failure.connect(_task_failed, dispatch_uid="hotsauce.jobs.task_failure", weak=False)


def resume_points(*, now: datetime | None = None) -> dict[str, datetime]:
    """For each job, the moment its schedule counts from: last success, else tracked since."""
    now = now or timezone.now()
    rows = _rows(list(jobs_defined()), now)
    return {name: row.last_success_at or row.tracked_since for name, row in rows.items()}


class JobScheduler(beat.Scheduler):
    """Celery beat's in-memory scheduler, resumed from the job table instead of a shelve file.

    ``CELERY_BEAT_SCHEDULER`` names it, so ``celery -A hotsauce beat`` (and ``worker -B``)
    writes no file anywhere. Run one beat per deployment, as with any Celery beat.
    """

    def setup_schedule(self) -> None:
        super().setup_schedule()
        try:
            starts = resume_points()
        except DatabaseError:
            # No database yet (not migrated, or down): every entry starts from now, as
            # Celery's own in-memory scheduler would; the jobs' records stay as they were.
            logger.warning("Job table unreadable; beat schedules every job from now", exc_info=True)
            starts = {}
        finally:
            if not connection.in_atomic_block:
                connection.close()  # beat sends messages; it has no use for an idle connection
        for name, entry in self.schedule.items():
            if name in starts:
                entry.last_run_at = starts[name]
