"""Replenishment on day one: imported demand history, backorders as demand, sell-through as a retailer's
signal (never both), replenishment policies over HTTP. Runs on both databases (the SQLite path too)."""

from __future__ import annotations

import io
import math
import random
import statistics
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory import forecasting, services
from inventory.models import Forecast, InventoryItem, RestockAlert
from inventory.replenishment.models import DemandHistory
from orders.models import Order
from tests import factories as f
from tests.conftest import problem
from tests.supply_support import key, ok, supply_world
from tests.test_forecast_support import backdate


def days_ago(n: int):
    return timezone.now().astimezone(UTC).date() - timedelta(days=n)


def history(values: list[int]) -> list[dict]:
    """Oldest first: the last value is yesterday's."""
    return [{"date": days_ago(len(values) - index).isoformat(), "quantity": value}
            for index, value in enumerate(values)]


def weighted(by_age: dict[int, int], observed: int):
    beta = forecasting.decay()
    s1 = sum(beta ** (age - 1) * x for age, x in by_age.items())
    s2 = sum(beta ** (age - 1) * x * x for age, x in by_age.items())
    return forecasting.demand_stats(weighted_sum=s1, weighted_sum_sq=s2, observed_days=observed, beta=beta)


@pytest.fixture
def world(db, make_caller):
    return supply_world(make_caller)


def test_sixty_days_of_history_forecast_the_same_minute_with_the_hand_computed_reorder_point(world):
    rng = random.Random(18)
    daily = [10 + rng.randint(-3, 3) for _ in range(60)]
    started = timezone.now()
    imported = ok(world["sup"].post("/api/v1/demandHistory", {
        "supplierId": "SUPX", "productId": "SAUCE", "source": "old ERP", "days": history(daily)}, key=key()), 201)
    assert imported["importedDays"] == 60 and imported["firstDate"] == days_ago(60).isoformat()
    forecast = Forecast.objects.get(item__supplier__code="SUPX", item__product__sku="SAUCE")
    assert (forecast.computed_at - started).total_seconds() < 60
    # By hand: d ≈ the days' mean, σd their sample deviation, L = 7 days, z(95 %).
    z = statistics.NormalDist().inv_cdf(0.95)
    hand = statistics.mean(daily) * 7 + z * math.sqrt(7 * statistics.stdev(daily) ** 2)
    assert forecast.reorder_point == pytest.approx(hand, rel=0.05)
    assert forecast.observed_days == 60
    assert imported["forecast"]["reorderPoint"] == pytest.approx(hand, rel=0.05)
    assert ok(world["sup"].get("/api/v1/forecasts/SUPX/SAUCE"))["averageDailyDemand"] == pytest.approx(
        statistics.mean(daily), rel=0.05)
    # Nothing on hand, demand known: the item needs stock now.
    assert RestockAlert.objects.get(item=forecast.item).status == "open"


def test_reimporting_a_day_replaces_it(world):
    sup = world["sup"]
    body = {"supplierId": "SUPX", "productId": "SAUCE", "days": history([10, 10, 10, 10])}
    first = ok(sup.post("/api/v1/demandHistory", body, key=key()), 201)["forecast"]
    again = ok(sup.post("/api/v1/demandHistory", body, key=key()), 201)["forecast"]
    assert first["averageDailyDemand"] == again["averageDailyDemand"] == 10
    assert DemandHistory.objects.count() == 4
    ok(sup.post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE",
                                          "days": [{"date": days_ago(1).isoformat(), "quantity": 30}]}, key=key()),
       201)
    assert DemandHistory.objects.count() == 4
    assert DemandHistory.objects.get(date=days_ago(1)).quantity == 30
    expected = weighted({1: 30, 2: 10, 3: 10, 4: 10}, 4).mean
    assert Forecast.objects.get().average_daily_demand == pytest.approx(expected, abs=1e-6)


def test_the_live_ledger_wins_from_its_first_day(world):
    packer, sauce = world["packer"], world["sauce"]
    receipt = f.receive(packer, sauce, 500, batch="L1", days=300)
    backdate(receipt, 3)  # live from three days ago
    sold = services.movement_record(supplier=packer, product=sauce, type="sale", quantity=7, actor=None)
    backdate(sold, 2)
    ok(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE",
                                                   "days": history([20, 20, 20, 20, 20, 20])}, key=key()), 201)
    forecast = Forecast.objects.get()
    # Ages 6, 5, 4 from the import; 3, 2, 1 from the ledger (the imported 20s there are ignored).
    expected = weighted({6: 20, 5: 20, 4: 20, 2: 7}, 6)
    assert forecast.average_daily_demand == pytest.approx(expected.mean, abs=1e-6)
    assert forecast.observed_days == 6


