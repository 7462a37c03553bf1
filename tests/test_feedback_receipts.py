"""Receipt confirmation: the shipment becomes delivered and every difference opens a discrepancy."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Batch, Product
from orders.feedback.models import Discrepancy, Receipt
from orders.models import Order, Shipment
from tests import factories as f
from tests.conftest import problem
from webhooks.models import Delivery, Endpoint, Event

FEEDBACK_EVENTS = ["discrepancy.opened", "discrepancy.updated", "discrepancy.resolved"]


def key() -> str:
    return uuid.uuid4().hex


def ok(response, status=(200, 201)) -> dict:
    assert response.status_code in status, response.content
    return response.json()


def ship(retailer, supplier, quantity=24, sku="HOTSAUCE789", supplier_code="SUP123") -> tuple[str, str, str]:
    order = ok(retailer.post("/api/v1/orders", {"supplierId": supplier_code, "lines": [
        {"productId": sku, "quantity": quantity}]}, key=key()))
    shipment = ok(supplier.post("/api/v1/shipments", {"orderId": order["orderId"], "carrier": "UPS",
                                                      "trackingNumber": "1Z1"}, key=key()))
    return order["orderId"], shipment["shipmentId"], shipment["lines"][0]["batchNumber"]


def receipt(caller, shipment_id, lines, idem=None):
    return caller.post(f"/api/v1/shipments/{shipment_id}/receipt", {"lines": lines}, key=idem or key())


def feed_types(caller) -> list[tuple[str, str]]:
    body = ok(caller.get("/api/v1/events?after=0&limit=500&types=" + ",".join(FEEDBACK_EVENTS)))
    return [(e["type"], e["data"]["discrepancyId"]) for e in body["results"]]


@pytest.fixture
def hooks(sandbox, make_caller, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    callers = {name: make_caller(kind, code) for name, kind, code in (
        ("supplier", "supplier", "SUP123"), ("retailer", "retailer", "RETAIL456"),
        ("rival", "retailer", "RETAIL500"), ("other_supplier", "supplier", "SUP400"), ("brand", "brand", None))}
    for name, caller in callers.items():
        ok(caller.post("/api/v1/webhooks", {"url": f"http://127.0.0.1:9/{name}", "eventTypes": FEEDBACK_EVENTS},
                       key=key()))
    return callers


def test_short_delivery_opens_a_shortage_the_supplier_answers_and_replaces_only_the_parties_hear(hooks):
    supplier, retailer, brand = hooks["supplier"], hooks["retailer"], hooks["brand"]
    order_id, shipment_id, batch = ship(retailer, supplier, 24)

    confirmed = ok(receipt(retailer, shipment_id, [
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 20, "damagedQuantity": 0}]))
    assert confirmed["shipmentStatus"] == "delivered"
    assert confirmed["lines"] == [{"productId": "HOTSAUCE789", "batchNumber": batch, "shippedQuantity": 24,
                                   "receivedQuantity": 20, "damagedQuantity": 0}]
    [shortage] = confirmed["discrepancies"]
    assert (shortage["kind"], shortage["status"], shortage["cause"]) == ("shortage", "open", "shortReceived")
    assert (shortage["expectedQuantity"], shortage["actualQuantity"], shortage["quantity"]) == (24, 20, 4)
    assert (shortage["orderId"], shortage["shipmentId"], shortage["batchNumber"]) == (order_id, shipment_id, batch)
    assert (shortage["supplierId"], shortage["retailPartnerId"], shortage["openedBy"]) == (
        "SUP123", "RETAIL456", "retailer")
    assert Shipment.objects.get(code=shipment_id).status == "delivered"
    assert Order.objects.get(code=order_id).status == "delivered"
    code = shortage["discrepancyId"]

    # The supplier answers in the thread (which acknowledges it), the retailer replies.
    answered = ok(supplier.post(f"/api/v1/discrepancies/{code}/messages",
                                {"body": "Sorry — four bottles stayed on the dock. Replacing them."}, key=key()))
    assert answered["status"] == "acknowledged" and answered["acknowledgedAt"]
    ok(retailer.post(f"/api/v1/discrepancies/{code}/messages", {"body": "Thanks, same address."}, key=key()))

    resolved = ok(supplier.post(f"/api/v1/discrepancies/{code}/resolve",
                                {"resolution": "replacement", "note": "Four re-sent tomorrow."}, key=key()))
    assert (resolved["status"], resolved["resolution"], resolved["resolutionQuantity"]) == (
        "resolved", "replacement", 4)
    assert resolved["resolutionNote"] == "Four re-sent tomorrow." and resolved["closedAt"]
    assert [(m["author"], m["body"][:5]) for m in resolved["messages"]] == [
        ({"kind": "supplier", "partnerId": "SUP123"}, "Sorry"), ({"kind": "retailer", "partnerId": "RETAIL456"},
                                                                 "Thank")]
    replacement = ok(retailer.get(f"/api/v1/orders/{resolved['replacementOrderId']}"))
    assert replacement["reference"] == f"replacement for {code}"
    assert (replacement["supplierId"], replacement["retailPartnerId"]) == ("SUP123", "RETAIL456")
    assert replacement["lines"][0]["productId"] == "HOTSAUCE789" and replacement["lines"][0]["quantity"] == 4
    assert replacement["status"] == "allocated"  # reserved FEFO like any order
    assert replacement["lines"][0]["allocations"][0]["batchNumber"] == "BATCH202406"

    # Each party hears opened, updated ×2, resolved — the rival retailer and the other supplier nothing.
    expected = [("discrepancy.opened", code), ("discrepancy.updated", code), ("discrepancy.updated", code),
                ("discrepancy.resolved", code)]
    assert feed_types(supplier) == feed_types(retailer) == feed_types(brand) == expected
    assert feed_types(hooks["rival"]) == [] and feed_types(hooks["other_supplier"]) == []
    deliveries = {path: sorted(types) for path, types in _deliveries_by_endpoint().items()}
    parties = sorted(t for t, _ in expected)
    assert deliveries == {"supplier": parties, "retailer": parties, "brand": parties}
    # The replacement order's own events went to the same two parties only.
    created = Event.objects.get(type="order.created", data__orderId=resolved["replacementOrderId"])
    assert sorted(created.audience.values_list("partner_kind", flat=True)) == ["retailer", "supplier"]


def _deliveries_by_endpoint() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url, event_type in Delivery.objects.values_list("endpoint__url", "event__type"):
        found.setdefault(url.rsplit("/", 1)[-1], []).append(event_type)
    return found


def test_every_kind_of_difference_opens_its_discrepancy_with_the_quantities(sandbox, make_caller):
    sup = f.supplier("SUPR")
    ret = f.retailer("RETR", shelf_days=60)
    f.trade(sup, ret)
    f.warehouse(sup, "WH1")
    sauce, other = f.product("SAUCER"), f.product("OTHERR")
    f.receive(sup, sauce, 10, batch="LOT-A", days=100)
    f.receive(sup, sauce, 10, batch="LOT-B", days=200)
    f.receive(sup, other, 5, batch="LOT-O", days=200)
    retailer, supplier = make_caller("retailer", "RETR"), make_caller("supplier", "SUPR")
    order = ok(retailer.post("/api/v1/orders", {"supplierId": "SUPR", "lines": [
        {"productId": "SAUCER", "quantity": 14}]}, key=key()))
    # Allocated FEFO: 10 of LOT-A and 4 of LOT-B. LOT-A meets the 60-day rule today; make it expire
    # in 50 days before it arrives (the retailer's rule is judged on arrival).
    shipment = ok(supplier.post("/api/v1/shipments", {"orderId": order["orderId"]}, key=key()))
    Batch.objects.filter(batch_number="LOT-A").update(expiration_date=timezone.now() + timedelta(days=50))
    body = ok(receipt(retailer, shipment["shipmentId"], [
        {"productId": "SAUCER", "batchNumber": "LOT-A", "receivedQuantity": 12, "damagedQuantity": 3},
        {"productId": "SAUCER", "batchNumber": "LOT-C", "receivedQuantity": 2},
        {"productId": "OTHERR", "batchNumber": "LOT-O", "receivedQuantity": 1}]))
    found = sorted((d["kind"], d["cause"], d["batchNumber"], d["expectedQuantity"], d["actualQuantity"],
                    d["quantity"]) for d in body["discrepancies"])
    assert found == [
        ("damage", "damaged", "LOT-A", 10, 12, 3),
        ("overage", "overReceived", "LOT-A", 10, 12, 2),
        ("quality", "shortShelfLife", "LOT-A", 10, 12, 9),
        ("shortage", "shortReceived", "LOT-B", 4, 0, 4),  # not listed: nothing of it arrived
        ("wrongItem", "wrongLot", "LOT-C", 0, 2, 2),
        ("wrongItem", "wrongProduct", "LOT-O", 0, 1, 1),
    ]
    assert {line["batchNumber"]: line["shippedQuantity"] for line in body["lines"]} == {
        "LOT-A": 10, "LOT-B": 4, "LOT-C": 0, "LOT-O": 0}
    due = {d.kind: d.due_at - d.opened_at for d in Discrepancy.objects.all()}
    assert due["shortage"] == timedelta(hours=48) and due["quality"] == timedelta(hours=72)


def test_an_exact_count_opens_nothing_and_a_second_receipt_is_409(retailer_caller, supplier_caller):
    _, shipment_id, batch = ship(retailer_caller, supplier_caller, 5)
    line = [{"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 5}]
    first = receipt(retailer_caller, shipment_id, line, idem="same")
    assert ok(first)["discrepancies"] == []
    replay = receipt(retailer_caller, shipment_id, line, idem="same")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    again = receipt(retailer_caller, shipment_id, line)
    assert again.status_code == 409 and problem(again)["code"] == "invalid_state"
    assert Receipt.objects.count() == 1 and Discrepancy.objects.count() == 0


def test_a_shipment_delivered_by_a_plain_deliver_may_still_be_counted_once(retailer_caller, supplier_caller):
    _, shipment_id, batch = ship(retailer_caller, supplier_caller, 6)
    delivered = ok(supplier_caller.post(f"/api/v1/shipments/{shipment_id}/deliver", {}, key=key()))
    body = ok(receipt(retailer_caller, shipment_id, [
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 5}]))
    assert body["deliveredAt"] == delivered["deliveredAt"]  # the carrier's time stands
    assert [d["kind"] for d in body["discrepancies"]] == ["shortage"]
    assert ok(supplier_caller.get(f"/api/v1/shipments/{shipment_id}/receipt"))["lines"][0]["receivedQuantity"] == 5


def test_receipt_is_the_retailers_or_the_brands_and_needs_an_idempotency_key(
        retailer_caller, supplier_caller, make_caller):
    _, shipment_id, batch = ship(retailer_caller, supplier_caller, 3)
    line = [{"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 3}]
    assert receipt(supplier_caller, shipment_id, line).status_code == 403
    rival = make_caller("retailer", "RETAIL500")
    assert receipt(rival, shipment_id, line).status_code == 404
    missing = retailer_caller.post(f"/api/v1/shipments/{shipment_id}/receipt", {"lines": line})
    assert missing.status_code == 400 and problem(missing)["code"] == "idempotency_key_missing"
    assert retailer_caller.get(f"/api/v1/shipments/{shipment_id}/receipt").status_code == 404
    assert ok(receipt(make_caller("brand"), shipment_id, line))["shipmentStatus"] == "delivered"


def test_bad_receipt_lines_are_a_400_naming_every_field_and_change_nothing(retailer_caller, supplier_caller):
    _, shipment_id, batch = ship(retailer_caller, supplier_caller, 3)
    response = receipt(retailer_caller, shipment_id, [
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 2, "damagedQuantity": 3},
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 1}])
    assert response.status_code == 400
    assert {e["field"] for e in problem(response)["errors"]} == {"lines[0].damagedQuantity", "lines[1].batchNumber"}
    response = receipt(retailer_caller, shipment_id, [
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": "2", "damagedQuantity": -1}])
    assert {e["field"] for e in problem(response)["errors"]} == {"lines[0].receivedQuantity",
                                                                 "lines[0].damagedQuantity"}
    response = receipt(retailer_caller, shipment_id, [
        {"productId": "HOTSAUCE789", "batchNumber": batch, "receivedQuantity": 2, "extra": 1}])
    assert [e["field"] for e in problem(response)["errors"]] == ["lines[0].extra"]
    response = receipt(retailer_caller, shipment_id, [{"productId": "NOPE", "batchNumber": batch,
                                                       "receivedQuantity": 2}])
    assert [e["field"] for e in problem(response)["errors"]] == ["lines[0].productId"]
    assert receipt(retailer_caller, shipment_id, []).status_code == 400
    assert Shipment.objects.get(code=shipment_id).status == "in_transit"
    assert not Receipt.objects.exists() and not Discrepancy.objects.exists()
    assert Product.objects.filter(sku="NOPE").count() == 0
    assert Endpoint.objects.count() == 0
