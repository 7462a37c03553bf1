"""Traceability and recall of a batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hotsauce.celery import app as celery_app
from inventory import services
from inventory.models import Batch, Product, StockLot
from inventory.services.reconcile import reconcile
from tests import factories as f
from tests.conftest import problem
from webhooks.models import Event, EventAudience

TRACE = "/api/v1/products/SAUCEX/batches/X1/trace"
RECALL = "/api/v1/products/SAUCEX/batches/X1/recall"


@pytest.fixture
def spread(db, make_caller):
    """Batch X1 (two warehouses) shipped to RETA (5) and RETB (7); RETC has 4 of it reserved; Y1 is younger."""
    sup = f.supplier("SUPX")
    retailers = {code: f.retailer(code) for code in ("RETA", "RETB", "RETC")}
    for ret in retailers.values():
        f.trade(sup, ret)
    prod = f.product("SAUCEX")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    f.receive(sup, prod, 10, batch="X1", days=100)
    # A second lot of the same batch in another warehouse (the batch already knows its expiry).
    services.movement_record(supplier=sup, product=prod, type="receipt", quantity=10, actor=None, warehouse_code="WH2",
                        batch_number="X1")
    f.receive(sup, prod, 20, batch="Y1", days=200)
    supply = make_caller("supplier", "SUPX")
    callers = {code: make_caller("retailer", code) for code in retailers}
    orders = {}
    for code, quantity in (("RETA", 5), ("RETB", 7), ("RETC", 4)):
        orders[code] = callers[code].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
            {"productId": "SAUCEX", "quantity": quantity}]}, key=code).json()["orderId"]
    for code in ("RETA", "RETB"):
        shipment = supply.post("/api/v1/shipments", {"orderId": orders[code], "trackingNumber": f"T-{code}"},
                               key=code).json()["shipmentId"]
        if code == "RETA":
            supply.post(f"/api/v1/shipments/{shipment}/deliver")
    return {"supplier": sup, "retailers": retailers, "callers": callers, "supply": supply, "orders": orders}


def test_trace_shows_lots_shipments_and_returns_of_the_batch(spread):
    response = spread["supply"].get(TRACE)
    assert response.status_code == 200, response.content
    trace = response.json()
    assert trace["batchNumber"] == "X1" and trace["supplierId"] == "SUPX"
    assert sorted((s["retailPartnerId"], s["quantity"], s["orderId"]) for s in trace["shipments"]) == [
        ("RETA", 5, spread["orders"]["RETA"]), ("RETB", 7, spread["orders"]["RETB"])]
    retb = next(s for s in trace["shipments"] if s["retailPartnerId"] == "RETB")
    assert sorted((lot["warehouseLocation"], lot["quantity"]) for lot in retb["lots"]) == [("WH1", 5), ("WH2", 2)]
    reta = next(s for s in trace["shipments"] if s["retailPartnerId"] == "RETA")
    assert reta["shippedAt"] and reta["deliveredAt"] and reta["trackingNumber"] == "T-RETA"
    assert [(p["retailPartnerId"], p["shippedQuantity"]) for p in trace["retailPartners"]] == [("RETA", 5),
                                                                                             ("RETB", 7)]
    assert sum(lot["inventoryLevel"] for lot in trace["lots"]) == 20 - 12
    assert trace["totals"]["receivedQuantity"] == 20 and trace["totals"]["shippedQuantity"] == 12
    assert trace["totals"]["reservedQuantity"] == 4
    # Every unit is accounted for: on hand + shipped = received.
    assert trace["totals"]["onHandQuantity"] + trace["totals"]["shippedQuantity"] == trace["totals"][
        "receivedQuantity"]


def test_a_retailer_traces_only_its_own_shipments(spread, make_caller):
    trace = spread["callers"]["RETA"].get(TRACE).json()
    assert [s["retailPartnerId"] for s in trace["shipments"]] == ["RETA"]
    outsider = f.retailer("RETZ")
    assert make_caller("retailer", "RETZ").get(TRACE).status_code == 404
    assert outsider.pk  # not trading with SUPX: the batch does not exist for it
    assert make_caller("supplier", f.supplier("SUPY").code).get(TRACE).status_code == 404
    assert spread["supply"].get("/api/v1/products/SAUCEX/batches/NOPE/trace").status_code == 404


def test_recall_holds_the_batch_reallocates_orders_and_tells_the_retailers(spread):
    response = spread["supply"].post(RECALL, {"reason": "glass fragments found"})
    assert response.status_code == 200, response.content
    recall = response.json()
    assert recall["reason"] == "glass fragments found"
    assert sorted((n["retailPartnerId"], n["quantity"]) for n in recall["retailPartners"]) == [("RETA", 5), ("RETB", 7)]
    assert recall["reservedUnitsReleased"] == 4

    # Every lot of the batch is on hold: nothing of it is available, nothing reserved.
    for lot in StockLot.objects.filter(batch__batch_number="X1"):
        assert lot.reserved == 0
    item = spread["supply"].get("/api/v1/inventory/SUPX/SAUCEX").json()
    x_lots = [lot for lot in item["lots"] if lot["batchNumber"] == "X1"]
    assert {lot["status"] for lot in x_lots} == {"recalled"}
    assert sum(lot["availableQuantity"] for lot in x_lots) == 0
    assert sum(lot["onHoldQuantity"] for lot in x_lots) == 8
    assert item["onHoldQuantity"] == 8

    # The order that had it reserved now holds the younger batch.
    order = spread["callers"]["RETC"].get(f"/api/v1/orders/{spread['orders']['RETC']}").json()
    assert order["status"] == "allocated"
    assert [(a["batchNumber"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [("Y1", 4)]
    assert StockLot.objects.get(batch__batch_number="Y1").reserved == 4
    assert reconcile() == []

    # Who must be told, queryable afterwards.
    listed = spread["supply"].get(RECALL).json()["results"]
    assert [(n["retailPartnerId"], n["quantity"]) for n in listed[0]["retailPartners"]] == [("RETA", 5), ("RETB", 7)]
    trace = spread["supply"].get(TRACE).json()
    assert trace["status"] == "recalled" and trace["recalls"][0]["reason"] == "glass fragments found"

    # batch.recalled reaches each retailer that received it, with its own quantity, and the supplier.
    events = Event.objects.filter(type="batch.recalled")
    by_partner = {}
    for event in events:
        for kind, partner_id in EventAudience.objects.filter(event=event).values_list("partner_kind", "partner_id"):
            by_partner.setdefault((kind, partner_id), []).append(event.data)
    reta, retb, retc = (spread["retailers"][code] for code in ("RETA", "RETB", "RETC"))
    assert [d["quantity"] for d in by_partner[("retailer", reta.pk)]] == [5]
    assert [d["quantity"] for d in by_partner[("retailer", retb.pk)]] == [7]
    assert ("retailer", retc.pk) not in by_partner
    assert by_partner[("supplier", spread["supplier"].pk)][0]["batchNumber"] == "X1"


def test_recall_without_other_stock_backorders_the_open_order(spread):
    # Use up Y1 first so nothing can replace X1.
    spread["callers"]["RETB"].post("/api/v1/orders", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCEX", "quantity": 24}]}, key="all-y")
    assert spread["supply"].post(RECALL, {"reason": "mislabelled"}).status_code == 200
    order = spread["callers"]["RETC"].get(f"/api/v1/orders/{spread['orders']['RETC']}").json()
    assert order["status"] in ("backordered", "partially_allocated")
    assert sum(a["quantity"] for a in order["lines"][0]["allocations"]) + order["lines"][0][
        "backorderedQuantity"] == 4
    assert all(a["batchNumber"] != "X1" for a in order["lines"][0]["allocations"])
    assert reconcile() == []


def test_only_the_owning_supplier_or_the_brand_may_recall(spread, make_caller):
    response = spread["callers"]["RETA"].post(RECALL, {"reason": "x"})
    assert response.status_code == 403
    other = f.supplier("SUPY")
    assert make_caller("supplier", other.code).post(RECALL, {"reason": "x"}).status_code == 404
    assert Batch.objects.get(batch_number="X1").status == "released"
    response = make_caller("brand").post(RECALL, {"reason": "brand-wide recall"})
    assert response.status_code == 200
    response = spread["supply"].post(RECALL, {"reason": "again"})
    assert response.status_code == 409 and problem(response)["code"] == "invalid_state"


def test_recall_needs_a_reason(spread):
    for body in ({}, {"reason": ""}, {"reason": "x", "urgent": True}):
        response = spread["supply"].post(RECALL, body)
        assert response.status_code == 400
    assert Batch.objects.get(batch_number="X1").status == "released"


def test_returned_units_of_a_recalled_batch_are_traced(spread):
    spread["supply"].post(RECALL, {"reason": "glass"})
    ret = spread["callers"]["RETA"].post("/api/v1/returns", {"supplierId": "SUPX", "lines": [
        {"productId": "SAUCEX", "batchNumber": "X1", "quantity": 5, "reason": "recall"}]}, key="r").json()
    response = spread["supply"].post(f"/api/v1/returns/{ret['returnId']}/receive", {"lines": [
        {"lineId": ret["lines"][0]["lineId"], "disposition": "quarantine"}]})
    assert response.status_code == 200
    trace = spread["supply"].get(TRACE).json()
    assert [(r["retailPartnerId"], r["quantity"], r["disposition"]) for r in trace["returns"]] == [
        ("RETA", 5, "quarantine")]
    assert trace["totals"]["onHandQuantity"] == 13
    assert Product.objects.get(sku="SAUCEX")
    assert reconcile() == []


def test_sandbox_recall_puts_every_unit_on_hold_and_a_new_batch_serves_the_backorder(
        supplier_caller, retailer_caller, make_caller, django_capture_on_commit_callbacks):
    order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "HOTSAUCE789", "quantity": 24}]}, key="a").json()["orderId"]
    supplier_caller.post("/api/v1/shipments", {"orderId": order, "trackingNumber": "1Z"}, key="s")
    other = make_caller("retailer", "RETAIL500")
    waiting = other.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "HOTSAUCE789", "quantity": 10}]}, key="b").json()["orderId"]

    url = "/api/v1/products/HOTSAUCE789/batches/BATCH202406/recall"
    response = supplier_caller.post(url, {"reason": "botulism risk"})
    assert response.status_code == 200, response.content
    assert [(n["retailPartnerId"], n["quantity"]) for n in response.json()["retailPartners"]] == [("RETAIL456", 24)]
    item = retailer_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").json()
    # The sandbox's own 50-unit reservation is released too: every unit of the batch is on hold.
    assert (item["inventoryLevel"], item["reservedQuantity"], item["availableQuantity"]) == (476, 0, 0)
    assert item["onHoldQuantity"] == 476
    assert other.get(f"/api/v1/orders/{waiting}").json()["status"] == "backordered"
    assert reconcile() == []

    previous = celery_app.conf.task_always_eager
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {
                "type": "receipt", "quantity": 100, "warehouseLocation": "Warehouse_B", "batchNumber": "BATCH202411",
                "expirationDate": (timezone.now() + timedelta(days=365)).isoformat()}, key="r")
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = previous
    served = other.get(f"/api/v1/orders/{waiting}").json()
    assert served["status"] == "allocated"
    assert [(a["batchNumber"], a["quantity"]) for a in served["lines"][0]["allocations"]] == [("BATCH202411", 10)]
    assert reconcile() == []
