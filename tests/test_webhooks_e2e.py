"""End to end: a real Celery worker process on Redis sends to a real local HTTP receiver.

The web side is this pytest process (the API through the test client); the worker is
``celery -A hotsauce worker -B`` (with its embedded beat running the sweeper) against the
same committed test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection
from standardwebhooks import Webhook

from hotsauce.celery import app as celery_app
from tests.test_webhooks_delivery import Receiver
from webhooks import delivery as delivery_service
from webhooks.models import Delivery, DeliveryAttempt, Event

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL")
# A Redis database of its own, so no other process's worker takes these tasks.
E2E_REDIS_DB = os.environ.get("WEBHOOKS_E2E_REDIS_DB", "14")
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (the e2e worker uses it as broker)"),
]


def _broker_url() -> str:
    parts = urlsplit(REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{E2E_REDIS_DB}", parts.query, ""))


def _test_database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _use_broker(url: str) -> None:
    """Point this (web) process's publishing at ``url``: drop the cached producer pools."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_write_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    delivery_service._broker_down_until = 0.0  # forget an earlier outage


@pytest.fixture
def broker():
    import redis

    url = _broker_url()
    redis.Redis.from_url(url).delete("celery")  # stale hints from an earlier run
    _use_broker(url)
    yield url
    _use_broker(REDIS_URL)


class Worker:
    def __init__(self, broker_url: str):
        self.broker_url = broker_url
        self.var_dir = tempfile.TemporaryDirectory(prefix="hs_webhooks_worker_")
        self.log_path = Path(self.var_dir.name) / "worker.log"
        self.process = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": self.broker_url,
            "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
            "WEBHOOK_RETRY_SCHEDULE": "0,1,1",
            "HOTSAUCE_VAR_DIR": self.var_dir.name,
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "hotsauce", "worker", "-B", "--pool", "threads",
             "--concurrency", "4", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("worker did not start:\n" + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.var_dir.cleanup()


@pytest.fixture
def worker_factory(broker):
    workers = []

    def start() -> Worker:
        workers.append(Worker(broker).start())
        return workers[-1]

    yield start
    for w in workers:
        w.stop()


@pytest.fixture
def private_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def wait_for(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(message)


def subscribe(caller, url) -> dict:
    response = caller.post("/api/v1/webhooks", {"url": url, "eventTypes": ["inventory.updated"]})
    assert response.status_code == 201, response.content
    return response.json()


def reserve(caller, key: str):
    response = caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "reservation", "quantity": 1}, key=key)
    assert response.status_code in (200, 201), response.content
    return response


@pytest.mark.django_db(transaction=True)
def test_reservation_reaches_a_real_receiver_signed_and_retried_through_a_real_worker(
        supplier_caller, worker_factory, private_urls):
    worker = worker_factory()
    with Receiver([500, 500, 200]) as receiver:
        hook = subscribe(supplier_caller, receiver.url)
        started = time.monotonic()
        reserve(supplier_caller, "e2e-1")
        wait_for(lambda: receiver.requests, 2, "no delivery within 2 s:\n" + worker.log_path.read_text()[-2000:])
        first_after = time.monotonic() - started
        wait_for(lambda: len(receiver.requests) >= 3 and Delivery.objects.filter(state="succeeded").exists(), 30,
                 "retries did not complete:\n" + worker.log_path.read_text()[-2000:])
        time.sleep(1.5)  # a fourth request would show up now if anything re-sent the delivery
    event = Event.objects.filter(type="inventory.updated").latest("sequence")
    assert len(receiver.requests) == 3
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {event.event_id}
    for request in receiver.requests:
        payload = Webhook(hook["secret"]).verify(request["body"], request["headers"])
        assert payload["type"] == "inventory.updated" and payload["sequence"] == event.sequence
    delivery = Delivery.objects.get(event=event)
    assert (delivery.state, delivery.attempts) == ("succeeded", 3)
    assert DeliveryAttempt.objects.filter(delivery=delivery, success=True).count() == 1

    listed = supplier_caller.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["results"]
    assert [(a["attempt"], a["statusCode"], a["status"]) for a in listed] == [
        (1, 500, "failed"), (2, 500, "failed"), (3, 200, "succeeded")]
    assert {a["eventId"] for a in listed} == {event.event_id}
    assert {a["deliveryStatus"] for a in listed} == {"succeeded"}
    assert all(a["latencyMs"] is not None for a in listed) and listed[0]["error"] == "HTTP 500"
    print(f"first delivery {first_after:.3f} s after the reservation")


@pytest.mark.django_db(transaction=True)
def test_broker_outage_loses_nothing_and_duplicates_nothing(supplier_caller, worker_factory, private_urls):
    with Receiver([200]) as receiver:
        subscribe(supplier_caller, receiver.url)
        _use_broker(DEAD_BROKER)
        try:
            for i in range(5):
                reserve(supplier_caller, f"outage-{i}")  # every request succeeds with the broker down
        finally:
            _use_broker(_broker_url())
        events = list(Event.objects.filter(type="inventory.updated").order_by("-sequence")[:5])
        deliveries = Delivery.objects.filter(event__in=events)
        assert deliveries.count() == 5
        assert all(d.state == "pending" and d.enqueued_at is None for d in deliveries)
        assert receiver.requests == []

        worker = worker_factory()  # its beat's sweeper finds what the broker never carried
        wait_for(lambda: len(receiver.requests) >= 5 and not Delivery.objects.exclude(state="succeeded").exists(),
                 30, "deliveries did not catch up:\n" + worker.log_path.read_text()[-2000:])
        time.sleep(2.5)  # a sweep or two more: nothing may be sent again
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert sorted(ids) == sorted(e.event_id for e in events)
    assert DeliveryAttempt.objects.filter(success=True).count() == 5
