"""Promotions (issue 20): the resource, its tenancy, and promotion days left out of the baseline demand."""

from __future__ import annotations

import math
import statistics
import uuid
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from inventory import forecasting
from inventory.forecasting import formulas
from inventory.models import Forecast, InventoryItem
from inventory.promotions.models import Promotion
from tests import factories
from tests.conftest import problem
from tests.test_forecast_support import item_with_history


def key() -> str:
    return uuid.uuid4().hex


def days_ago(n: int) -> str:
    return str(timezone.now().astimezone(UTC).date() - timedelta(days=n))


def promote(brand, retail_partner: str, sku: str, start_ago: int, end_ago: int, **extra):
    return brand.post("/api/v1/promotions", {"retailPartnerId": retail_partner, "productId": sku,
                                             "startDate": days_ago(start_ago), "endDate": days_ago(end_ago),
                                             **extra}, key=key())


# --- the resource ---------------------------------------------------------------------------------


def test_retailers_see_only_their_own_promotions_and_suppliers_their_trading_retailers(
        brand_caller, supplier_caller, retailer_caller, unrelated_retailer_caller, other_supplier_caller):
    own = promote(brand_caller, "RETAIL456", "HOTSAUCE789", 3, -3, name="Holiday heat")
    assert own.status_code == 201, own.content
    assert own.json() | {"createdAt": None, "updatedAt": None} == {
        "promotionId": own.json()["promotionId"], "retailPartnerId": "RETAIL456", "productId": "HOTSAUCE789",
        "name": "Holiday heat", "startDate": days_ago(3), "endDate": days_ago(-3), "createdAt": None,
        "updatedAt": None}
    foreign = promote(brand_caller, "RETAIL700", "HOTSAUCE106", 3, -3).json()["promotionId"]
    own_id = own.json()["promotionId"]

    def listed(caller, query=""):
        return sorted(p["promotionId"] for p in caller.get(f"/api/v1/promotions{query}").json()["results"])

    assert listed(brand_caller) == sorted([own_id, foreign])
    assert listed(retailer_caller) == [own_id]
    assert listed(unrelated_retailer_caller) == [foreign]
    assert listed(supplier_caller) == [own_id]  # SUP123 trades with RETAIL456, not RETAIL700
    assert listed(other_supplier_caller) == [foreign]
    assert retailer_caller.get(f"/api/v1/promotions/{foreign}").status_code == 404
    assert unrelated_retailer_caller.get(f"/api/v1/promotions/{own_id}").status_code == 404
    assert listed(brand_caller, f"?activeOn={days_ago(0)}&retailPartnerId=RETAIL456") == [own_id]
    assert listed(brand_caller, f"?activeOn={days_ago(5)}") == []
    assert listed(brand_caller, "?productId=HOTSAUCE106") == [foreign]


def test_promotions_are_the_brands_and_are_checked(brand_caller, retailer_caller, supplier_caller):
    assert promote(retailer_caller, "RETAIL456", "HOTSAUCE789", 3, 1).status_code == 403
    assert promote(supplier_caller, "RETAIL456", "HOTSAUCE789", 3, 1).status_code == 403
    backwards = promote(brand_caller, "RETAIL456", "HOTSAUCE789", 1, 3)
    assert backwards.status_code == 400 and problem(backwards)["errors"][0]["field"] == "endDate"
    unknown = promote(brand_caller, "NOPE", "NOSUCH", 3, 1)
    assert {e["field"] for e in problem(unknown)["errors"]} == {"retailPartnerId", "productId"}
    first = promote(brand_caller, "RETAIL456", "HOTSAUCE789", 10, 5).json()["promotionId"]
    overlap = promote(brand_caller, "RETAIL456", "HOTSAUCE789", 6, 2)
    assert overlap.status_code == 400 and first in problem(overlap)["detail"] + str(problem(overlap)["errors"])
    assert promote(brand_caller, "RETAIL500", "HOTSAUCE789", 6, 2).status_code == 201  # another retailer

    moved = brand_caller.patch(f"/api/v1/promotions/{first}", {"endDate": days_ago(7), "name": "Short"})
    assert moved.status_code == 200 and moved.json()["endDate"] == days_ago(7)
    assert retailer_caller.patch(f"/api/v1/promotions/{first}", {"name": "mine"}).status_code == 403
    assert brand_caller.delete(f"/api/v1/promotions/{first}").status_code == 204
    assert not Promotion.objects.filter(code=first).exists()


# --- forecasting: promotion days leave the baseline -----------------------------------------------


def test_demand_stats_take_the_excluded_days_weights_off_by_hand():
    # β = 0.5; yesterday 10 units, the day before 40 (a promotion day, excluded), then 4.
    # W1 = 1 + 0.25 = 1.25; d = (10 + 0.25·4) / 1.25 = 8.8;
    # population variance = (100 + 0.25·16) / 1.25 − 8.8² = 83.2 − 77.44 = 5.76;
    # W2 = 1 + 0.0625; correction 1.25² / (1.25² − 1.0625) = 3.125; σd² = 18.
    stats = formulas.demand_stats(weighted_sum=10 + 0.25 * 4, weighted_sum_sq=100 + 0.25 * 16, observed_days=3,
                                  beta=0.5, excluded_ages=[2, 7])  # age 7 is before the history: ignored
    assert stats.mean == pytest.approx(8.8)
    assert stats.std_dev == pytest.approx(math.sqrt(18))
    assert stats.observed_days == 2


