"""/metrics after a scripted workload: every business metric moves by exactly what was done.

Counters are process-wide (and merged from every process that wrote to the metrics
directory), so the test compares a scrape before and after its own workload.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.db import connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from hotsauce import metrics
from hotsauce.api.idempotency import REPLAYED_HEADER
from inventory.services import reconcile
from inventory.tasks import reconcile_task
from partners.models import Supplier
from tests.test_events_feed import emit
from tests.test_webhooks_delivery import Receiver
from webhooks import delivery as delivery_service
from webhooks.models import Delivery, Endpoint
from webhooks.relay.models import RelayCursor
from webhooks.sequencing import sequence_newest
from webhooks.tasks import delivery_send

BASE_DIR = Path(__file__).resolve().parent.parent
ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"
# Names every scrape of the scripted workload saw (sample names, with _total/_bucket/...).
SEEN: set[str] = set()


def scrape(**extra) -> dict[tuple[str, frozenset], float]:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
            SEEN.add(sample.name)
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answers_loopback_and_refuses_other_addresses_with_403():
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::1").status_code == 200
    refused = Client().get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    assert b"hotsauce_" not in refused.content


@pytest.mark.django_db
def test_allowed_networks_and_bearer_token_are_configurable(settings):
    import ipaddress

    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.20.0.0/16")]
    settings.METRICS_BEARER_TOKEN = "s3cret-scrape-token"
    assert Client().get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9",
                        HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200


def test_bad_metrics_allowlist_stops_the_process_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "METRICS_ALLOWED_IPS": "127.0.0.1,not-a-network", "LOG_FORMAT": "json"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "METRICS_ALLOWED_IPS" in result.stderr


# --- the scripted workload ------------------------------------------------------------------


def _move(caller, key, **body):
    return caller.post(ITEM, body, key=key)


def _rate_limited_once(make_caller, settings) -> str:
    previous, settings.API_RATE_LIMIT = settings.API_RATE_LIMIT, "3/min"
    caller = make_caller("supplier", "SUP123")
    try:
        for _ in range(10):
            if caller.get(ITEM).status_code == 429:
                return caller.creds["clientId"]
        raise AssertionError("no 429 within 10 calls at 3/min")
    finally:
        settings.API_RATE_LIMIT = previous


def _sse_open_then_closed(supplier_caller) -> tuple[float, float]:
    response = supplier_caller.get("/api/v1/events/stream")
    assert response.status_code == 200
    frames = iter(response.streaming_content)
    next(frames)  # the stream has started
    during = value(scrape(), "hotsauce_sse_streams_open")
    # The client hangs up. (Closing fires request_finished, whose connection cleanup would end
    # this test's transaction: keep it from closing, as Django's test client does for requests.)
    with mock.patch.object(connection, "close_if_unusable_or_obsolete"):
        response.close()
    return during, value(scrape(), "hotsauce_sse_streams_open")


@pytest.fixture
def jobs_reported():
    last = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    metrics.job_source_register(lambda: {
        "webhooks-deliveries-sweep": {"lastSuccess": last, "overdue": False},
        "inventory-reconcile": {"lastSuccess": None, "overdue": True},
    })
    yield last
    metrics.job_source_register(None)


@pytest.fixture
def private_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 1, 1]


def test_scripted_workload_moves_every_business_metric_by_what_was_done(
        supplier_caller, retailer_caller, make_caller, settings, jobs_reported, private_urls,
        django_capture_on_commit_callbacks):
    sup = Supplier.objects.get(code="SUP123")
    before = scrape()

    # Movements and status changes count on commit: run the commit hooks this test's
    # transaction would have run (no webhook endpoint exists yet, so none publishes).
    settings.CELERY_TASK_ALWAYS_EAGER = True  # backorder allocation on arrival runs inline
    with django_capture_on_commit_callbacks(execute=True):
        # stock: two movements, one refusal, one replay
        expiry = (datetime.now(UTC) + timedelta(days=200)).strftime("%Y-%m-%dT00:00:00Z")
        assert _move(supplier_caller, "m-1", type="receipt", quantity=10, warehouseLocation="Warehouse_A",
                     batchNumber="METRICS-1", expirationDate=expiry).status_code == 201
        assert _move(supplier_caller, "m-2", type="reservation", quantity=2).status_code == 201
        assert _move(supplier_caller, "m-3", type="reservation", quantity=100000).status_code == 409
        replay = _move(supplier_caller, "m-2", type="reservation", quantity=2)
        assert replay[REPLAYED_HEADER] == "true"
        # orders: created (allocated), then cancelled (releases what it reserved)
        order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "reference": "PO-M",
                                                        "lines": [{"productId": "HOTSAUCE789", "quantity": 3}]},
                                     key="o-1")
        assert order.status_code == 201 and order.json()["status"] == "allocated"
        cancel = retailer_caller.post(f"/api/v1/orders/{order.json()['orderId']}/cancel", {}, key="o-2")
        assert cancel.status_code == 200
    client_id = _rate_limited_once(make_caller, settings)
    sse_during, sse_after = _sse_open_then_closed(supplier_caller)

    # webhooks: one endpoint that takes deliveries, one that fails them
    with Receiver([200]) as good, Receiver([500]) as bad:
        ok_hook = supplier_caller.post("/api/v1/webhooks", {"url": good.url, "eventTypes": ["order.created"]})
        bad_hook = supplier_caller.post("/api/v1/webhooks", {"url": bad.url, "eventTypes": ["order.updated"]})
        assert ok_hook.status_code == bad_hook.status_code == 201
        emit("order.created", suppliers=[sup.pk], n=1)
        emit("order.updated", suppliers=[sup.pk], n=2)
        emit("order.created", suppliers=[sup.pk], n=3)
        pending = list(Delivery.objects.filter(state="pending").order_by("event__sequence"))
        assert len(pending) == 3
        newest = sequence_newest()
        lag_before = scrape()
        for row in pending[:2]:
            delivery_service.delivery_attempt(delivery_id=row.pk)
    RelayCursor.objects.create(name="amqp", last_sequence=newest - 5)

    # periodic work: reconciliation, and Celery tasks that succeed and fail
    assert reconcile() == []
    reconcile_task.apply()
    delivery_send.apply(args=["not-a-delivery-id"], throw=False)
    after = scrape()

    assert delta(before, after, "hotsauce_stock_movements_total", type="receipt") == 1
    assert delta(before, after, "hotsauce_stock_movements_total", type="reservation") == 2  # movement + order
    assert delta(before, after, "hotsauce_stock_movements_total", type="release") == 1  # the cancel
    assert delta(before, after, "hotsauce_api_refusals_total", code="insufficient_stock", status="409") == 1
    assert delta(before, after, "hotsauce_api_refusals_total", code="rate_limited", status="429") == 1
    assert delta(before, after, "hotsauce_idempotent_replays_total") == 1
    assert delta(before, after, "hotsauce_order_status_changes_total", from_status="new", to_status="allocated") == 1
    assert delta(before, after, "hotsauce_order_status_changes_total", from_status="allocated",
                 to_status="cancelled") == 1
    assert delta(before, after, "hotsauce_rate_limited_total", client=client_id) == 1
    assert (sse_during - value(before, "hotsauce_sse_streams_open"), sse_after) == (1, value(before,
                                                                                            "hotsauce_sse_streams_open"))

    assert delta(before, after, "hotsauce_webhook_attempts_total", outcome="succeeded") == 1
    assert delta(before, after, "hotsauce_webhook_attempts_total", outcome="http_error") == 1
    assert delta(before, after, "hotsauce_webhook_delivery_latency_seconds_count") == 1
    assert value(lag_before, "hotsauce_outbox_lag_events", consumer="webhooks") == 3
    assert value(after, "hotsauce_outbox_lag_events", consumer="webhooks") == 2  # the failed one is owed again
    assert value(after, "hotsauce_outbox_lag_events", consumer="amqp_relay") == 5
    assert value(after, "hotsauce_event_sequence") == newest
    assert value(after, "hotsauce_webhook_endpoints", state="failing") == 1
    failing = Endpoint.objects.get(public_id=bad_hook.json()["id"])
    assert value(after, "hotsauce_webhook_endpoint_failing_since_timestamp_seconds",
                 endpoint=failing.public_id) == pytest.approx(failing.failing_since.timestamp())

    assert value(after, "hotsauce_reconcile_drift_lots") == 0
    assert value(after, "hotsauce_reconcile_last_run_timestamp_seconds") > value(before, "hotsauce_reconcile_last_run_"
                                                                                 "timestamp_seconds")
    assert delta(before, after, "hotsauce_celery_tasks_total", task="inventory.reconcile", outcome="succeeded") == 1
    assert delta(before, after, "hotsauce_celery_tasks_total", task="webhooks.delivery_send", outcome="failed") == 1
    assert delta(before, after, "hotsauce_celery_task_duration_seconds_count", task="inventory.reconcile") == 1
    assert value(after, "hotsauce_celery_task_last_success_timestamp_seconds", task="inventory.reconcile") > 0
    assert value(after, "hotsauce_job_last_success_timestamp_seconds",
                 job="webhooks-deliveries-sweep") == jobs_reported.timestamp()
    assert value(after, "hotsauce_job_overdue", job="webhooks-deliveries-sweep") == 0
    assert value(after, "hotsauce_job_overdue", job="inventory-reconcile") == 1

    # request and database metrics (django-prometheus and ours)
    assert delta(before, after, "django_http_requests_latency_seconds_by_view_method_count",
                 view="inventory-item", method="POST") == 4
    assert delta(before, after, "django_http_responses_total_by_status_view_method_total",
                 status="409", view="inventory-item", method="POST") == 1
    assert delta(before, after, "hotsauce_db_query_duration_seconds_count", vendor=_vendor()) > 0


def _vendor() -> str:
    return connection.vendor


# --- dashboards and alert rules name only what the scrape shows ------------------------------

_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                 "offset", "inf", "nan", "le"}


def promql_metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\$\{?\w+\}?", "", expr)  # Grafana variables
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        rest = expr[match.end():].lstrip()
        if rest.startswith("(") or match.group(0) in _PROMQL_WORDS:
            continue  # a function or aggregation
        if re.match(r"\d", expr[max(0, match.start() - 1):match.start()] or "x"):
            continue  # a duration or number suffix such as 5m or 1e3
        names.add(match.group(0))
    return names


def all_promql() -> list[tuple[str, str]]:
    found = []
    for path in sorted((BASE_DIR / "ops" / "grafana" / "dashboards").glob("*.json")):
        import json

        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                found.append((f"{path.name}: {panel['title']}", target["expr"]))
    for path in sorted((BASE_DIR / "ops" / "prometheus").glob("*rules*.yml")):
        if path.name.endswith(".test.yml"):
            continue
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found.append((f"{path.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return found


def test_promql_parser_finds_metric_names_and_skips_functions_and_labels():
    expr = ('histogram_quantile(0.99, sum by (le, view) (rate(django_http_requests_latency_seconds_by_view_method'
            '_bucket{view!~"metrics|healthz"}[$__rate_interval]))) > 2.5 and on() hotsauce_job_overdue == 1')
    assert promql_metric_names(expr) == {"django_http_requests_latency_seconds_by_view_method_bucket",
                                         "hotsauce_job_overdue"}


def test_every_dashboard_and_alert_expression_names_metrics_the_scrape_saw(
        supplier_caller, retailer_caller, make_caller, settings, jobs_reported, private_urls,
        django_capture_on_commit_callbacks):
    if not SEEN:  # run alone: do the workload here
        test_scripted_workload_moves_every_business_metric_by_what_was_done(
            supplier_caller, retailer_caller, make_caller, settings, jobs_reported, private_urls,
            django_capture_on_commit_callbacks)
    expressions = all_promql()
    assert len(expressions) >= 20
    unknown = {where: sorted(promql_metric_names(expr) - SEEN) for where, expr in expressions
               if promql_metric_names(expr) - SEEN}
    assert not unknown, unknown
    assert all(promql_metric_names(expr) for _where, expr in expressions)
