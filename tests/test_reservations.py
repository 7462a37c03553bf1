"""Owned reservations: every reserved unit has a holder, releases name it, and step 4 of the brief is safe."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import InventoryTransaction, Reservation, StockLot
from partners.models import RetailPartner, Supplier, TradingRelationship
from tests import factories as f
from tests.conftest import problem

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"
FRESH = "/api/v1/inventory/SUP123/FRESH1"


def key() -> str:
    return uuid.uuid4().hex


def snapshot():
    return (InventoryTransaction.objects.count(), Reservation.objects.filter(status="open").count(),
            sorted(StockLot.objects.values_list("id", "on_hand", "reserved", "quarantined")))


@pytest.fixture
def fresh(sandbox):
    """SUP123 holds 15 units of a new product: 10 for RETAIL456's order, 5 on a standalone hold."""
    sup = Supplier.objects.get(code="SUP123")
    prod = f.product("FRESH1")
    services.stock_receive(supplier=sup, product=prod, quantity=15, actor=None, warehouse_code="Warehouse_A",
                           batch_number="FRESH-A", expiration_date=timezone.now() + timedelta(days=200))
    return prod


def test_release_attack_cannot_free_an_orders_allocation(fresh, supplier_caller, retailer_caller, make_caller):
    order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "FRESH1", "quantity": 10}]}, key=key()).json()
    assert order["status"] == "allocated"
    order_hold = order["lines"][0]["reservationId"]
    assert order_hold.startswith("RSV-")
    hold = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 5, "reference": "store display"},
                                key=key())
    assert hold.status_code == 201, hold.content
    standalone = hold.json()["transaction"]["reservationId"]
    assert standalone.startswith("RSV-") and standalone != order_hold

    before = snapshot()
    missing = supplier_caller.post(FRESH, {"type": "release", "quantity": 10}, key=key())
    assert missing.status_code == 400 and problem(missing)["errors"][0]["field"] == "reservationId"
    theirs = supplier_caller.post(FRESH, {"type": "release", "quantity": 10, "reservationId": order_hold}, key=key())
    assert theirs.status_code == 409 and problem(theirs)["code"] == "invalid_state"
    too_many = supplier_caller.post(FRESH, {"type": "release", "quantity": 6, "reservationId": standalone}, key=key())
    assert too_many.status_code == 409 and problem(too_many)["code"] == "insufficient_stock"
    assert snapshot() == before

    released = supplier_caller.post(FRESH, {"type": "release", "quantity": 5, "reservationId": standalone}, key=key())
    assert released.status_code == 201, released.content
    assert released.json()["inventory"]["reservedQuantity"] == 10  # only the hold's units came back
    assert supplier_caller.get(f"/api/v1/reservations/{standalone}").json()["status"] == "released"
    assert supplier_caller.get(f"/api/v1/reservations/{order_hold}").json()["remainingQuantity"] == 10

    rival = make_caller("retailer", "RETAIL500")
    second = rival.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "FRESH1", "quantity": 15}]}, key=key()).json()
    assert (second["lines"][0]["allocatedQuantity"], second["lines"][0]["backorderedQuantity"]) == (5, 10)

    shipped = supplier_caller.post("/api/v1/shipments", {"orderId": order["orderId"]}, key=key())
    assert shipped.status_code == 201, shipped.content
    assert shipped.json()["quantity"] == 10
    assert services.reconcile() == []


def test_a_sale_sells_a_holds_units_only_when_it_names_the_hold(fresh, supplier_caller):
    hold = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 5}, key=key()).json()
    code = hold["transaction"]["reservationId"]
    unreserved = supplier_caller.post(FRESH, {"type": "sale", "quantity": 11}, key=key())
    assert unreserved.status_code == 409  # 10 unreserved: the hold's 5 are not for sale without its id
    sold = supplier_caller.post(FRESH, {"type": "sale", "quantity": 3, "reservationId": code}, key=key())
    assert sold.status_code == 201, sold.content
    assert (sold.json()["inventory"]["inventoryLevel"], sold.json()["inventory"]["reservedQuantity"]) == (12, 2)
    view = supplier_caller.get(f"/api/v1/reservations/{code}").json()
    assert (view["status"], view["consumedQuantity"], view["remainingQuantity"]) == ("open", 3, 2)
    assert services.reconcile() == []