def test_bad_history_is_a_400_naming_every_day_and_writes_nothing(world):
    bad = problem(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE", "days": [
        {"date": days_ago(1).isoformat(), "quantity": 3}, {"date": days_ago(1).isoformat(), "quantity": 4},
        {"date": timezone.now().date().isoformat(), "quantity": 1}, {"date": days_ago(2).isoformat(),
                                                                    "quantity": -1}]}, key=key()))
    assert {e["field"] for e in bad["errors"]} == {"days[3].quantity"}
    bad = problem(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE", "days": [
        {"date": days_ago(1).isoformat(), "quantity": 3}, {"date": days_ago(1).isoformat(), "quantity": 4},
        {"date": timezone.now().date().isoformat(), "quantity": 1}]}, key=key()))
    assert {e["field"] for e in bad["errors"]} == {"days[1].date", "days[2].date"}
    assert DemandHistory.objects.count() == 0
    assert world["grow"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE", "days": history(
        [1])}, key=key()).status_code == 404
    assert world["retailers"]["R1"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE",
                                                                   "days": history([1])},
                                         key=key()).status_code == 403


def test_the_admin_imports_history_from_csv(world, admin_client):
    rows = "\n".join(f"SUPX,SAUCE,{day['date']},{day['quantity']}" for day in history([4, 5, 6]))
    upload = io.BytesIO(f"supplierId,productId,date,quantity\n{rows}\nSUPX,PEPPER,{days_ago(1)},9\n".encode())
    upload.name = "history.csv"
    response = admin_client.post("/admin/replenishment/demandhistory/import/", {"file": upload, "source": "ERP"})
    assert response.status_code == 302, response.content[:500]
    assert DemandHistory.objects.count() == 4
    assert Forecast.objects.filter(item__product__sku__in=["SAUCE", "PEPPER"]).count() == 2
    bad = io.BytesIO(b"supplierId,productId,date,quantity\nSUPX,NOPE,2020-01-01,1\nSUPX,SAUCE,soon,1\n")
    bad.name = "bad.csv"
    page = admin_client.post("/admin/replenishment/demandhistory/import/", {"file": bad})
    assert page.status_code == 200 and b"line 2" in page.content and b"line 3" in page.content
    assert DemandHistory.objects.count() == 4


def test_backordered_units_count_as_demand_until_they_ship_or_are_cancelled(world):
    order = ok(world["retailers"]["R1"].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 20}]}, key=key()), 201)
    assert order["status"] == "backordered"
    Order.objects.filter(code=order["orderId"]).update(created_at=timezone.now() - timedelta(days=3))
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product__sku="SAUCE")
    assert forecast.backordered_quantity == 20
    assert forecast.average_daily_demand == pytest.approx(weighted({3: 20}, 3).mean, abs=1e-6)
    ok(world["retailers"]["R1"].post(f"/api/v1/orders/{order['orderId']}/cancel", {}, key=key()))
    forecasting.forecasts_recompute()
    forecast.refresh_from_db()
    assert (forecast.backordered_quantity, forecast.average_daily_demand) == (0, 0)


def test_an_item_with_85_units_backordered_and_none_available_has_an_open_alert(
        world, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        ok(world["retailers"]["R1"].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
            {"productId": "SAUCE", "quantity": 85}]}, key=key()), 201)
    # No history at all, and the order is today's: the alert still opens, at once.
    item = InventoryItem.objects.get(supplier__code="SUPX", product__sku="SAUCE")
    alert = RestockAlert.objects.get(item=item)
    assert (alert.status, alert.severity) == ("open", "out_of_stock")
    assert alert.suggested_order_quantity >= 85
    forecast = ok(world["sup"].get("/api/v1/forecasts/SUPX/SAUCE"))
    assert (forecast["backorderedQuantity"], forecast["availableQuantity"]) == (85, 0)
    assert forecast["suggestedOrderQuantity"] >= 85
    # The periodic run keeps it open (no demand history: only the backorder says so).
    forecasting.forecasts_recompute()
    assert RestockAlert.objects.get(pk=alert.pk).status == "open"


