"""Sixty days of 10 ± 2 units a day, a 7-day lead time: forecast, alert, no repeat, resolution."""

import math
import random
import statistics
import uuid

import pytest

from inventory import forecasting, services
from inventory.models import Forecast, InventoryTransaction, RestockAlert
from tests import factories
from tests.test_forecast_support import item_with_history, sell_now
from webhooks.models import Event

# Runs on both databases: the SQLite path must give the same numbers and alerts.


@pytest.fixture
def steady_item(db):
    sup = factories.supplier()
    prod = factories.product()
    factories.warehouse(sup)
    rng = random.Random(8)
    daily = [10 + rng.randint(-2, 2) for _ in range(60)]
    item_with_history(sup, prod, daily, stock=2000)
    return sup, prod, daily


def hand_reorder_point(daily: list[int]) -> float:
    # d = 10 (the generator's mean), σd = sample deviation of the days, L = 7, σL = 0, z(95%)
    z = statistics.NormalDist().inv_cdf(0.95)
    return 10 * 7 + z * math.sqrt(7 * statistics.stdev(daily) ** 2)


def restock_events() -> int:
    return Event.objects.filter(type="alert.restock").count()


def test_steady_demand_gives_d_near_ten_and_the_hand_computed_reorder_point(steady_item):
    sup, prod, daily = steady_item
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__supplier=sup, item__product=prod)
    assert forecast.average_daily_demand == pytest.approx(10, abs=0.75)
    assert forecast.lead_time_days == 7
    assert forecast.observed_days == 60
    assert forecast.reorder_point == pytest.approx(hand_reorder_point(daily), rel=0.05)
    assert forecast.available_quantity == 2000 - sum(daily)


def test_the_sql_aggregate_matches_the_formula_on_the_same_days(steady_item):
    sup, prod, daily = steady_item
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__supplier=sup, item__product=prod)
    beta = forecasting.decay()
    ages = range(len(daily), 0, -1)  # oldest first, yesterday is age 1
    s1 = sum(beta ** (age - 1) * x for age, x in zip(ages, daily, strict=True))
    s2 = sum(beta ** (age - 1) * x * x for age, x in zip(ages, daily, strict=True))
    expected = forecasting.demand_stats(weighted_sum=s1, weighted_sum_sq=s2, observed_days=60, beta=beta)
    assert forecast.average_daily_demand == pytest.approx(expected.mean, abs=1e-6)
    assert forecast.demand_std_dev == pytest.approx(expected.std_dev, abs=1e-6)


def test_falling_below_the_reorder_point_opens_one_alert_until_a_receipt_resolves_it(steady_item):
    sup, prod, daily = steady_item
    forecasting.forecasts_recompute()
    assert RestockAlert.objects.count() == 0
    assert restock_events() == 0
    rop = Forecast.objects.get(item__product=prod).reorder_point

    sell_now(sup, prod, 2000 - sum(daily) - 50)  # 50 left, below ~76
    forecasting.forecasts_recompute()
    alert = RestockAlert.objects.get()
    assert (alert.status, alert.available_quantity, alert.severity) == ("open", 50, "low_stock")
    assert alert.reorder_point == pytest.approx(rop, rel=0.01)
    assert alert.suggested_order_quantity > 0
    assert restock_events() == 1
    assert Event.objects.filter(type="inventory.low_stock").count() == 1

    forecasting.forecasts_recompute()
    assert RestockAlert.objects.count() == 1
    assert restock_events() == 1

    factories.receive(sup, prod, 500)
    forecasting.forecasts_recompute()
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    assert restock_events() == 1


def test_an_open_alert_escalates_once_when_stock_runs_out(steady_item):
    sup, prod, daily = steady_item
    sell_now(sup, prod, 2000 - sum(daily) - 50)
    forecasting.forecasts_recompute()
    sell_now(sup, prod, 50)
    forecasting.forecasts_recompute()
    forecasting.forecasts_recompute()
    alert = RestockAlert.objects.get()
    assert (alert.status, alert.severity) == ("open", "out_of_stock")
    assert Event.objects.filter(type="inventory.out_of_stock").count() == 1
    assert restock_events() == 1


