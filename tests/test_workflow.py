"""The brief's example workflow, verbatim, over HTTP with the sandbox's RETAIL456 and SUP123 clients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from webhooks.models import Event

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


def ledger_agrees_with_levels(item: dict) -> None:
    """Every lot balance equals the sum of its ledger rows, and the item view adds up."""
    assert reconcile() == []
    lots = StockLot.objects.filter(item__supplier__code="SUP123", item__product__sku="HOTSAUCE789")
    assert item["inventoryLevel"] == sum(lot.on_hand for lot in lots)
    assert item["reservedQuantity"] == sum(lot.reserved for lot in lots)
    assert item["availableQuantity"] == item["inventoryLevel"] - item["reservedQuantity"] - item["onHoldQuantity"]


@pytest.mark.django_db
def test_brief_workflow_check_order_ship_track_deliver(supplier_caller, retailer_caller):
    retailer, supplier = retailer_caller, supplier_caller

    # 1. The retail partner checks stock.
    response = retailer.get(ITEM)
    assert response.status_code == 200
    before = response.json()
    assert before["inventoryLevel"] == 500 and before["reservedQuantity"] == 50
    ledger_agrees_with_levels(before)

    # 2. It places a purchase order with SKU, quantity and delivery address.
    delivery = (timezone.now() + timedelta(days=7)).date().isoformat()
    response = retailer.post("/api/v1/orders", {
        "supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789", "quantity": 24}],
        "requestedDeliveryDate": delivery, "deliveryAddress": "FreshMart DC, 1 Market St, Austin TX",
        "reference": "PO-RETAIL456-0001"}, key="order-1")
    assert response.status_code == 201, response.content
    order = response.json()
    order_id = order["orderId"]
    assert order_id.startswith("ORD-")
    assert order["status"] == "allocated"
    assert order["supplierId"] == "SUP123" and order["retailPartnerId"] == "RETAIL456"
    assert order["requestedDeliveryDate"] == delivery
    line = order["lines"][0]
    assert (line["productId"], line["quantity"], line["allocatedQuantity"], line["backorderedQuantity"]) == (
        "HOTSAUCE789", 24, 24, 0)
    assert line["allocations"] == [{"batchNumber": "BATCH202406", "warehouseLocation": "Warehouse_A",
                                    "expirationDate": before["expirationDate"], "quantity": 24}]

    # 3. The reservation is visible in the item, and the ledger says why.
    item = retailer.get(ITEM).json()
    assert item["inventoryLevel"] == 500
    assert item["reservedQuantity"] == 74
    assert item["availableQuantity"] == before["availableQuantity"] - 24
    ledger_agrees_with_levels(item)
    rows = supplier.get(f"/api/v1/inventory/transactions?reference={order_id}").json()["results"]
    assert [(r["type"], r["reservedDelta"], r["retailPartnerId"]) for r in rows] == [("reservation", 24, "RETAIL456")]
    # The retailer heard about the change (inventory.updated) and about its order.
    assert Event.objects.filter(type="order.created", data__orderId=order_id).exists()
    assert Event.objects.filter(type="inventory.updated", data__change__transactions__0__reference=order_id).exists()

    # 4. Upon dispatch the supplier logs the shipment with tracking info.
    response = supplier.post("/api/v1/shipments", {"orderId": order_id, "carrier": "UPS",
                                                   "trackingNumber": "1Z999AA10123456784"}, key="ship-1")
    assert response.status_code == 201, response.content
    shipment = response.json()
    assert shipment["shipmentId"].startswith("SHP-")
    assert shipment["status"] == "in_transit" and shipment["quantity"] == 24
    item = retailer.get(ITEM).json()
    assert (item["inventoryLevel"], item["reservedQuantity"]) == (476, 50)  # on hand and reserved both fell
    assert item["availableQuantity"] == before["availableQuantity"] - 24
    ledger_agrees_with_levels(item)

    # 5. The retailer tracks the order: it is in transit, with tracking.
    response = retailer.get(f"/api/v1/orders/{order_id}")
    assert response.status_code == 200
    tracked = response.json()
    assert tracked["status"] == "shipped"
    assert tracked["shipments"][0]["status"] == "in_transit"
    assert tracked["shipments"][0]["trackingNumber"] == "1Z999AA10123456784"
    assert tracked["shipments"][0]["carrier"] == "UPS"
    assert tracked["progress"]["inTransitQuantity"] == 24
    assert tracked["lines"][0]["shippedQuantity"] == 24 and tracked["lines"][0]["allocations"] == []

    # 6. Delivery: the order is delivered once everything shipped has arrived.
    response = supplier.post(f"/api/v1/shipments/{shipment['shipmentId']}/deliver", {})
    assert response.status_code == 200, response.content
    assert response.json()["deliveredAt"] is not None
    tracked = retailer.get(f"/api/v1/orders/{order_id}").json()
    assert tracked["status"] == "delivered"
    assert tracked["progress"]["deliveredQuantity"] == 24 and tracked["progress"]["inTransitQuantity"] == 0
    item = retailer.get(ITEM).json()
    assert (item["inventoryLevel"], item["reservedQuantity"]) == (476, 50)
    ledger_agrees_with_levels(item)
    types = list(InventoryTransaction.objects.filter(reference__in=[order_id, shipment["shipmentId"]])
                 .order_by("pk").values_list("type", "on_hand_delta", "reserved_delta"))
    assert types == [("reservation", 0, 24), ("shipment", -24, -24)]
    assert set(Event.objects.filter(data__orderId=order_id).values_list("type", flat=True)) >= {
        "order.created", "order.updated", "shipment.created", "shipment.delivered"}


@pytest.mark.django_db
def test_delivering_twice_is_an_invalid_state(supplier_caller, retailer_caller):
    order = retailer_caller.post("/api/v1/orders", {
        "supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789", "quantity": 2}]}, key="o").json()
    shipment = supplier_caller.post("/api/v1/shipments", {"orderId": order["orderId"]}, key="s").json()
    assert supplier_caller.post(f"/api/v1/shipments/{shipment['shipmentId']}/deliver").status_code == 200
    response = supplier_caller.post(f"/api/v1/shipments/{shipment['shipmentId']}/deliver")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
