"""GET /api/v1/forecasts and /forecasts/{supplierId}/{productId}: fields, tenancy, filters."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import forecasting
from inventory.models import Product, ReplenishmentPolicy
from partners.models import Supplier
from tests.conftest import problem
from tests.test_forecast_support import app_queries, item_with_history

CONTRACT_FIELDS = {"supplierId", "productId", "averageDailyDemand", "demandStdDev", "leadTimeDays", "serviceLevel",
                   "safetyStock", "reorderPoint", "availableQuantity", "daysOfCover", "predictedStockoutDate",
                   "suggestedOrderQuantity", "computedAt"}


@pytest.fixture
def demanded(sandbox):
    """SUP123 sells 20 HOTSAUCE110 a day for 30 days out of 700 received: 100 left, 5 days of cover."""
    sup = Supplier.objects.get(code="SUP123")
    prod = Product.objects.get(sku="HOTSAUCE110")
    item_with_history(sup, prod, [20] * 30, stock=700, warehouse_code="Warehouse_A")
    forecasting.forecasts_recompute()
    return sup, prod


def test_an_item_not_yet_forecast_gets_a_zero_demand_forecast_on_read(supplier_caller):
    response = supplier_caller.get("/api/v1/forecasts/SUP123/HOTSAUCE789")
    assert response.status_code == 200, response.content
    body = response.json()
    assert CONTRACT_FIELDS <= set(body)
    assert body["supplierId"] == "SUP123" and body["productId"] == "HOTSAUCE789"
    assert body["availableQuantity"] == 450
    assert body["averageDailyDemand"] == 0 and body["demandStdDev"] == 0
    assert body["reorderPoint"] == 0 and body["safetyStock"] == 0
    assert body["daysOfCover"] is None and body["predictedStockoutDate"] is None
    assert body["suggestedOrderQuantity"] == 0
    assert body["leadTimeDays"] == 7 and body["serviceLevel"] == 0.95
    assert body["computedAt"].endswith("Z")


def test_forecast_of_an_item_with_demand(demanded, supplier_caller):
    body = supplier_caller.get("/api/v1/forecasts/SUP123/HOTSAUCE110").json()
    assert body["averageDailyDemand"] == pytest.approx(20)
    assert body["demandStdDev"] == pytest.approx(0, abs=1e-6)
    assert body["reorderPoint"] == pytest.approx(140)
    assert body["availableQuantity"] == 100
    assert body["daysOfCover"] == pytest.approx(5)
    today = timezone.now().date()
    assert body["predictedStockoutDate"] == (today + timedelta(days=5)).isoformat()
    # back to 140 plus a week of 20 a day: 140 + 140 − 100
    assert body["suggestedOrderQuantity"] == 180


def test_a_policy_change_recomputes_the_items_forecast_at_once(demanded, supplier_caller):
    sup, prod = demanded
    forecasting.replenishment_policy_set(supplier=sup, product=prod, lead_time_days=10, minimum_order_quantity=500,
                                         case_pack=48, service_level=0.99)
    body = supplier_caller.get("/api/v1/forecasts/SUP123/HOTSAUCE110").json()
    assert (body["leadTimeDays"], body["serviceLevel"]) == (10, 0.99)
    assert body["reorderPoint"] == pytest.approx(200)
    assert body["suggestedOrderQuantity"] == 528  # max(200 + 140 − 100, 500) → 11 cases of 48
    assert (body["minimumOrderQuantity"], body["casePack"]) == (500, 48)


def test_policy_rejects_a_service_level_of_one(sandbox):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        forecasting.replenishment_policy_set(supplier=Supplier.objects.get(code="SUP123"),
                                             product=Product.objects.get(sku="HOTSAUCE789"), service_level=1)
    assert not ReplenishmentPolicy.objects.exists()


def test_availability_is_live_between_runs(demanded, supplier_caller):
    from tests.test_forecast_support import sell_now

    sup, prod = demanded
    sell_now(sup, prod, 40)
    body = supplier_caller.get("/api/v1/forecasts/SUP123/HOTSAUCE110").json()
    assert body["availableQuantity"] == 60
    assert body["daysOfCover"] == pytest.approx(3)


@pytest.mark.parametrize("caller", ["supplier_caller", "retailer_caller", "brand_caller"])
def test_who_may_read_a_forecast(caller, request):
    response = request.getfixturevalue(caller).get("/api/v1/forecasts/SUP123/HOTSAUCE789")
    assert response.status_code == 200


@pytest.mark.parametrize("caller", ["other_supplier_caller", "unrelated_retailer_caller"])
def test_a_foreign_forecast_is_not_found(caller, request):
    response = request.getfixturevalue(caller).get("/api/v1/forecasts/SUP123/HOTSAUCE789")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_unknown_item_is_not_found(supplier_caller):
    assert supplier_caller.get("/api/v1/forecasts/SUP123/HOTSAUCE111").status_code == 404
    assert supplier_caller.get("/api/v1/forecasts/SUP123/NOPE").status_code == 404


def test_forecasts_need_the_forecasts_scope(sandbox, make_caller):
    caller = make_caller("supplier", "SUP123", scopes=["inventory:read"])
    response = caller.get("/api/v1/forecasts")
    assert response.status_code == 403
    assert problem(response)["code"] == "insufficient_scope"


def test_list_is_scoped_to_the_caller(supplier_caller, other_supplier_caller, retailer_caller, brand_caller):
    def suppliers(caller):
        return {row["supplierId"] for row in caller.get("/api/v1/forecasts?limit=500").json()["results"]}

    assert suppliers(supplier_caller) == {"SUP123"}
    assert suppliers(other_supplier_caller) == {"SUP400"}
    assert suppliers(retailer_caller) == {"SUP123"}
    assert suppliers(brand_caller) == {"SUP123", "SUP400"}


def test_list_filters(demanded, brand_caller):
    def products(query):
        response = brand_caller.get(f"/api/v1/forecasts?{query}")
        assert response.status_code == 200, response.content
        return [(row["supplierId"], row["productId"]) for row in response.json()["results"]]

    assert products("belowReorderPoint=true") == [("SUP123", "HOTSAUCE110")]
    assert ("SUP123", "HOTSAUCE110") not in products("belowReorderPoint=false")
    today = timezone.now().date()
    assert products(f"stockoutBefore={(today + timedelta(days=6)).isoformat()}") == [("SUP123", "HOTSAUCE110")]
    assert products(f"stockoutBefore={(today + timedelta(days=5)).isoformat()}") == []
    assert products("supplierId=SUP400&productId=HOTSAUCE106") == [("SUP400", "HOTSAUCE106")]


@pytest.mark.parametrize("query", ["supplierID=SUP123", "belowReorderPoint=maybe", "stockoutBefore=tomorrow"])
def test_bad_filters_are_400(brand_caller, query):
    response = brand_caller.get(f"/api/v1/forecasts?{query}")
    assert response.status_code == 400
    assert problem(response)["errors"]


def test_list_query_count_does_not_grow_with_the_page(demanded, brand_caller):
    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert brand_caller.get(f"/api/v1/forecasts?limit={limit}").status_code == 200
        return len(app_queries(ctx))

    count(2)  # warm the token cache: the first call looks the token up, later ones do not
    assert count(2) == count(50)


def test_list_query_count_does_not_grow_with_the_page_before_any_run(brand_caller):
    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            response = brand_caller.get(f"/api/v1/forecasts?limit={limit}")
            assert len(response.json()["results"]) == limit
        return len(app_queries(ctx))

    count(2)  # warm the token cache: the first call looks the token up, later ones do not
    assert count(2) == count(8)