def test_reservations_are_listed_with_the_tenancy_of_items(fresh, supplier_caller, retailer_caller,
                                                           other_supplier_caller, make_caller):
    mine = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 2, "retailPartnerId": "RETAIL456"},
                                key=key()).json()["transaction"]["reservationId"]
    rival_hold = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 2, "retailPartnerId": "RETAIL500"},
                                      key=key()).json()["transaction"]["reservationId"]
    listed = retailer_caller.get("/api/v1/reservations?productId=FRESH1").json()["results"]
    assert [r["reservationId"] for r in listed] == [mine]
    assert retailer_caller.get(f"/api/v1/reservations/{rival_hold}").status_code == 404
    assert other_supplier_caller.get(f"/api/v1/reservations/{mine}").status_code == 404
    assert other_supplier_caller.get("/api/v1/reservations?productId=FRESH1").json()["results"] == []
    both = supplier_caller.get("/api/v1/reservations?productId=FRESH1&status=open").json()["results"]
    assert {r["reservationId"] for r in both} == {mine, rival_hold}
    assert supplier_caller.get("/api/v1/reservations?status=gone").status_code == 400
    assert supplier_caller.get("/api/v1/reservations?colour=red").status_code == 400
    detail = supplier_caller.get(f"/api/v1/reservations/{mine}").json()
    assert {"reservationId", "supplierId", "productId", "retailPartnerId", "orderId", "status", "quantity",
            "remainingQuantity", "expiresAt", "lots", "createdAt"} <= set(detail)
    assert detail["lots"] == [{"warehouseLocation": "Warehouse_A", "batchNumber": "FRESH-A",
                               "expirationDate": detail["lots"][0]["expirationDate"], "quantity": 2}]


def test_an_expired_hold_is_released_by_the_periodic_job(fresh, supplier_caller):
    expires = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hold = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 4, "expiresAt": expires}, key=key())
    assert hold.status_code == 201, hold.content
    code = hold.json()["transaction"]["reservationId"]
    assert services.reservations_expire() == 0  # not yet
    assert services.reservations_expire(now=timezone.now() + timedelta(minutes=6)) == 4
    view = supplier_caller.get(f"/api/v1/reservations/{code}").json()
    assert (view["status"], view["remainingQuantity"]) == ("expired", 0)
    assert supplier_caller.get(FRESH).json()["reservedQuantity"] == 0
    from webhooks.models import Event

    event = Event.objects.filter(type="inventory.updated").order_by("-sequence").first()
    assert event.data["change"]["type"] == "release" and event.data["reservedQuantity"] == 0
    past = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 1,
                                        "expiresAt": "2020-01-01T00:00:00Z"}, key=key())
    assert past.status_code == 400 and problem(past)["errors"][0]["field"] == "expiresAt"
    assert services.reconcile() == []


def test_reconcile_reports_a_reserved_unit_without_a_holder(fresh, supplier_caller):
    supplier_caller.post(FRESH, {"type": "reservation", "quantity": 3}, key=key())
    lot = StockLot.objects.get(batch__batch_number="FRESH-A")
    StockLot.objects.filter(pk=lot.pk).update(reserved=lot.reserved + 1)  # a unit nobody holds
    checks = {row["check"] for row in services.reconcile()}
    assert {"holds", "ledger"} <= checks


# --- the brief's step 4 ---------------------------------------------------------------


def test_the_brief_workflow_verbatim_with_the_suppliers_step_4(supplier_caller, retailer_caller):
    # 1-2. The retail partner checks stock; the supplier's system answers with levels, batch and expiry.
    before = retailer_caller.get(ITEM).json()
    assert (before["inventoryLevel"], before["reservedQuantity"], before["availableQuantity"]) == (500, 50, 450)
    # 3. The retail partner places a purchase order.
    order = retailer_caller.post("/api/v1/orders", {
        "supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789", "quantity": 30}],
        "deliveryAddress": "FreshMart DC, 1 Market St"}, key=key()).json()
    assert order["status"] == "allocated"
    # 4. The supplier's backend "updates reserved stock" for the order: it is already held, so nothing changes.
    step4 = supplier_caller.post(ITEM, {"type": "reservation", "quantity": 30, "orderId": order["orderId"]},
                                 key=key())
    assert step4.status_code == 409 and problem(step4)["code"] == "invalid_state"
    item = supplier_caller.get(ITEM).json()
    assert item["reservedQuantity"] == 50 + 30  # the order's 30, once
    held = supplier_caller.get(f"/api/v1/reservations?orderId={order['orderId']}").json()["results"]
    assert [(r["remainingQuantity"], r["status"]) for r in held] == [(30, "open")]
    # 5. The retailer hears about it: inventory.updated in its feed.
    feed = retailer_caller.get("/api/v1/events?after=0&types=inventory.updated&limit=500").json()["results"]
    assert feed and feed[-1]["data"]["reservedQuantity"] == 80
    # 6. Upon dispatch the supplier logs the shipment with tracking.
    shipment = supplier_caller.post("/api/v1/shipments", {"orderId": order["orderId"], "carrier": "UPS",
                                                          "trackingNumber": "1Z999"}, key=key())
    assert shipment.status_code == 201
    # 7. The retailer tracks the order until receipt.
    assert retailer_caller.get(f"/api/v1/orders/{order['orderId']}").json()["status"] == "shipped"
    supplier_caller.post(f"/api/v1/shipments/{shipment.json()['shipmentId']}/deliver", {}, key=key())
    assert retailer_caller.get(f"/api/v1/orders/{order['orderId']}").json()["status"] == "delivered"
    assert supplier_caller.get(ITEM).json()["reservedQuantity"] == 50
    assert services.reconcile() == []


