"""/metrics across real processes: two uvicorn workers and a Celery worker, JSON logs.

Whichever web worker answers the scrape, it reports every request any worker served and
every task the Celery worker ran (prometheus_client multiprocess mode), and each process
writes one JSON line per request or task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.test_events_stream_server import _free_port
from tests.test_webhooks_e2e import _broker_url, _test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("REDIS_URL")
REQUESTS = 40

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (the worker uses it as broker)"),
]


def _wait_for(predicate, timeout: float, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(message())


def _sample(text: str, name: str, **labels) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


@pytest.fixture
def stack():
    """uvicorn --workers 2 and a Celery worker sharing one fresh metrics directory."""
    import redis

    tmp = tempfile.TemporaryDirectory(prefix="hs_metrics_procs_")
    metrics_dir = Path(tmp.name) / "metrics"
    metrics_dir.mkdir()
    redis.Redis.from_url(_broker_url()).delete("celery")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "HOTSAUCE_VAR_DIR": tmp.name,
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_FORMAT": "json", "CELERY_BROKER_URL": _broker_url(),
           "CELERY_TASK_ALWAYS_EAGER": "0"}
    port = _free_port()
    web_log, worker_log = Path(tmp.name) / "web.log", Path(tmp.name) / "worker.log"
    procs = [
        subprocess.Popen([str(BIN / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1", "--port",
                          str(port), "--workers", "2", "--no-access-log"], cwd=BASE_DIR, env=env,
                         stdout=web_log.open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([str(BIN / "celery"), "-A", "hotsauce", "worker", "--pool", "threads", "--concurrency", "2",
                          "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                         cwd=BASE_DIR, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT),
    ]
    base = f"http://127.0.0.1:{port}"

    def web_up():
        try:
            return httpx.get(f"{base}/healthz", trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_for(web_up, 60, lambda: web_log.read_text()[-3000:])
        _wait_for(lambda: "ready" in worker_log.read_text(), 60, lambda: worker_log.read_text()[-3000:])
        yield {"base": base, "dir": metrics_dir, "web_log": web_log, "worker_log": worker_log}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        tmp.cleanup()


@pytest.mark.django_db(transaction=True)
def test_every_worker_process_reports_into_one_scrape_and_logs_json_lines(stack):
    from hotsauce.celery import app as celery_app

    base = stack["base"]

    def scraped():
        return httpx.get(f"{base}/metrics", trust_env=False).text

    healthz = {"status": "200", "view": "healthz", "method": "GET"}
    baseline = _sample(scraped(), "django_http_responses_total_by_status_view_method_total", **healthz)
    for _ in range(REQUESTS):  # a new connection each time, so both web workers serve some
        assert httpx.get(f"{base}/healthz", trust_env=False).status_code == 200
    for n in range(3):  # logged at INFO (probes and scrapes log at DEBUG)
        assert httpx.get(f"{base}/api/v1/products", trust_env=False,
                         headers={"X-Request-Id": f"mp-test-{n}"}).status_code == 401
    with celery_app.connection_for_write(_broker_url()) as conn:
        celery_app.send_task("inventory.reconcile", connection=conn)

    _wait_for(lambda: _sample(scraped(), "hotsauce_celery_tasks_total", task="inventory.reconcile",
                              outcome="succeeded") == 1, 60, lambda: stack["worker_log"].read_text()[-3000:])
    pids = {path.stem.rsplit("_", 1)[1] for path in stack["dir"].glob("counter_*.db")}
    assert len(pids) >= 3, pids  # two web workers and the Celery worker wrote counters
    for _ in range(6):  # every scrape, whichever worker answers it, sees all of them
        text = scraped()
        assert _sample(text, "django_http_responses_total_by_status_view_method_total", **healthz) == \
            baseline + REQUESTS
        assert _sample(text, "hotsauce_celery_tasks_total", task="inventory.reconcile", outcome="succeeded") == 1
        assert _sample(text, "hotsauce_reconcile_drift_lots") == 0

    lines = [json.loads(line) for line in stack["web_log"].read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "hotsauce.request"
                and line.get("path") == "/api/v1/products"]
    assert sorted(line["request_id"] for line in requests) == ["mp-test-0", "mp-test-1", "mp-test-2"]
    first = requests[0]
    assert {"timestamp", "level", "message", "request_id", "client", "client_ip", "route", "status", "duration_ms",
            "db_ms", "db_queries"} <= set(first)
    assert (first["route"], first["status"], first["client_ip"], first["level"]) == (
        "api/v1/products", 401, "127.0.0.1", "INFO")
    tasks = [json.loads(line) for line in stack["worker_log"].read_text().splitlines() if line.startswith("{")]
    task_lines = [line for line in tasks if line.get("logger") == "hotsauce.task"]
    assert [(t["task"], t["outcome"]) for t in task_lines] == [("inventory.reconcile", "succeeded")]
    assert task_lines[0]["db_queries"] >= 1 and task_lines[0]["duration_ms"] > 0