def test_an_acknowledged_alert_blocks_a_new_one_while_stock_stays_low(steady_item):
    sup, prod, daily = steady_item
    sell_now(sup, prod, 2000 - sum(daily) - 50)
    forecasting.forecasts_recompute()
    alert = RestockAlert.objects.get()
    forecasting.alert_acknowledge(alert=alert, actor=None)
    forecasting.forecasts_recompute()
    assert RestockAlert.objects.count() == 1
    assert RestockAlert.objects.get().status == "acknowledged"
    assert restock_events() == 1


def test_a_new_alert_opens_after_the_previous_one_resolved(steady_item):
    sup, prod, daily = steady_item
    sell_now(sup, prod, 2000 - sum(daily) - 50)
    forecasting.forecasts_recompute()
    factories.receive(sup, prod, 500)
    forecasting.forecasts_recompute()
    sell_now(sup, prod, 500)
    forecasting.forecasts_recompute()
    assert list(RestockAlert.objects.values_list("status", flat=True).order_by("id")) == ["resolved", "open"]
    assert restock_events() == 2


def test_an_item_without_demand_never_alerts(db):
    sup, prod = factories.supplier(), factories.product()
    factories.warehouse(sup)
    factories.receive(sup, prod, 5)
    services.movement_record(supplier=sup, product=prod, type="damage", quantity=5, actor=None)
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product=prod)
    assert (forecast.average_daily_demand, forecast.reorder_point, forecast.available_quantity) == (0, 0, 0)
    assert not RestockAlert.objects.exists()


@pytest.mark.postgres  # the fixture builder inserts ledger rows with generate_series
def test_shipments_count_as_demand_like_sales(db):
    from tests.test_forecast_scale import build_scale_fixture

    # Shipment rows are written by the orders app; here they are fixture rows (see the builder).
    build_scale_fixture(suppliers=1, products=2, days=28, every=1, low=0, movement_type="shipment")
    forecasting.forecasts_recompute()
    demands = list(Forecast.objects.values_list("average_daily_demand", flat=True))
    assert len(demands) == 2 and all(3 < d < 5 for d in demands)  # 1–7 units a day, cycling


def test_receipts_and_transfers_are_not_demand(db):
    sup, prod = factories.supplier(), factories.product()
    factories.warehouse(sup)
    factories.warehouse(sup, "WH2")
    item_with_history(sup, prod, [0] * 10, stock=100)
    moved = services.movement_record(supplier=sup, product=prod, type="transfer", quantity=40, actor=None,
                                warehouse_code="WH1", to_warehouse_code="WH2")
    from tests.test_forecast_support import backdate

    backdate(moved, 3)
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product=prod)
    assert (forecast.average_daily_demand, forecast.observed_days) == (0, 10)


def test_history_older_than_the_window_fills_the_whole_window(db):
    sup, prod = factories.supplier(), factories.product()
    factories.warehouse(sup)
    # Sold 9 a day 120 to 100 days ago, nothing since but one 90-unit sale yesterday.
    item_with_history(sup, prod, [9] * 21 + [0] * 98 + [90], stock=2000)
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product=prod)
    assert forecast.observed_days == forecasting.WINDOW_DAYS
    beta = forecasting.decay()
    w1 = (1 - beta ** 90) / (1 - beta)
    assert forecast.average_daily_demand == pytest.approx(90 / w1, abs=1e-6)


def test_imported_history_without_deltas_counts_by_quantity(db):
    from tests.test_forecast_support import day_noon

    sup, prod = factories.supplier(), factories.product()
    factories.warehouse(sup)
    item_with_history(sup, prod, [0] * 4, stock=100)
    template = InventoryTransaction.objects.get(item__product=prod)
    for age in (1, 2, 3, 4):  # fixture rows: history brought over from an older system
        InventoryTransaction.objects.create(
            movement_id=uuid.uuid4(), item=template.item, lot=template.lot, type="shipment", quantity=6,
            on_hand_after=100, reserved_after=0, item_version=1, supplier=sup, product=prod,
            warehouse=template.warehouse, batch=template.batch, created_at=day_noon(age))
    forecasting.forecasts_recompute()
    assert Forecast.objects.get(item__product=prod).average_daily_demand == pytest.approx(6)
