"""Every event on RabbitMQ, in order, through a relay killed with SIGKILL mid-stream.

Runs on the machine's RabbitMQ (127.0.0.1:5672, guest/guest) in a virtual host of its own,
created and deleted by the test, so parallel runs never see each other's messages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from kombu import Connection, Consumer, Exchange, Queue

from partners.models import Supplier
from tests.test_webhooks_e2e import _test_database_url
from webhooks.models import Event
from webhooks.relay.models import RelayCursor
from webhooks.relay.services import NO_SUPPLIER_KEY, routing_key
from webhooks.services import event_emit

BASE_DIR = Path(__file__).resolve().parent.parent
AMQP_ROOT = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
TOTAL = 1000
BATCH = 50

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the RabbitMQ relay test: {reason}")
    pytest.skip(reason)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def vhost():
    """A virtual host of our own on the machine's RabbitMQ, deleted afterwards."""
    if shutil.which("rabbitmqctl") is None:
        _unavailable("rabbitmqctl not found (RabbitMQ runs on the CI machine)")
    try:
        with Connection(f"{AMQP_ROOT}//", connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises several types for one unreachable broker
        _unavailable(f"RabbitMQ not reachable at {AMQP_ROOT}: {exc}")
    name = f"hotsauce_test_{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", name)
    try:
        _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield f"{AMQP_ROOT}/{name}"
    finally:
        _rabbitmqctl("delete_vhost", name)


class Relay:
    def __init__(self, url: str, log_dir: str):
        self.url, self.log_path, self.process = url, Path(log_dir) / "relay.log", None

    def start(self) -> Relay:
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "EVENTS_AMQP_URL": self.url,
               "LOG_FORMAT": "json"}
        self.log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "relay_events", "--batch", str(BATCH), "--idle-sleep", "0.1"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()


def _cursor() -> int:
    return RelayCursor.objects.filter(name="amqp").values_list("last_sequence", flat=True).first() or 0


def _emit_batch(start: int, count: int, supplier: Supplier) -> None:
    with transaction.atomic():
        for n in range(start, start + count):
            if n % 10 == 0:  # no supplier: routed with the brand key
                event_emit(type="webhook.test", data={"n": n, "message": "relay test"})
            else:
                event_emit(type="inventory.updated", data={"supplier_id": supplier.code, "n": n},
                           supplier_ids=[supplier.pk])