def test_a_retailer_s_sell_through_replaces_its_shipments_never_both(world):
    from inventory.replenishment.services import sell_through_signal_set

    packer, sauce = world["packer"], world["sauce"]
    backdate(f.receive(packer, sauce, 1000, batch="L1", days=300), 10)
    retailers = {code: world["retailers"][code] for code in ("R1", "R2")}
    from partners.models import RetailPartner
    r1, r2 = RetailPartner.objects.get(code="R1"), RetailPartner.objects.get(code="R2")

    def sell(retailer, quantity: int, age: int):
        backdate(services.movement_record(supplier=packer, product=sauce, type="sale", quantity=quantity, actor=None,
                                          retail_partner=retailer), age)

    sell(r1, 10, 5)
    sell(r1, 10, 3)
    sell(r2, 30, 8)   # before R2's signal starts: a shipment, demand
    sell(r2, 40, 2)   # after: not demand, R2's sell-through is
    for age in range(1, 5):
        ok(retailers["R2"].post("/api/v1/retailPartners/R2/sellThrough", {
            "date": days_ago(age).isoformat(), "lines": [{"productId": "SAUCE", "unitsSold": 6, "onHand": 50}]},
            key=key()), 201)
    forecasting.forecasts_recompute()
    without = Forecast.objects.get().average_daily_demand
    assert without == pytest.approx(weighted({8: 30, 5: 10, 3: 10, 2: 40}, 10).mean, abs=1e-6)
    sell_through_signal_set(retail_partner=r2, supplier=packer, effective_from=days_ago(4))
    forecast = Forecast.objects.get()  # recomputed by the service
    assert forecast.average_daily_demand == pytest.approx(
        weighted({8: 30, 5: 10, 4: 6, 3: 10 + 6, 2: 6, 1: 6}, 10).mean, abs=1e-6)
    # A retailer cannot point its sell-through at a supplier it does not trade with.
    with pytest.raises(Exception, match="no active trading relationship"):
        sell_through_signal_set(retail_partner=r2, supplier=world["grower"], effective_from=days_ago(4))


def test_consumption_by_production_is_demand_for_the_ingredient(world):
    packer, pepper = world["packer"], world["pepper"]
    backdate(f.receive(packer, pepper, 100, batch="PEP-1", days=300), 6)
    from inventory.production.services import InputRequest, OutputRequest, production_run_create

    for age, used, batch in ((4, 12, "S1"), (2, 18, "S2")):
        run = production_run_create(supplier=packer, warehouse_code="WH1", actor=None,
                                    inputs=[InputRequest(product=pepper, batch_number="PEP-1", quantity=used)],
                                    output=OutputRequest(product=world["sauce"], batch_number=batch, quantity=10,
                                                         expiration_date=timezone.now() + timedelta(days=90)))
        from inventory.models import InventoryTransaction
        InventoryTransaction.objects.filter(reference=run.code).update(created_at=timezone.now() - timedelta(days=age))
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product__sku="PEPPER")
    assert forecast.average_daily_demand == pytest.approx(weighted({4: 12, 2: 18}, 6).mean, abs=1e-6)


def test_policies_are_read_and_replaced_over_http_with_a_recompute(world):
    sup, brand = world["sup"], world["brand"]
    ok(sup.post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE", "days": history([10] * 30)},
                key=key()), 201)
    current = ok(sup.get("/api/v1/replenishmentPolicies/SUPX/SAUCE"))
    assert current["isDefault"] is True and current["leadTimeDays"] == 7 and current["casePack"] == 1
    assert current["forecast"]["reorderPoint"] == pytest.approx(70)
    changed = ok(brand.put("/api/v1/replenishmentPolicies/SUPX/SAUCE", {
        "leadTimeDays": 14, "leadTimeStdDevDays": 2, "serviceLevel": 0.98, "minimumOrderQuantity": 100,
        "casePack": 24, "reviewPeriodDays": 10, "purchaseFromSupplierId": "SUPG"}))
    z = statistics.NormalDist().inv_cdf(0.98)
    assert changed["isDefault"] is False and changed["purchaseFromSupplierId"] == "SUPG"
    assert changed["forecast"]["reorderPoint"] == pytest.approx(10 * 14 + z * math.sqrt(10 ** 2 * 2 ** 2), rel=1e-3)
    assert changed["forecast"]["suggestedOrderQuantity"] % 24 == 0
    bad = problem(sup.put("/api/v1/replenishmentPolicies/SUPX/SAUCE", {
        "leadTimeDays": -1, "leadTimeStdDevDays": 0, "serviceLevel": 1.2, "minimumOrderQuantity": 0,
        "casePack": 24, "reviewPeriodDays": 10}))
    assert {e["field"] for e in bad["errors"]} == {"leadTimeDays", "serviceLevel", "minimumOrderQuantity"}
    assert ok(sup.get("/api/v1/replenishmentPolicies/SUPX/SAUCE"))["leadTimeDays"] == 14
    assert world["grow"].get("/api/v1/replenishmentPolicies/SUPX/SAUCE").status_code == 404
    assert world["retailers"]["R1"].get("/api/v1/replenishmentPolicies/SUPX/SAUCE").status_code == 403
    assert sup.get("/api/v1/replenishmentPolicies/SUPX/NOPE").status_code == 404


