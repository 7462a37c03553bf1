"""The forecast run on both databases: the embedded SQLite default runs it too, with the same numbers.

PostgreSQL runs the statistics and the forecast upsert as dialect SQL (``_STATS_SQL``,
``_UPSERT_SQL``, pinned by test_forecast_scale.py); other databases go through the ORM
(``_stats_rows_portable``). These tests run on whichever database the suite uses, and the
last one compares the two statistics paths row by row on PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import forecasting, services
from inventory.models import Forecast, InventoryItem, InventoryTransaction, RestockAlert
from inventory.tasks import forecasts_recompute_task
from tests import factories
from tests.test_forecast_support import app_queries, backdate, item_with_history


def test_seed_demo_then_the_periodic_task_in_process(db):
    call_command("seed_demo", stdout=io.StringIO())
    items = InventoryItem.objects.count()
    assert items > 0
    assert forecasts_recompute_task() == items
    assert Forecast.objects.count() == items
    # A second run (beat every 15 minutes) overwrites the same rows and opens nothing new.
    alerts = RestockAlert.objects.count()
    assert forecasts_recompute_task() == items
    assert Forecast.objects.count() == items
    assert RestockAlert.objects.count() == alerts


def test_the_forecast_and_alert_endpoints_answer_after_a_run(sandbox, brand_caller):
    forecasts_recompute_task()
    forecasts = brand_caller.get("/api/v1/forecasts")
    assert forecasts.status_code == 200, forecasts.content
    assert forecasts.json()["results"]
    assert brand_caller.get("/api/v1/forecasts?belowReorderPoint=true").status_code == 200
    stockout = (timezone.now() + timedelta(days=30)).date().isoformat()
    assert brand_caller.get(f"/api/v1/forecasts?stockoutBefore={stockout}").status_code == 200
    assert brand_caller.get("/api/v1/alerts").status_code == 200


def low_items(count: int) -> list[InventoryItem]:
    sup = factories.supplier()
    factories.warehouse(sup)
    products = [factories.product() for _ in range(count)]
    for prod in products:
        item_with_history(sup, prod, [10] * 5, stock=60)  # 10 left, reorder point above 50
    return list(InventoryItem.objects.filter(supplier=sup))


def run_queries() -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        forecasting.forecasts_recompute()
    return app_queries(ctx)


def test_a_run_without_alert_changes_is_a_fixed_number_of_queries(db):
    low_items(2)
    run_queries()  # opens the two alerts
    small = run_queries()
    low_items(6)
    run_queries()
    large = run_queries()
    assert Forecast.objects.count() == 8
    assert RestockAlert.objects.filter(status="open").count() == 8
    assert len(large) == len(small), large


def test_an_item_run_recomputes_only_that_item(db):
    first, second = low_items(2)
    result = forecasting.forecasts_recompute(item_ids=[first.pk])
    assert result.items == 1
    assert list(Forecast.objects.values_list("item_id", flat=True)) == [first.pk]
    assert list(RestockAlert.objects.values_list("item_id", flat=True)) == [first.pk]


def test_a_restock_resolves_and_a_sellout_escalates(db):
    low, empty = low_items(2)
    forecasting.forecasts_recompute()
    factories.receive(low.supplier, low.product, 500, warehouse_code="WH1")
    services.movement_record(supplier=empty.supplier, product=empty.product, type="sale", quantity=10, actor=None)
    result = forecasting.forecasts_recompute()
    assert [RestockAlert.objects.get(pk=pk).item_id for pk in result.resolved] == [low.pk]
    assert [RestockAlert.objects.get(pk=pk).item_id for pk in result.escalated] == [empty.pk]
    assert RestockAlert.objects.get(item=empty, status="open").severity == "out_of_stock"


@pytest.mark.postgres
def test_the_portable_statistics_equal_the_postgresql_query(db):
    sup = factories.supplier()
    factories.warehouse(sup)
    steady, young, old = factories.product(), factories.product(), factories.product()
    item_with_history(sup, steady, [10, 12, 0, 9, 11, 8, 0, 14] * 5, stock=2000)
    item_with_history(sup, young, [3, 0, 5], stock=100)
    item_with_history(sup, old, [4] * 10, stock=100)
    # A row older than the window makes the window full; a row without deltas counts by quantity.
    older = InventoryTransaction.objects.filter(product=old).order_by("pk").first()
    backdate_days = forecasting.WINDOW_DAYS + 5
    InventoryTransaction.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=backdate_days))
    moved = factories.receive(sup, young, 1, warehouse_code="WH1")
    backdate(moved, 2)
    InventoryTransaction.objects.filter(product=young, type="sale").update(on_hand_delta=0)

    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(UTC).date()
    beta = forecasting.decay()
    with connection.cursor() as cursor:
        cursor.execute(forecasting._sql(forecasting._STATS_SQL), forecasting._stats_params(
            today=today, now=now, beta=beta, item_ids=None, provided={}))
        expected = sorted(cursor.fetchall())
    actual = sorted(forecasting._stats_rows_portable(today=today, now=now, beta=beta, item_ids=None))
    assert len(actual) == len(expected) == 3
    for got, want in zip(actual, expected, strict=True):
        assert got[0] == want[0]
        assert got[1] == pytest.approx(float(want[1]), rel=1e-12)
        assert got[2] == pytest.approx(float(want[2]), rel=1e-12)
        assert got[3:] == tuple(want[3:])