def _example_consumer():
    import importlib.util

    spec = importlib.util.spec_from_file_location("erp_consumer", BASE_DIR / "docs" / "examples" / "erp_consumer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait(predicate, timeout: float, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message())


@pytest.mark.django_db(transaction=True)
def test_a_consumer_receives_all_1000_events_in_order_across_a_kill_9_of_the_relay(sandbox, vhost):
    supplier = Supplier.objects.get(code="SUP123")
    first_sequence = (Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    # The brand's ERP binds its queue first: a topic exchange keeps nothing for queues to come.
    exchange = Exchange("hotsauce.events", type="topic", durable=True)
    erp = Queue("erp.all-events", exchange=exchange, routing_key="#", durable=True)
    sup_only = Queue("erp.sup123-stock", exchange=exchange, routing_key="inventory.updated.SUP123", durable=True)
    with Connection(vhost) as conn:
        erp(conn.default_channel).declare()
        sup_only(conn.default_channel).declare()
    RelayCursor.objects.filter(name="amqp").update(last_sequence=first_sequence - 1)
    RelayCursor.objects.get_or_create(name="amqp", defaults={"last_sequence": first_sequence - 1})

    logs = tempfile.TemporaryDirectory(prefix="hs_relay_")
    relay = Relay(vhost, logs.name).start()
    killed_at = None
    emitted = 0
    try:
        # Events keep coming while the relay publishes; it dies with some published, not all.
        while emitted < TOTAL:
            _emit_batch(emitted, 50, supplier)
            emitted += 50
            if killed_at is None and _cursor() - first_sequence + 1 >= 200:
                relay.kill9()
                killed_at = _cursor()
            elif killed_at is None:
                time.sleep(0.05)
        if killed_at is None:  # it never got 200 ahead while we emitted: kill it now, mid-way
            _wait(lambda: _cursor() - first_sequence + 1 >= 200, 60, lambda: relay.log_path.read_text()[-3000:])
            relay.kill9()
            killed_at = _cursor()
        last_sequence = first_sequence + TOTAL - 1
        assert killed_at < last_sequence, "the relay was not killed mid-stream"
        relay = Relay(vhost, logs.name).start()
        _wait(lambda: _cursor() >= last_sequence, 120,
              lambda: f"cursor {_cursor()} < {last_sequence}:\n" + relay.log_path.read_text()[-3000:])
    finally:
        relay.stop()

    received = []

    def on_message(body, message):
        received.append((message.properties, message.delivery_info["routing_key"], message.body))
        message.ack()

    with Connection(vhost) as conn, Consumer(conn, queues=[erp], callbacks=[on_message], accept=["json"]):
        deadline = time.monotonic() + 60
        while len({props["message_id"] for props, _k, _b in received}) < TOTAL and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=2)
            except TimeoutError:
                pass

    events = {e.event_id: e for e in Event.objects.filter(sequence__gte=first_sequence)}
    assert len(events) == TOTAL
    first_copies: dict[str, tuple] = {}
    order = []
    for props, key, body in received:
        envelope = json.loads(body)
        event = events[props["message_id"]]
        assert envelope == json.loads(json.dumps(event.envelope()))  # the 5.1 envelope, byte for byte in JSON
        assert props["delivery_mode"] == 2 and props["content_type"] == "application/json"
        assert key == routing_key(event)
        assert key == (f"webhook.test.{NO_SUPPLIER_KEY}" if event.type == "webhook.test"
                       else "inventory.updated.SUP123")
        if props["message_id"] in first_copies:
            assert first_copies[props["message_id"]] == body  # a duplicate is the same message
        else:
            first_copies[props["message_id"]] = body
            order.append(envelope["sequence"])
    duplicates = len(received) - len(first_copies)
    assert order == list(range(first_sequence, first_sequence + TOTAL)), "missing or out of order"
    # Resumed from the confirmed cursor, not from the start: at most the batch in flight again.
    assert duplicates <= BATCH, duplicates
    with Connection(vhost) as conn:
        _name, depth, _consumers = sup_only(conn.default_channel).queue_declare(passive=True)
    # The supplier-bound queue got exactly the stock events (and their duplicates), nothing else.
    assert depth == sum(1 for _props, key, _body in received if key == "inventory.updated.SUP123")
    assert depth >= sum(1 for e in events.values() if e.type == "inventory.updated")
    # The consumer docs/events.md shows reads that queue: each stock event once, duplicates skipped.
    example = _example_consumer()
    stock_events = sum(1 for e in events.values() if e.type == "inventory.updated")
    assert example.consume(vhost, "inventory.updated.SUP123", "erp.sup123-stock", limit=stock_events) == stock_events
    assert example.consume(vhost, "inventory.updated.SUP123", "erp.sup123-stock", limit=1) == 0  # nothing left over
    print(f"killed after sequence {killed_at}; {len(received)} messages, {duplicates} duplicates")
    logs.cleanup()


@pytest.mark.django_db(transaction=True)
def test_the_relay_reports_as_a_periodic_job_once_caught_up(vhost, settings):
    from hotsauce.jobs import job_statuses
    from webhooks.relay.services import RELAY_JOB, relay_run

    settings.PERIODIC_JOBS_OUTSIDE_BEAT = {RELAY_JOB: 60}  # what EVENTS_AMQP_URL turns on
    assert job_statuses()[RELAY_JOB] == {"lastSuccess": None, "overdue": False}
    with transaction.atomic():
        event_emit(type="webhook.test", data={"message": "relay job"})
    assert relay_run(url=vhost, once=True) >= 1
    assert job_statuses()[RELAY_JOB]["lastSuccess"] is not None
