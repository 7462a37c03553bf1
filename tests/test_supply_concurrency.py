"""Receipts and production runs under real concurrency on PostgreSQL: no lost counter, no double receipt,
no input consumed twice."""

from __future__ import annotations

from collections import Counter

import pytest

from inventory.models import StockLot
from inventory.services.reconcile import reconcile
from orders.purchasing.models import PurchaseOrderLine
from tests import factories as f
from tests.supply_support import day, expiry, key, ok, supply_world
from tests.test_inventory_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def acknowledged(world, quantity: int) -> str:
    po = ok(world["brand"].post("/api/v1/purchaseOrders", {"supplierId": "SUPG", "shipToSupplierId": "SUPX",
                                                           "lines": [{"productId": "PEPPER", "quantity": quantity,
                                                                      "requestedDate": day(5)}]}, key=key()), 201)
    ok(world["grow"].post(f"/api/v1/purchaseOrders/{po['purchaseOrderId']}/acknowledge", {
        "lines": [{"productId": "PEPPER", "promisedDate": day(5)}]}, key=key()))
    return po["purchaseOrderId"]


def test_an_advance_ship_notice_is_received_once_however_many_docks_count_it(make_caller):
    world = supply_world(make_caller)
    code = acknowledged(world, 200)  # half of it ships now: the order stays open after the receipt
    shipped = ok(world["grow"].post(f"/api/v1/purchaseOrders/{code}/ship", {"lines": [
        {"productId": "PEPPER", "batchNumber": "PEP-C", "quantity": 100, "expirationDate": expiry(90)}]}, key=key()))
    asn = shipped["inboundShipments"][0]["inboundShipmentId"]

    def receive(index):
        return world["sup"].post(f"/api/v1/purchaseOrders/{code}/receive", {"inboundShipmentId": asn, "lines": [
            {"productId": "PEPPER", "batchNumber": "PEP-C", "receivedQuantity": 100}]}, key=f"dock-{index}").status_code

    assert Counter(run_in_threads(6, receive)) == {200: 1, 400: 5}
    assert StockLot.objects.get(batch__batch_number="PEP-C").on_hand == 100
    line = PurchaseOrderLine.objects.get(purchase_order__code=code)
    assert (line.received_quantity, line.purchase_order.status) == (100, "partially_received")
    assert reconcile() == []


def test_concurrent_partial_receipts_lose_no_count(make_caller):
    world = supply_world(make_caller)
    code = acknowledged(world, 80)

    def receive(index):
        return world["sup"].post(f"/api/v1/purchaseOrders/{code}/receive", {"lines": [
            {"productId": "PEPPER", "batchNumber": f"PEP-{index}", "receivedQuantity": 10,
             "expirationDate": expiry(90)}]}, key=f"part-{index}").status_code

    assert Counter(run_in_threads(8, receive)) == {200: 8}
    line = PurchaseOrderLine.objects.get(purchase_order__code=code)
    assert line.received_quantity == 80 and line.purchase_order.status == "received"
    assert sum(StockLot.objects.filter(batch__product__sku="PEPPER").values_list("on_hand", flat=True)) == 80
    assert reconcile() == []


def test_concurrent_runs_never_consume_more_of_a_lot_than_it_holds(make_caller):
    world = supply_world(make_caller)
    f.receive(world["packer"], world["pepper"], 25, batch="PEP-1", days=100)

    def run(index):
        return world["sup"].post("/api/v1/productionRuns", {
            "supplierId": "SUPX", "warehouseLocation": "WH1",
            "inputs": [{"productId": "PEPPER", "batchNumber": "PEP-1", "quantity": 5}],
            "output": {"productId": "SAUCE", "batchNumber": f"S{index}", "quantity": 10,
                       "expirationDate": expiry(60)}}, key=f"run-{index}").status_code

    assert Counter(run_in_threads(8, run)) == {201: 5, 409: 3}
    assert StockLot.objects.get(batch__batch_number="PEP-1").on_hand == 0
    assert reconcile() == []
