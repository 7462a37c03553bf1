"""Deliveries survive a worker killed mid-send and database connections cut during retries.

A delivery claimed by a worker that died, or whose outcome could not be written, is due
again once its claim lease runs out and the beat sweeper hands it out again: at least once,
always with the same ``webhook-id``, and nothing stays ``pending``.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook

from tests import factories
from tests.celery_support import (
    BEAT_READY,
    WORKER_READY,
    child_database_url,
    child_env,
    redis_queue_clear,
    start_beat,
    start_worker,
    wait_until,
)
from tests.test_webhooks_delivery import Receiver, _emit, _subscribe
from webhooks import delivery as delivery_service
from webhooks import tasks
from webhooks.models import Delivery

WORKER_APP = "hs-reclaim-worker"  # application_name of the workers' connections: what we cut
LEASE_SECONDS = 10  # production: 60; the enqueue grace is half of it
EVENTS = 6


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 1, 1]


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_handed_out_again_after_the_lease(private_ok, monkeypatch):
    supplier = factories.supplier()
    published = []
    monkeypatch.setattr(delivery_service, "_broker_down_until", 0.0)
    monkeypatch.setattr(tasks.delivery_send, "apply_async", lambda args, countdown=None: published.append(args[0]))
    with Receiver([200]) as receiver:
        _subscribe(receiver.url, supplier.pk)
        event = _emit(supplier.pk)
        delivery = Delivery.objects.get(event=event)
        claimed_at = timezone.now()
        assert delivery_service._claim(delivery.pk, claimed_at)  # ...and the worker dies: no outcome written
        lease = delivery_service.claim_lease()
        assert delivery_service.deliveries_sweep(now=claimed_at + lease - timedelta(seconds=1)) == 0
        assert delivery_service.deliveries_sweep(now=claimed_at + lease + timedelta(seconds=1)) == 1
        assert published == [delivery.pk]
        # The next worker sends it; it was not ours before the lease ran out.
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert delivery_service.delivery_attempt(delivery_id=delivery.pk).success
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [event.event_id]


# --- real processes: a worker killed with kill -9, connections cut -----------------------


class LoggingReceiver:
    """A real HTTP receiver that logs each request on arrival and its answer once sent.

    ``delay``: seconds before answering (a slow receiver). ``fail_first_attempt``: answer 500
    the first time an event id is seen, so every delivery needs a retry.
    """

    def __init__(self, *, delay: float = 0.0, fail_first_attempt: bool = False):
        self.log: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                entry = {"id": self.headers.get("webhook-id"), "headers": dict(self.headers.items()), "body": body,
                         "status": None}
                with receiver.lock:
                    seen = sum(1 for e in receiver.log if e["id"] == entry["id"])
                    receiver.log.append(entry)
                time.sleep(delay)
                status = 500 if fail_first_attempt and seen == 0 else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender died while we slept
                    status = "sender gone"
                entry["status"] = status

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def in_flight(self) -> set[str]:
        with self.lock:
            return {e["id"] for e in self.log if e["status"] is None}


def _cut_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = %s AND pid <> pg_backend_pid()", [WORKER_APP])
        return cursor.fetchone()[0]


def _subscribe_api(caller, url) -> dict:
    response = caller.post("/api/v1/webhooks", {"url": url, "eventTypes": ["inventory.updated"]})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (the workers' broker)")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_and_connections_cut_during_retries_lose_nothing(
        supplier_caller, private_ok, tmp_path):
    redis_queue_clear()
    env = child_env(tmp_path, WEBHOOK_ALLOW_PRIVATE_URLS="1", WEBHOOK_RETRY_SCHEDULE="0,1,1,1,1,1,1,1,1,1",
                    WEBHOOK_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS))
    worker_env = env | {"DATABASE_URL": child_database_url(WORKER_APP)}
    procs = []
    with LoggingReceiver(delay=1.0) as slow, LoggingReceiver(fail_first_attempt=True) as flaky:
        hooks = {slow: _subscribe_api(supplier_caller, slow.url), flaky: _subscribe_api(supplier_caller, flaky.url)}
        try:
            procs.append(start_beat(env, tmp_path, wait=False))
            procs.append(start_worker(worker_env, tmp_path, name="worker-1", concurrency=8, wait=False))
            procs[0].wait_for_log(BEAT_READY)
            procs[1].wait_for_log(WORKER_READY)
            for i in range(EVENTS):
                response = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789",
                                                {"type": "reservation", "quantity": 1}, key=f"reclaim-{i}")
                assert response.status_code in (200, 201), response.content
            events = {d.event.event_id for d in Delivery.objects.select_related("event")}
            assert len(events) == EVENTS and Delivery.objects.count() == 2 * EVENTS

            # 1. kill -9 while the slow receiver holds a request: that claim is never answered.
            killed = wait_until(slow.in_flight, 30, lambda: "no send in flight:\n" + procs[1].log()[-2000:])
            procs[1].kill9()

            # 2. a fresh worker, and its database connections cut while the retries run.
            procs.append(start_worker(worker_env, tmp_path, name="worker-2", concurrency=8))
            wait_until(lambda: Delivery.objects.filter(endpoint__url=flaky.url, state="pending",
                                                       attempts__gte=1).exists(), 30, "no retries under way")
            cut, outage_ends = 0, time.monotonic() + 4
            while time.monotonic() < outage_ends or (cut == 0 and time.monotonic() < outage_ends + 15):
                cut += _cut_worker_connections()
                time.sleep(0.05)
            assert cut >= 1, "no worker connection was cut"

            # 3. everything arrives.
            wait_until(lambda: not Delivery.objects.exclude(state="succeeded").exists(), 90,
                       lambda: f"still owed: {list(Delivery.objects.exclude(state='succeeded').values())}\n"
                               + procs[-1].log()[-3000:])
        finally:
            for proc in procs:
                proc.stop()

    assert Delivery.objects.filter(state="succeeded").count() == 2 * EVENTS
    for receiver, hook in hooks.items():
        received = Counter(e["id"] for e in receiver.log)
        assert set(received) == events  # every event reached this endpoint, no other id did
        assert {e["id"] for e in receiver.log if e["status"] == 200} == events
        for entry in receiver.log:  # a duplicate is the same event under the same webhook-id
            payload = Webhook(hook["secret"]).verify(entry["body"], entry["headers"])
            assert payload["id"] == entry["id"]
    assert all(Counter(e["id"] for e in slow.log)[event_id] >= 2 for event_id in killed)  # sent again
    print(f"killed mid-send: {len(killed)}; connections cut: {cut}; requests slow/flaky: "
          f"{len(slow.log)}/{len(flaky.log)} for {EVENTS} events each")
