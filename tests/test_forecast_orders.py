"""Shipments of orders are supplier demand: the orders app's ledger rows feed the forecast."""

from datetime import timedelta

from django.utils import timezone

from inventory import forecasting
from inventory.models import Forecast, InventoryTransaction
from tests.test_forecast_support import day_noon


def test_a_shipped_order_is_demand_the_next_day(supplier_caller, retailer_caller):
    order = retailer_caller.post("/api/v1/orders", {
        "supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789", "quantity": 30}],
        "requestedDeliveryDate": (timezone.now() + timedelta(days=7)).date().isoformat(),
        "deliveryAddress": "1 Main St", "reference": "PO-FC-1"}, key="fc-order")
    assert order.status_code == 201, order.content
    shipment = supplier_caller.post("/api/v1/shipments", {"orderId": order.json()["orderId"], "carrier": "UPS",
                                                          "trackingNumber": "1Z999"}, key="fc-ship")
    assert shipment.status_code == 201, shipment.content
    shipped = InventoryTransaction.objects.filter(type="shipment", product__sku="HOTSAUCE789")
    assert sum(-row.on_hand_delta for row in shipped) == 30

    forecasting.forecasts_recompute()  # shipped today: the day is not over, no demand yet
    assert Forecast.objects.get(item__product__sku="HOTSAUCE789", item__supplier__code="SUP123") \
        .average_daily_demand == 0

    shipped.update(created_at=day_noon(1))
    forecasting.forecasts_recompute()
    forecast = Forecast.objects.get(item__product__sku="HOTSAUCE789", item__supplier__code="SUP123")
    assert (forecast.average_daily_demand, forecast.observed_days) == (30, 1)
