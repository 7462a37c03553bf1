"""What operators see: one log line per request and per task, database time, and ``/metrics``.

- ``RequestLogMiddleware`` writes one line per request (request id, client, route, status,
  duration, database time and statements); with ``LOG_FORMAT=json`` they are JSON keys.
- Database time is measured by an execute wrapper that every connection gets when it is
  opened; it adds to an accumulator held in a context variable, which follows a request
  into the threads ASGI runs its sync code in.
- Celery signals give the same line per task, and the task metrics.
- ``metrics_view`` merges every process's metrics (prometheus_client multiprocess mode)
  with the database-backed gauges, for allowed addresses or the bearer token only.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from contextvars import ContextVar
from pathlib import Path

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpResponse

from hotsauce import metrics

request_logger = logging.getLogger("hotsauce.request")
task_logger = logging.getLogger("hotsauce.task")

# [seconds, statements] of the request or task in progress, None outside one.
_db_time: ContextVar[list | None] = ContextVar("hotsauce_db_time", default=None)
_QUIET_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


# --- database time ------------------------------------------------------------------------


def _timed_execute(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - started
        spent = _db_time.get()
        if spent is not None:
            spent[0] += elapsed
            spent[1] += 1
        metrics.db_query_timed(context["connection"].vendor, elapsed)


def _connection_created(sender, connection, **kwargs) -> None:
    if _timed_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(_timed_execute)


# --- requests -----------------------------------------------------------------------------


def _client_label(request) -> str | None:
    from partners.principal import Principal

    principal = request.__dict__.get("user")  # never force a lazy session lookup from here
    if not isinstance(principal, Principal):
        return None
    if principal.client is not None:
        return principal.client.client_id
    return f"staff:{principal.user.pk}"


def client_address(request) -> str | None:
    """The caller's address for logs and the /metrics allowlist: the one place this module asks."""
    from hotsauce.proxies import client_ip

    return client_ip(request)


def _log_request(request, status: int, started: float, spent: list) -> None:
    match = getattr(request, "resolver_match", None)
    duration_ms = (time.perf_counter() - started) * 1000
    fields = {
        "request_id": getattr(request, "request_id", None), "client": _client_label(request),
        "client_ip": client_address(request), "method": request.method, "path": request.path,
        "route": match.route if match else None, "view": match.view_name if match else None, "status": status,
        "duration_ms": round(duration_ms, 2), "db_ms": round(spent[0] * 1000, 2), "db_queries": spent[1],
    }
    level = logging.DEBUG if request.path in _QUIET_PATHS else logging.INFO
    request_logger.log(level, "%s %s %s %.1fms db=%.1fms/%d", request.method, request.path, status, duration_ms,
                       spent[0] * 1000, spent[1], extra=fields)


class RequestLogMiddleware:
    """One log line per request, written when the response (or its headers, for a stream) is ready."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started, spent = time.perf_counter(), [0.0, 0]
        token = _db_time.set(spent)
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            _db_time.reset(token)
            _log_request(request, status, started, spent)

    async def __acall__(self, request):
        started, spent = time.perf_counter(), [0.0, 0]
        token = _db_time.set(spent)
        status = 500
        try:
            response = await self.get_response(request)
            status = response.status_code
            return response
        finally:
            _db_time.reset(token)
            _log_request(request, status, started, spent)


# --- Celery tasks -------------------------------------------------------------------------

_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", "REJECTED": "rejected",
             "IGNORED": "ignored", "REVOKED": "revoked"}
_running: dict[str, tuple[float, list, object]] = {}


def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    spent = [0.0, 0]
    _running[task_id] = (time.perf_counter(), spent, _db_time.set(spent))


def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started, spent, token = _running.pop(task_id, (None, [0.0, 0], None))
    if token is not None:
        try:
            _db_time.reset(token)
        except ValueError:  # reset from another context (should not happen): leave it
            pass
    name = getattr(task, "name", str(task))
    outcome = _OUTCOMES.get(state or "", (state or "unknown").lower())
    duration = time.perf_counter() - started if started is not None else None
    metrics.task_finished(name, outcome, duration)
    task_logger.info("task %s %s %.1fms db=%.1fms/%d", name, outcome, (duration or 0) * 1000, spent[0] * 1000,
                     spent[1], extra={"task": name, "task_id": task_id, "outcome": outcome,
                                      "duration_ms": round((duration or 0) * 1000, 2),
                                      "db_ms": round(spent[0] * 1000, 2), "db_queries": spent[1]})


def install() -> None:
    """Connect the database and Celery signal receivers (called once, from an AppConfig.ready)."""
    from celery.signals import task_postrun, task_prerun
    from django.db.backends.signals import connection_created

    connection_created.connect(_connection_created, dispatch_uid="hotsauce.observability.db_time")
    task_prerun.connect(_task_prerun, dispatch_uid="hotsauce.observability.task_prerun", weak=False)
    task_postrun.connect(_task_postrun, dispatch_uid="hotsauce.observability.task_postrun", weak=False)
    from django.db import connections

    for conn in connections.all(initialized_only=True):  # opened before we were installed
        _connection_created(None, conn)


# --- /metrics -----------------------------------------------------------------------------


def metrics_allowed(request) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(client_address(request) or "")
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_IPS)


_LIVE_GAUGE_FILE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")


def _forget_dead_processes(directory: Path) -> None:
    """Drop live gauges (open streams) of processes that died without saying so."""
    from prometheus_client import multiprocess

    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.match(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:  # alive, another user's
            pass


def metrics_view(request):
    """GET /metrics: Prometheus text format; 403 outside METRICS_ALLOWED_IPS without the token."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

    if request.method not in ("GET", "HEAD"):
        return HttpResponse("Method not allowed\n", status=405, content_type="text/plain")
    if not metrics_allowed(request):
        return HttpResponse("Forbidden: /metrics is open to METRICS_ALLOWED_IPS only\n", status=403,
                            content_type="text/plain")
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    _forget_dead_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    for collector in metrics.state_collectors():
        registry.register(collector)
    # The classic text format, which every Prometheus 2 server reads.
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
