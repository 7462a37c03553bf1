"""Purchase orders: a restock alert becomes a purchase order, acknowledged, shipped with lots, received short;
promised inbound by date (available to promise) and the backorders it will serve."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import InventoryItem, RestockAlert
from orders.purchasing.models import PurchaseOrder
from tests import factories as f
from tests.conftest import problem
from tests.supply_support import day, expiry, key, ok, supply_world
from webhooks.models import Event, EventAudience


def history(days: int, per_day: int) -> list[dict]:
    today = timezone.now().date()
    return [{"date": (today - timedelta(days=age)).isoformat(), "quantity": per_day} for age in range(1, days + 1)]


@pytest.fixture
def low(db, make_caller):
    """SUPX holds 20 of SAUCE, sold 10 a day for 30 days before the platform: below its reorder point."""
    world = supply_world(make_caller)
    f.receive(world["packer"], world["sauce"], 20, batch="OLD-1", days=200)
    ok(world["brand"].put("/api/v1/replenishmentPolicies/SUPX/SAUCE", {
        "leadTimeDays": 7, "leadTimeStdDevDays": 0, "serviceLevel": 0.95, "minimumOrderQuantity": 1, "casePack": 12,
        "reviewPeriodDays": 7}))
    imported = ok(world["sup"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "SAUCE",
                                                              "days": history(30, 10)}, key=key()), 201)
    world["forecast"] = imported["forecast"]
    world["alert"] = RestockAlert.objects.get(item__supplier__code="SUPX", item__product__sku="SAUCE")
    return world


def test_a_restock_alert_becomes_a_purchase_order_received_short_and_resolves_when_stock_recovers(low):
    brand, sup = low["brand"], low["sup"]
    alert = low["alert"]
    assert alert.status == "open" and low["forecast"]["reorderPoint"] > 20
    suggested = alert.suggested_order_quantity
    assert suggested > 0 and suggested % 12 == 0

    # One call: the alert's suggestion becomes a draft, to the supplier holding the item.
    draft = ok(brand.post("/api/v1/purchaseOrders", {"alertId": alert.pk}, key=key()), 201)
    assert draft["status"] == "draft" and draft["alertId"] == alert.pk
    assert draft["supplierId"] == "SUPX" and draft["shipToSupplierId"] == "SUPX"
    line = draft["lines"][0]
    assert (line["productId"], line["quantity"], line["casePack"], line["cases"]) == ("SAUCE", suggested, 12,
                                                                                      suggested // 12)
    assert line["requestedDate"] == day(7)
    code = draft["purchaseOrderId"]
    assert sup.get(f"/api/v1/purchaseOrders/{code}").status_code == 404  # a draft is the brand's own
    assert problem(brand.post("/api/v1/purchaseOrders", {"alertId": alert.pk}, key=key()))["code"] == "invalid_state"

    ok(brand.post(f"/api/v1/purchaseOrders/{code}/submit", {}, key=key()))
    acked = ok(sup.post(f"/api/v1/purchaseOrders/{code}/acknowledge", {
        "lines": [{"productId": "SAUCE", "promisedDate": day(4)}], "note": "on the line Tuesday"}, key=key()))
    assert acked["status"] == "acknowledged" and acked["lines"][0]["promisedDate"] == day(4)
    shipped = ok(sup.post(f"/api/v1/purchaseOrders/{code}/ship", {
        "carrier": "own truck", "expectedDate": day(4),
        "lines": [{"productId": "SAUCE", "batchNumber": "NEW-1", "quantity": suggested,
                   "expirationDate": expiry(300)}]}, key=key()))
    assert shipped["status"] == "shipped" and shipped["lines"][0]["shippedQuantity"] == suggested
    assert RestockAlert.objects.get(pk=alert.pk).status == "open"  # inbound is not stock yet
    asn = shipped["inboundShipments"][0]["inboundShipmentId"]

    received = ok(sup.post(f"/api/v1/purchaseOrders/{code}/receive", {
        "inboundShipmentId": asn, "closeShort": True,
        "lines": [{"productId": "SAUCE", "batchNumber": "NEW-1", "receivedQuantity": suggested - 5}]}, key=key()))
    assert received["status"] == "received" and received["closedAt"]
    line = received["lines"][0]
    assert (line["receivedQuantity"], line["shortQuantity"], line["overQuantity"]) == (suggested - 5, 5, 0)
    receipt = received["receipts"][0]
    assert receipt["inboundShipmentId"] == asn and receipt["closedShort"] is True
    assert receipt["lines"] == [{"productId": "SAUCE", "batchNumber": "NEW-1", "expectedQuantity": suggested,
                                 "receivedQuantity": suggested - 5, "varianceQuantity": -5}]
    assert received["inboundShipments"][0]["lines"][0]["varianceQuantity"] == -5
    assert received["totals"]["shortQuantity"] == 5

    item = ok(sup.get("/api/v1/inventory/SUPX/SAUCE"))
    assert item["inventoryLevel"] == 20 + suggested - 5
    # Stock is back above the reorder point: the alert resolved with the receipt, not at the next run.
    assert RestockAlert.objects.get(pk=alert.pk).status == "resolved"
    ledger = ok(sup.get("/api/v1/inventory/transactions?type=receipt&batchNumber=NEW-1"))["results"]
    assert [(row["quantity"], row["reference"]) for row in ledger] == [(suggested - 5, code)]

    types = list(Event.objects.filter(type__startswith="purchaseOrder.").order_by("sequence")
                 .values_list("type", flat=True))
    assert types == ["purchaseOrder.created", "purchaseOrder.submitted", "purchaseOrder.acknowledged",
                     "purchaseOrder.shipped", "purchaseOrder.received"]
    # The draft's event is the brand's; from submission on, the supplier hears too.
    created = Event.objects.get(type="purchaseOrder.created")
    assert not EventAudience.objects.filter(event=created).exists()
    assert [e["type"] for e in ok(sup.get("/api/v1/events?after=0&types=purchaseOrder.received,"
                                          "purchaseOrder.created"))["results"]] == ["purchaseOrder.received"]


def test_a_short_receipt_that_leaves_stock_low_keeps_the_alert_until_stock_recovers(low):
    brand, sup = low["brand"], low["sup"]
    po = ok(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 120, "casePack": 12, "requestedDate": day(7)}]}, key=key()), 201)
    code = po["purchaseOrderId"]
    ok(sup.post(f"/api/v1/purchaseOrders/{code}/acknowledge", {"lines": [{"productId": "SAUCE",
                                                                          "promisedDate": day(3)}]}, key=key()))
    partial = ok(sup.post(f"/api/v1/purchaseOrders/{code}/receive", {"lines": [
        {"productId": "SAUCE", "batchNumber": "P-1", "receivedQuantity": 5, "expirationDate": expiry(200)}]},
        key=key()))
    assert partial["status"] == "partially_received" and partial["lines"][0]["outstandingQuantity"] == 115
    assert RestockAlert.objects.get(pk=low["alert"].pk).status == "open"
    done = ok(sup.post(f"/api/v1/purchaseOrders/{code}/receive", {"lines": [
        {"productId": "SAUCE", "batchNumber": "P-2", "receivedQuantity": 120, "expirationDate": expiry(200)}]},
        key=key()))
    assert done["status"] == "received" and done["lines"][0]["overQuantity"] == 5
    assert RestockAlert.objects.get(pk=low["alert"].pk).status == "resolved"


def test_the_admin_drafts_a_purchase_order_from_an_alert_in_one_click(low, admin_client):
    listing = admin_client.get("/admin/inventory/restockalert/")
    assert listing.status_code == 200 and b"Draft purchase order" in listing.content
    response = admin_client.post(f"/admin/inventory/restockalert/{low['alert'].pk}/purchase-order/")
    assert response.status_code == 302
    po = PurchaseOrder.objects.get(alert=low["alert"])
    assert response["Location"].endswith(f"/admin/purchasing/purchaseorder/{po.pk}/change/")
    assert po.status == "draft" and po.lines.get().quantity == low["alert"].suggested_order_quantity
    assert po.created_by_user is not None
    assert b"PO-" in admin_client.get("/admin/inventory/restockalert/").content


def test_an_ingredient_alert_drafts_to_the_policy_s_grower(db, make_caller):
    world = supply_world(make_caller)
    f.receive(world["packer"], world["pepper"], 5, batch="PEP-0", days=100)
    ok(world["brand"].put("/api/v1/replenishmentPolicies/SUPX/PEPPER", {
        "leadTimeDays": 10, "leadTimeStdDevDays": 1, "serviceLevel": 0.9, "minimumOrderQuantity": 100,
        "casePack": 20, "reviewPeriodDays": 14, "purchaseFromSupplierId": "SUPG"}))
    ok(world["brand"].post("/api/v1/demandHistory", {"supplierId": "SUPX", "productId": "PEPPER",
                                                     "days": history(20, 8)}, key=key()), 201)
    alert = RestockAlert.objects.get(item__product__sku="PEPPER")
    draft = ok(world["brand"].post("/api/v1/purchaseOrders", {"alertId": alert.pk}, key=key()), 201)
    assert (draft["supplierId"], draft["shipToSupplierId"], draft["warehouseLocation"]) == ("SUPG", "SUPX", "WH1")
    assert draft["lines"][0]["quantity"] >= 100 and draft["lines"][0]["quantity"] % 20 == 0
    assert draft["lines"][0]["requestedDate"] == day(10)


def test_promised_inbound_counts_by_its_date_apart_from_stock(low):
    brand, sup, retailer = low["brand"], low["sup"], low["retailers"]["R1"]
    po = ok(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 48, "casePack": 12, "requestedDate": day(7)}]}, key=key()), 201)
    code = po["purchaseOrderId"]
    url = "/api/v1/inventory/SUPX/SAUCE"
    assert ok(sup.get(f"{url}?asOf={day(30)}"))["inboundQuantity"] == 0  # submitted, nothing promised yet
    ok(sup.post(f"/api/v1/purchaseOrders/{code}/acknowledge", {"lines": [
        {"productId": "SAUCE", "promisedDate": day(5), "promisedQuantity": 36}]}, key=key()))
    before, after = ok(sup.get(f"{url}?asOf={day(4)}")), ok(retailer.get(f"{url}?asOf={day(5)}"))
    assert (before["asOf"], before["inboundQuantity"]) == (day(4), 0)
    assert (after["asOf"], after["inboundQuantity"]) == (day(5), 36)
    assert after["inventoryLevel"] == before["inventoryLevel"] == 20  # inbound is not on hand
    assert "inboundQuantity" not in ok(sup.get(url))
    ok(sup.post(f"/api/v1/purchaseOrders/{code}/receive", {"lines": [
        {"productId": "SAUCE", "batchNumber": "IN-1", "receivedQuantity": 12, "expirationDate": expiry(200)}]},
        key=key()))
    assert ok(sup.get(f"{url}?asOf={day(5)}"))["inboundQuantity"] == 24
    assert problem(sup.get(f"{url}?asOf=soon"))["errors"] == [
        {"field": "asOf", "message": "A date as YYYY-MM-DD is required."}]


def test_a_backorder_shows_the_promised_inbound_that_will_serve_it(db, make_caller):
    world = supply_world(make_caller)
    brand, sup = world["brand"], world["sup"]
    for quantity, promised in ((25, 3), (20, 6)):
        po = ok(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
            {"productId": "SAUCE", "quantity": quantity, "requestedDate": day(promised)}]}, key=key()), 201)
        ok(sup.post(f"/api/v1/purchaseOrders/{po['purchaseOrderId']}/acknowledge", {
            "lines": [{"productId": "SAUCE", "promisedDate": day(promised)}]}, key=key()))
    first = ok(world["retailers"]["R1"].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 30}]}, key=key()), 201)
    assert first["status"] == "backordered"
    assert first["lines"][0]["inbound"] == {"quantity": 30, "expectedDate": day(6)}
    second = ok(world["retailers"]["R2"].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 20}]}, key=key()), 201)
    detail = ok(world["retailers"]["R2"].get(f"/api/v1/orders/{second['orderId']}"))
    # 30 units of an older order come first: 15 of 45 promised are left, not enough by any date.
    assert detail["lines"][0]["inbound"] == {"quantity": 15, "expectedDate": None}
    listed = ok(world["retailers"]["R2"].get("/api/v1/orders"))["results"][0]["lines"][0]
    assert "inbound" not in listed


def test_bad_purchase_orders_are_400s_naming_every_field(low):
    brand = low["brand"]
    bad = problem(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 10, "casePack": 12, "requestedDate": day(3)},
        {"productId": "SAUCE", "quantity": 12, "casePack": 12, "requestedDate": day(-1)},
        {"productId": "NOPE", "quantity": 1, "requestedDate": day(3)}]}, key=key()))
    assert bad["status"] == 400 and [e["field"] for e in bad["errors"]] == ["lines[2].productId"]
    bad = problem(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 10, "casePack": 12, "requestedDate": day(3)},
        {"productId": "SAUCE", "quantity": 12, "casePack": 12, "requestedDate": day(-1)}]}, key=key()))
    assert {e["field"] for e in bad["errors"]} == {"lines[0].quantity", "lines[1].productId",
                                                  "lines[1].requestedDate"}
    assert problem(brand.post("/api/v1/purchaseOrders", {"lines": []}, key=key()))["status"] == 400
    assert PurchaseOrder.objects.count() == 0
    assert low["sup"].post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 12, "requestedDate": day(3)}]}, key=key()).status_code == 403


def test_each_party_acts_only_in_its_role_and_state(db, make_caller):
    world = supply_world(make_caller)
    brand, grow, sup = world["brand"], world["grow"], world["sup"]
    po = ok(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPG", "shipToSupplierId": "SUPX", "lines": [
        {"productId": "PEPPER", "quantity": 40, "requestedDate": day(5)}]}, key=key()), 201)
    code = po["purchaseOrderId"]
    url = f"/api/v1/purchaseOrders/{code}"
    ack = {"lines": [{"productId": "PEPPER", "promisedDate": day(5)}]}
    ship = {"lines": [{"productId": "PEPPER", "batchNumber": "PEP-9", "quantity": 40, "expirationDate": expiry(90)}]}
    receive = {"lines": [{"productId": "PEPPER", "batchNumber": "PEP-9", "receivedQuantity": 40,
                          "expirationDate": expiry(90)}]}
    assert problem(grow.post(f"{url}/ship", ship, key=key()))["code"] == "invalid_state"  # not acknowledged
    assert sup.post(f"{url}/acknowledge", ack, key=key()).status_code == 403  # the receiver does not promise
    assert grow.post(f"{url}/receive", receive, key=key()).status_code == 403  # the vendor does not receive
    assert make_caller("supplier", f.supplier("SUPZ").code).get(url).status_code == 404
    assert world["retailers"]["R1"].get(url).status_code == 403
    missing = problem(grow.post(f"{url}/acknowledge", {"lines": [{"productId": "SAUCE", "promisedDate": day(3)}]},
                                key=key()))
    assert {e["field"] for e in missing["errors"]} == {"lines[0].productId", "lines"}
    ok(grow.post(f"{url}/acknowledge", ack, key=key()))
    ok(brand.post(f"{url}/cancel", {}, key=key()))
    assert problem(sup.post(f"{url}/receive", receive, key=key()))["code"] == "invalid_state"
    assert problem(brand.post(f"{url}/cancel", {}, key=key()))["code"] == "invalid_state"
    assert not InventoryItem.objects.filter(supplier__code="SUPX", product__sku="PEPPER", lots__on_hand__gt=0)


def test_a_bad_receipt_line_changes_nothing(db, make_caller):
    world = supply_world(make_caller)
    brand, sup = world["brand"], world["sup"]
    po = ok(brand.post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCE", "quantity": 10, "requestedDate": day(5)}]}, key=key()), 201)
    url = f"/api/v1/purchaseOrders/{po['purchaseOrderId']}/receive"
    bad = problem(sup.post(url, {"lines": [
        {"productId": "SAUCE", "batchNumber": "OK-1", "receivedQuantity": 4, "expirationDate": expiry(100)},
        {"productId": "SAUCE", "batchNumber": "NO-EXPIRY", "receivedQuantity": 6}]}, key=key()))
    assert bad["errors"] == [{"field": "lines[1].expirationDate", "message": "Required when receiving a new batch."}]
    assert ok(sup.get(f"/api/v1/purchaseOrders/{po['purchaseOrderId']}"))["lines"][0]["receivedQuantity"] == 0
    assert not InventoryItem.objects.filter(lots__on_hand__gt=0, product__sku="SAUCE").exists()


def test_an_alert_without_a_suggestion_drafts_the_live_one(low):
    RestockAlert.objects.filter(pk=low["alert"].pk).update(suggested_order_quantity=0)
    live = ok(low["sup"].get("/api/v1/forecasts/SUPX/SAUCE"))["suggestedOrderQuantity"]
    assert live > 0
    draft = ok(low["brand"].post("/api/v1/purchaseOrders", {"alertId": low["alert"].pk}, key=key()), 201)
    assert draft["lines"][0]["quantity"] == live
    resolved = RestockAlert.objects.create(item=low["alert"].item, status="resolved", available_quantity=0,
                                           reorder_point=1, opened_at=timezone.now())
    assert problem(low["brand"].post("/api/v1/purchaseOrders", {"alertId": resolved.pk}, key=key()))[
        "code"] == "invalid_state"
    assert problem(low["brand"].post("/api/v1/purchaseOrders", {"alertId": 999999}, key=key()))["errors"][0][
        "field"] == "alertId"