@pytest.mark.postgres
def test_the_portable_statistics_equal_the_postgresql_query_with_every_source(world):
    """History, sell-through signals, backorders and consumption: the SQLite path and the SQL agree."""
    from inventory.replenishment.services import sell_through_signal_set
    from partners.models import RetailPartner

    packer, sauce, pepper = world["packer"], world["sauce"], world["pepper"]
    backdate(f.receive(packer, sauce, 1000, batch="L1", days=300), 5)
    backdate(f.receive(packer, pepper, 100, batch="P1", days=300), 30)
    r1, r2 = RetailPartner.objects.get(code="R1"), RetailPartner.objects.get(code="R2")
    for retailer, quantity, age in ((r1, 10, 4), (r2, 15, 3), (r2, 8, 1)):
        backdate(services.movement_record(supplier=packer, product=sauce, type="sale", quantity=quantity,
                                          actor=None, retail_partner=retailer), age)
    for age in (1, 2, 3):
        ok(world["retailers"]["R2"].post("/api/v1/retailPartners/R2/sellThrough", {
            "date": days_ago(age).isoformat(), "lines": [{"productId": "SAUCE", "unitsSold": 4, "onHand": 9}]},
            key=key()), 201)
    sell_through_signal_set(retail_partner=r2, supplier=packer, effective_from=days_ago(2))
    ok(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE",
                                                   "days": history([9] * 12)}, key=key()), 201)
    ok(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "BOTTLE",
                                                   "days": history([3] * 120)}, key=key()), 201)
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(UTC).date()
    beta = forecasting.decay()
    provided = {InventoryItem.objects.get(product=sauce).pk: {2: 7, 9: 3}}
    with connection.cursor() as cursor:
        cursor.execute(forecasting._sql(forecasting._STATS_SQL), forecasting._stats_params(
            today=today, now=now, beta=beta, item_ids=None, provided=provided))
        expected = sorted(cursor.fetchall())
    actual = sorted(forecasting._stats_rows_portable(today=today, now=now, beta=beta, item_ids=None,
                                                     provided=provided))
    assert len(actual) == len(expected) == 3
    for got, want in zip(actual, expected, strict=True):
        assert got[0] == want[0]
        assert got[1] == pytest.approx(float(want[1]), rel=1e-12)
        assert got[2] == pytest.approx(float(want[2]), rel=1e-12)
        assert got[3:] == tuple(want[3:])
    bottle = next(row for row in actual if row[0] == InventoryItem.objects.get(product__sku="BOTTLE").pk)
    assert bottle[3] == forecasting.WINDOW_DAYS  # history older than the window: the window is full


def test_the_suggested_quantity_orders_what_backorders_wait_for():
    suggest = forecasting.suggested_order_quantity
    # No demand history, nothing available, 85 waiting: at least 85, in whole cases of 12.
    assert suggest(available=0, reorder_point=0, demand=0, review_period_days=7, minimum_order_quantity=1,
                   case_pack=12, backordered=85) == 96
    # With demand: up to the reorder point plus a review period, from the position available − waiting.
    assert suggest(available=10, reorder_point=70, demand=10, review_period_days=7, minimum_order_quantity=1,
                   case_pack=1, backordered=30) == 70 + 70 - (10 - 30)
    # Enough on hand for everything waiting and the reorder point: nothing.
    assert suggest(available=200, reorder_point=70, demand=10, review_period_days=7, minimum_order_quantity=1,
                   case_pack=1, backordered=30) == 0
