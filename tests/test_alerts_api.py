"""GET /api/v1/alerts and POST /api/v1/alerts/{alertId}/acknowledge."""

import pytest

from inventory import forecasting
from inventory.models import Product, RestockAlert
from partners.models import Supplier
from tests import factories
from tests.conftest import problem
from tests.test_forecast_support import app_queries, item_with_history
from webhooks.models import Event, EventAudience


@pytest.fixture
def alert(sandbox):
    """SUP123's HOTSAUCE110 sells 20 a day and has 100 left: below its reorder point of 140."""
    sup = Supplier.objects.get(code="SUP123")
    prod = Product.objects.get(sku="HOTSAUCE110")
    item_with_history(sup, prod, [20] * 30, stock=700, warehouse_code="Warehouse_A")
    forecasting.forecasts_recompute()
    return RestockAlert.objects.get()


def test_alert_fields(alert, supplier_caller):
    response = supplier_caller.get("/api/v1/alerts")
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert row["alertId"] == alert.pk
    assert (row["supplierId"], row["productId"], row["status"]) == ("SUP123", "HOTSAUCE110", "open")
    assert row["openedAt"].endswith("Z")
    assert (row["availableQuantity"], row["reorderPoint"], row["severity"]) == (100, 140, "low_stock")
    assert row["suggestedOrderQuantity"] == 180


def test_alert_events_reach_the_supplier_and_its_retailers(alert):
    event = Event.objects.get(type="alert.restock")
    assert event.data["alertId"] == alert.pk and event.data["productId"] == "HOTSAUCE110"
    audience = set(EventAudience.objects.filter(event=event).values_list("partner_kind", "partner_id"))
    assert ("supplier", alert.item.supplier_id) in audience
    assert {kind for kind, _ in audience} == {"supplier", "retailer"}
    low = Event.objects.get(type="inventory.low_stock")
    assert (low.data["availableQuantity"], low.data["supplierId"]) == (100, "SUP123")


def test_alert_filters(alert, brand_caller):
    def ids(query):
        response = brand_caller.get(f"/api/v1/alerts?{query}")
        assert response.status_code == 200, response.content
        return [row["alertId"] for row in response.json()["results"]]

    assert ids("supplierId=SUP123&productId=HOTSAUCE110&status=open") == [alert.pk]
    assert ids("status=resolved") == []
    assert ids("supplierId=SUP400") == []
    assert ids("productId=HOTSAUCE789") == []


def test_bad_alert_filters_are_400(brand_caller):
    assert problem(brand_caller.get("/api/v1/alerts?status=closed"))["status"] == 400
    assert problem(brand_caller.get("/api/v1/alerts?supplier=SUP123"))["status"] == 400


def test_alerts_are_scoped_to_the_caller(alert, retailer_caller, other_supplier_caller, unrelated_retailer_caller):
    assert len(retailer_caller.get("/api/v1/alerts").json()["results"]) == 1
    assert other_supplier_caller.get("/api/v1/alerts").json()["results"] == []
    assert unrelated_retailer_caller.get("/api/v1/alerts").json()["results"] == []


def test_supplier_acknowledges_its_alert_and_again_is_harmless(alert, supplier_caller):
    response = supplier_caller.post(f"/api/v1/alerts/{alert.pk}/acknowledge", key="ack-1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledgedAt"].endswith("Z")
    again = supplier_caller.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert again.status_code == 200 and again.json()["acknowledgedAt"] == response.json()["acknowledgedAt"]
    forecasting.forecasts_recompute()
    assert RestockAlert.objects.count() == 1


def test_a_foreign_alert_is_not_found(alert, other_supplier_caller):
    response = other_supplier_caller.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"
    assert RestockAlert.objects.get().status == "open"


def test_a_retailer_cannot_acknowledge(alert, retailer_caller):
    response = retailer_caller.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 403
    assert RestockAlert.objects.get().status == "open"


def test_a_resolved_alert_cannot_be_acknowledged(alert, supplier_caller):
    factories.receive(alert.item.supplier, alert.item.product, 500, warehouse_code="Warehouse_A")
    forecasting.forecasts_recompute()
    response = supplier_caller.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 409
    assert problem(response)["code"] == "invalid_state"
    assert RestockAlert.objects.get().status == "resolved"


def test_unknown_alert_is_not_found(supplier_caller):
    assert supplier_caller.post("/api/v1/alerts/999999/acknowledge").status_code == 404


def test_alert_list_query_count_does_not_grow_with_the_page(alert, brand_caller):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sup = Supplier.objects.get(code="SUP123")
    for sku in ("HOTSAUCE111", "HOTSAUCE108"):
        item_with_history(sup, Product.objects.get(sku=sku), [20] * 30, stock=700, warehouse_code="Warehouse_A")
    forecasting.forecasts_recompute()
    assert RestockAlert.objects.count() == 3

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            response = brand_caller.get(f"/api/v1/alerts?limit={limit}")
            assert len(response.json()["results"]) == limit
        return len(app_queries(ctx))

    count(1)  # warm the token cache: the first call looks the token up, later ones do not
    assert count(1) == count(3)