def test_a_history_of_promotion_days_only_is_used_whole():
    stats = formulas.baseline_demand_stats(base_sum=0, base_sum_sq=0, promo_sum=30 + 50, promo_sum_sq=900 + 2500,
                                           observed_days=2, promo_ages=[1, 2], beta=1.0)
    assert (stats.mean, stats.observed_days) == (pytest.approx(40), 2)


@pytest.fixture
def promoted_item(db, monkeypatch):
    """Six days of sales, two of them (ages 4 and 3) during a promotion at a retailer trading with the supplier.

    Equal weights (an infinite half-life: β = 1) so the figures are plain means, computable by hand.
    """
    monkeypatch.setattr(formulas, "HALF_LIFE_DAYS", float("inf"))
    sup, retailer, stranger, other = (factories.supplier(), factories.retailer(), factories.retailer(),
                                      factories.retailer())
    factories.trade(sup, retailer)
    factories.trade(sup, other)
    factories.warehouse(sup)
    prod = factories.product()
    # oldest first: ages 6, 5, 4, 3, 2, 1
    item_with_history(sup, prod, [8, 12, 40, 44, 9, 11], stock=1000)
    today = timezone.now().astimezone(UTC).date()
    for who, first, last in ((retailer, 4, 3), (other, 10, 9), (stranger, 2, 1)):
        # ages 10-9: before the item's history; the stranger does not trade with the supplier.
        Promotion.objects.create(retail_partner=who, product=prod, start_date=today - timedelta(days=first),
                                 end_date=today - timedelta(days=last))
    return InventoryItem.objects.get(supplier=sup, product=prod)


def test_promotion_days_are_left_out_of_the_baseline_demand_by_hand(promoted_item, make_caller):
    assert formulas.decay() == 1.0
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item=promoted_item)
    # Ordinary days 8, 12, 9, 11: d = 40 / 4 = 10; σd² = (4 + 4 + 1 + 1) / 3 = 10/3.
    # Safety stock = z(95%) · √(7 · 10/3) = 1.644854 · 4.830459 = 7.945398; ROP = 7 · 10 + 7.945398.
    assert forecast.observed_days == 4
    assert forecast.average_daily_demand == pytest.approx(10.0)
    assert forecast.demand_std_dev == pytest.approx(math.sqrt(10 / 3), abs=1e-6)
    assert forecast.safety_stock == pytest.approx(7.945398, abs=1e-5)
    assert forecast.reorder_point == pytest.approx(77.945398, abs=1e-5)
    brand = make_caller("brand")
    shown = brand.get(f"/api/v1/forecasts/{promoted_item.supplier.code}/{promoted_item.product.sku}").json()
    assert (shown["averageDailyDemand"], shown["observedDays"], shown["reorderPoint"]) == (10.0, 4, 77.95)

    # Without the promotion the same six days average 124 / 6 = 20.667, with the lift in them.
    Promotion.objects.all().delete()
    forecasting.forecasts_recompute()
    forecast.refresh_from_db()
    assert forecast.observed_days == 6
    assert forecast.average_daily_demand == pytest.approx(124 / 6, abs=1e-6)
    assert forecast.demand_std_dev == pytest.approx(statistics.stdev([8, 12, 40, 44, 9, 11]), abs=1e-6)


def test_the_portable_path_marks_the_same_promotion_days(promoted_item):
    """``_stats_rows_portable`` (SQLite's path) on whichever database runs the suite."""
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(UTC).date()
    rows = forecasting._stats_rows_portable(today=today, now=now, beta=1.0, item_ids=[promoted_item.pk])
    (item_id, s1, s2, n, available, s1p, s2p, promo_ages, *_), = rows
    assert (item_id, n, available) == (promoted_item.pk, 6, 1000 - 124)
    assert (s1, s2) == (8 + 12 + 9 + 11, 64 + 144 + 81 + 121)
    assert (s1p, s2p) == (40 + 44, 1600 + 1936)
    assert promo_ages == [3, 4, 9, 10]


@pytest.mark.postgres
def test_the_postgresql_query_marks_the_same_promotion_days_as_the_portable_path(promoted_item):
    from django.db import connection

    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(UTC).date()
    with connection.cursor() as cursor:
        cursor.execute(forecasting._sql(forecasting._STATS_SQL), forecasting._stats_params(
            today=today, now=now, beta=1.0, item_ids=[promoted_item.pk], provided={}))
        (sql_row,) = cursor.fetchall()
    (portable_row,) = forecasting._stats_rows_portable(today=today, now=now, beta=1.0, item_ids=[promoted_item.pk])
    assert [float(v) for v in sql_row[1:3]] == [float(v) for v in portable_row[1:3]] == [40.0, 410.0]
    assert tuple(sql_row[3:5]) == tuple(portable_row[3:5])
    assert [float(v) for v in sql_row[5:7]] == [float(v) for v in portable_row[5:7]] == [84.0, 3536.0]
    assert list(sql_row[7]) == portable_row[7] == [3, 4, 9, 10]