def test_step_4_allocates_a_partially_allocated_orders_remainder_after_a_receipt(fresh, supplier_caller,
                                                                                retailer_caller):
    order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "FRESH1", "quantity": 40}]}, key=key()).json()
    assert (order["status"], order["lines"][0]["allocatedQuantity"]) == ("partially_allocated", 15)
    receipt = supplier_caller.post(FRESH, {"type": "receipt", "quantity": 100, "warehouseLocation": "Warehouse_A",
                                           "batchNumber": "FRESH-B",
                                           "expirationDate": (timezone.now() + timedelta(days=300))
                                           .strftime("%Y-%m-%dT%H:%M:%SZ")}, key=key())
    assert receipt.status_code == 201
    step4 = supplier_caller.post(FRESH, {"type": "reservation", "quantity": 40, "orderId": order["orderId"]},
                                 key=key())
    assert step4.status_code == 201, step4.content
    body = step4.json()
    assert body["transaction"]["reservationId"] == order["lines"][0]["reservationId"]
    assert sum(row["reservedDelta"] for row in body["transactions"]) == 25  # the remainder, never more
    after = retailer_caller.get(f"/api/v1/orders/{order['orderId']}").json()
    assert (after["status"], after["lines"][0]["allocatedQuantity"], after["lines"][0]["backorderedQuantity"]) == (
        "allocated", 40, 0)
    again = supplier_caller.post(FRESH, {"type": "reservation", "orderId": order["orderId"]}, key=key())
    assert again.status_code == 409 and problem(again)["code"] == "invalid_state"
    assert supplier_caller.get(FRESH).json()["reservedQuantity"] == 40
    assert services.reconcile() == []


def test_step_4_names_only_the_suppliers_own_orders(fresh, supplier_caller, retailer_caller, other_supplier_caller):
    order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "FRESH1", "quantity": 20}]}, key=key()).json()
    foreign = other_supplier_caller.post("/api/v1/inventory/SUP400/HOTSAUCE106", {
        "type": "reservation", "quantity": 1, "orderId": order["orderId"]}, key=key())
    assert foreign.status_code == 400 and problem(foreign)["errors"][0]["field"] == "orderId"
    other_product = supplier_caller.post(ITEM, {"type": "reservation", "quantity": 1, "orderId": order["orderId"]},
                                         key=key())
    assert other_product.status_code == 400 and problem(other_product)["errors"][0]["field"] == "orderId"


def test_an_order_for_a_retailer_that_cannot_be_promised_short_dated_stock_gets_none(db, sandbox):
    sup = Supplier.objects.get(code="SUP123")
    picky = RetailPartner.objects.create(code="PICKY1", name="Picky", minimum_shelf_life_days=120)
    TradingRelationship.objects.create(supplier=sup, retail_partner=picky)
    prod = f.product("SHORT1")
    services.stock_receive(supplier=sup, product=prod, quantity=10, actor=None, warehouse_code="Warehouse_A",
                           batch_number="SHORT-A", expiration_date=timezone.now() + timedelta(days=60))
    with pytest.raises(Exception) as refused:
        services.stock_reserve(supplier=sup, product=prod, quantity=1, actor=None, retail_partner=picky)
    assert getattr(refused.value, "code", "") == "insufficient_stock"
