"""Every Prometheus metric of the service, defined once, and the tiny functions the code calls.

Domain code never touches a metric object: it calls ``metrics.movements_recorded(types)``
and friends, so names, labels and the commit rule live here alone. Values that describe the
database (outbox lag, failing endpoints, relay position, periodic jobs) are not counted by
anyone: collectors read them when ``/metrics`` is scraped (``JobCollector`` here, the
webhooks app's own in ``webhooks/metrics.py``).

Web servers and Celery run several processes, so prometheus_client runs in multiprocess
mode (``PROMETHEUS_MULTIPROC_DIR``, set up by settings before this module is imported):
each process writes its own memory-mapped files and the scraping process merges them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from prometheus_client import Counter, Gauge, Histogram, values
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("hotsauce.metrics")

if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and values.ValueClass is values.MutexValue:
    # prometheus_client picks its value class at import: imported before settings set the
    # directory, this process would count in private memory that no scrape ever sees.
    raise ImproperlyConfigured("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set; "
                               "import Django settings first (DJANGO_SETTINGS_MODULE).")

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 7200.0, 86400.0)

STOCK_MOVEMENTS = Counter("hotsauce_stock_movements", "Committed stock movements, by movement type.", ["type"])
API_REFUSALS = Counter("hotsauce_api_refusals", "API problem responses, by problem code and status.",
                       ["code", "status"])
ORDER_STATUS_CHANGES = Counter("hotsauce_order_status_changes", "Committed order status changes.",
                               ["from_status", "to_status"])
WEBHOOK_ATTEMPTS = Counter("hotsauce_webhook_attempts", "Webhook delivery attempts, by outcome.", ["outcome"])
WEBHOOK_DELIVERY_LATENCY = Histogram(
    "hotsauce_webhook_delivery_latency_seconds",
    "From the event's commit (its timestamp) to the receiver's 2xx, retries included.", buckets=_DELIVERY_BUCKETS)
SSE_STREAMS_OPEN = Gauge("hotsauce_sse_streams_open", "Server-Sent Event streams open now.",
                         multiprocess_mode="livesum")
IDEMPOTENT_REPLAYS = Counter("hotsauce_idempotent_replays", "Requests answered from a stored Idempotency-Key answer.")
RATE_LIMITED = Counter("hotsauce_rate_limited", "Requests refused with 429, by client.", ["client"])
CELERY_TASKS = Counter("hotsauce_celery_tasks", "Celery task runs, by task and outcome.", ["task", "outcome"])
CELERY_TASK_DURATION = Histogram("hotsauce_celery_task_duration_seconds", "Celery task run time.", ["task"],
                                 buckets=_LATENCY_BUCKETS)
CELERY_TASK_LAST_SUCCESS = Gauge("hotsauce_celery_task_last_success_timestamp_seconds",
                                 "When each Celery task last succeeded.", ["task"], multiprocess_mode="mostrecent")
RECONCILE_DRIFT = Gauge("hotsauce_reconcile_drift_lots", "Lots whose balances differ from the ledger at the last "
                        "reconciliation.", multiprocess_mode="mostrecent")
RECONCILE_LAST_RUN = Gauge("hotsauce_reconcile_last_run_timestamp_seconds", "When reconciliation last ran.",
                           multiprocess_mode="mostrecent")
DB_QUERY_DURATION = Histogram("hotsauce_db_query_duration_seconds", "Database statement time, by vendor.",
                              ["vendor"], buckets=_LATENCY_BUCKETS)
RELAY_PUBLISHED = Counter("hotsauce_amqp_relay_published", "Events published and confirmed by RabbitMQ.")


def _on_commit(fn: Callable[[], None]) -> None:
    # Counted only once the change is durable: a rolled-back movement never happened.
    # Outside a transaction on_commit runs at once.
    transaction.on_commit(fn)


# --- the calls the code makes --------------------------------------------------------------


def movements_recorded(types: Iterable[str]) -> None:
    for type in types:
        _on_commit(STOCK_MOVEMENTS.labels(type=type).inc)


def order_status_changed(from_status: str, to_status: str) -> None:
    _on_commit(ORDER_STATUS_CHANGES.labels(from_status=from_status, to_status=to_status).inc)


def problem_answered(code: str, status: int) -> None:
    API_REFUSALS.labels(code=code, status=str(status)).inc()


def webhook_attempted(outcome: str, *, delivered_after: float | None = None) -> None:
    """``outcome``: succeeded | http_error | network_error | refused; latency on success."""
    WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()
    if delivered_after is not None:
        WEBHOOK_DELIVERY_LATENCY.observe(max(0.0, delivered_after))


def idempotent_replayed() -> None:
    IDEMPOTENT_REPLAYS.inc()


def rate_limited(client: str) -> None:
    RATE_LIMITED.labels(client=client).inc()


def reconciled(drift_lots: int) -> None:
    RECONCILE_DRIFT.set(drift_lots)
    RECONCILE_LAST_RUN.set(time.time())


def relay_published(count: int) -> None:
    RELAY_PUBLISHED.inc(count)


def task_finished(task: str, outcome: str, duration: float | None) -> None:
    CELERY_TASKS.labels(task=task, outcome=outcome).inc()
    if duration is not None:
        CELERY_TASK_DURATION.labels(task=task).observe(duration)
    if outcome == "succeeded":
        CELERY_TASK_LAST_SUCCESS.labels(task=task).set(time.time())


_db_timing_broken = False


def db_query_timed(vendor: str, seconds: float) -> None:
    global _db_timing_broken
    if _db_timing_broken:
        return
    try:
        DB_QUERY_DURATION.labels(vendor=vendor).observe(seconds)
    except Exception:
        # `celery worker -B` forks its beat with billiard, which closes inherited file
        # descriptors: prometheus_client cannot reopen the metric files in that process.
        # A metric must never fail the query it times; this process stops timing queries.
        _db_timing_broken = True
        logger.warning("Database query metrics disabled in this process", exc_info=True)


async def _tracked_async(frames):
    SSE_STREAMS_OPEN.inc()
    try:
        async for frame in frames:
            yield frame
    finally:
        SSE_STREAMS_OPEN.dec()


def _tracked_sync(frames):
    SSE_STREAMS_OPEN.inc()
    try:
        yield from frames
    finally:
        SSE_STREAMS_OPEN.dec()


def stream_tracked(frames):
    """Wrap an SSE frame iterator (async or not): counted open from first frame to hang-up."""
    return _tracked_async(frames) if hasattr(frames, "__aiter__") else _tracked_sync(frames)


# --- periodic jobs (their tracking lives elsewhere) ---------------------------------------

_job_source: Callable[[], Mapping] | None = None


def job_source_register(source: Callable[[], Mapping] | None) -> None:
    """Name the callable that reports periodic jobs; default ``hotsauce.jobs.job_statuses``.

    It returns ``{job name: {"lastSuccess": datetime | ISO string | None, "overdue": bool}}``
    (the ``jobs`` object of ``/readyz``; snake_case keys or attributes are read too).
    """
    global _job_source
    _job_source = source


def _job_statuses() -> Mapping:
    if _job_source is not None:
        return _job_source()
    try:
        from hotsauce import jobs  # periodic-job tracking, when installed
    except ImportError:
        return {}
    source = getattr(jobs, "job_statuses", None)
    return source() if callable(source) else {}


def _field(status, *names):
    for name in names:
        if isinstance(status, Mapping) and name in status:
            return status[name]
        if hasattr(status, name):
            return getattr(status, name)
    return None


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# --- read at scrape time ------------------------------------------------------------------

# Collectors of facts that live in the database, registered by the apps that own the tables
# (webhooks: outbox lag, endpoints), so this module imports no app.
_state_collectors: list = []


def state_collector_register(collector) -> None:
    if collector not in _state_collectors:
        _state_collectors.append(collector)


def state_collectors() -> list:
    return [JobCollector(), *_state_collectors]


class JobCollector:
    """Each periodic job's last success and whether it is overdue, read when /metrics is scraped."""

    def describe(self):
        return []  # nothing to read at registration time

    def collect(self):
        try:
            statuses = _job_statuses()
        except Exception:  # a broken job table must not take the whole scrape down
            logger.exception("Periodic job statuses could not be read")
            return
        last = GaugeMetricFamily("hotsauce_job_last_success_timestamp_seconds",
                                 "When each periodic job last succeeded (0: never).", labels=["job"])
        overdue = GaugeMetricFamily("hotsauce_job_overdue", "1 when a periodic job is older than twice its "
                                    "period.", labels=["job"])
        for name, status in sorted(statuses.items()):
            last.add_metric([name], _epoch(_field(status, "lastSuccess", "last_success")) or 0)
            overdue.add_metric([name], 1 if _field(status, "overdue") else 0)
        yield last
        yield overdue


__all__ = [
    "movements_recorded", "order_status_changed", "problem_answered", "webhook_attempted", "idempotent_replayed",
    "rate_limited", "reconciled", "relay_published", "task_finished", "db_query_timed", "stream_tracked",
    "job_source_register", "state_collector_register", "state_collectors",
]
