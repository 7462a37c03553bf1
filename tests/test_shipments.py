"""Shipping orders: consuming reservations, partial shipments, delivery, tenancy and bad input."""

from __future__ import annotations

import pytest

from inventory.models import InventoryItem, InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Shipment
from orders.services import backorders_allocate
from tests import factories as f
from tests.conftest import problem


@pytest.fixture
def shop(db, make_caller):
    sup = f.supplier("SUPS")
    ret = f.retailer("RETS")
    f.trade(sup, ret)
    f.product("SAUCEA")
    f.product("SAUCEB")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    f.receive(sup, Product.objects.get(sku="SAUCEA"), 10, batch="A1", days=100)
    f.receive(sup, Product.objects.get(sku="SAUCEA"), 10, batch="A2", days=150, warehouse_code="WH2")
    f.receive(sup, Product.objects.get(sku="SAUCEB"), 5, batch="B1", days=100)
    retail = make_caller("retailer", "RETS")
    order = retail.post("/api/v1/orders", {"supplierId": "SUPS", "lines": [
        {"productId": "SAUCEA", "quantity": 15}, {"productId": "SAUCEB", "quantity": 8}]}, key="o").json()
    assert order["status"] == "partially_allocated"
    return {"supplier": sup, "retailer": ret, "retail": retail, "supply": make_caller("supplier", "SUPS"),
            "order": order["orderId"]}


def levels(batch: str) -> tuple[int, int]:
    lot = StockLot.objects.get(batch__batch_number=batch)
    return lot.on_hand, lot.reserved


def test_shipping_everything_allocated_consumes_the_reservation(shop):
    response = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "carrier": "DHL",
                                                         "trackingNumber": "JD0001"}, key="s")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["orderId"] == shop["order"] and body["trackingNumber"] == "JD0001"
    assert sorted((line["productId"], line["batchNumber"], line["warehouseLocation"], line["quantity"])
                  for line in body["lines"]) == [("SAUCEA", "A1", "WH1", 10), ("SAUCEA", "A2", "WH2", 5),
                                                 ("SAUCEB", "B1", "WH1", 5)]
    assert levels("A1") == (0, 0) and levels("A2") == (5, 0) and levels("B1") == (0, 0)
    rows = InventoryTransaction.objects.filter(type="shipment", reference=body["shipmentId"])
    assert sorted(rows.values_list("on_hand_delta", "reserved_delta")) == [(-10, -10), (-5, -5), (-5, -5)]
    order = shop["retail"].get(f"/api/v1/orders/{shop['order']}").json()
    # Product B still has 3 units backordered, so the order is not complete.
    assert order["status"] == "partially_shipped"
    assert order["progress"]["shippedQuantity"] == 20 and order["progress"]["backorderedQuantity"] == 3
    assert reconcile() == []


def test_shipping_named_lines_takes_the_named_batch_and_warehouse(shop):
    response = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "lines": [
        {"productId": "SAUCEA", "quantity": 3, "batchNumber": "A2", "warehouseLocation": "WH2"}]}, key="s")
    assert response.status_code == 201, response.content
    assert [(line["batchNumber"], line["quantity"]) for line in response.json()["lines"]] == [("A2", 3)]
    assert levels("A2") == (7, 2) and levels("A1") == (10, 10)
    order = shop["retail"].get(f"/api/v1/orders/{shop['order']}").json()
    line = order["lines"][0]
    assert (line["allocatedQuantity"], line["shippedQuantity"], line["backorderedQuantity"]) == (12, 3, 0)
    assert order["status"] == "partially_shipped"


def test_shipping_more_than_allocated_is_409_and_changes_nothing(shop):
    before = list(StockLot.objects.order_by("pk").values_list("on_hand", "reserved"))
    for lines in ([{"productId": "SAUCEA", "quantity": 16}],
                  [{"productId": "SAUCEA", "quantity": 6, "batchNumber": "A2"}],
                  [{"productId": "SAUCEB", "quantity": 5}, {"productId": "SAUCEB", "quantity": 1}]):
        response = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "lines": lines},
                                       key=str(lines))
        assert response.status_code == 409, response.content
        assert problem(response)["code"] == "insufficient_stock"
    assert list(StockLot.objects.order_by("pk").values_list("on_hand", "reserved")) == before
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize("body, status, field", [
    ({"carrier": "UPS"}, 400, "orderId"),
    ({"orderId": "ORD-999999"}, 404, None),
    ({"orderId": "X", "lines": [{"productId": "SAUCEA", "quantity": "2"}]}, 400, "lines[0].quantity"),
    ({"orderId": "X", "lines": [{"productId": "SAUCEA", "quantity": 0}]}, 400, "lines[0].quantity"),
    ({"orderId": "X", "lines": [{"productId": "NOPE", "quantity": 1}]}, 404, "lines[0].productId"),
    ({"orderId": "X", "lines": [{"productId": "SAUCEZ", "quantity": 1}]}, 400, "lines[0].productId"),
    ({"orderId": "X", "trackingNumbr": "1"}, 400, "trackingNumbr"),
])
def test_bad_shipment_input_changes_nothing(shop, body, status, field):
    f.product("SAUCEZ")
    if body.get("orderId") == "X":
        body["orderId"] = shop["order"]
    response = shop["supply"].post("/api/v1/shipments", body, key="bad")
    assert response.status_code == status, response.content
    if field:
        assert field in [e["field"] for e in problem(response)["errors"]]
    assert Shipment.objects.count() == 0 and reconcile() == []


def test_shipping_a_cancelled_order_is_invalid_state(shop):
    assert shop["retail"].post(f"/api/v1/orders/{shop['order']}/cancel").status_code == 200
    response = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"]}, key="s")
    assert response.status_code == 409 and problem(response)["code"] == "invalid_state"


def test_post_shipments_needs_an_idempotency_key_and_the_right_kind(shop, make_caller):
    response = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"]})
    assert response.status_code == 400 and problem(response)["code"] == "idempotency_key_missing"
    response = shop["retail"].post("/api/v1/shipments", {"orderId": shop["order"]}, key="r")
    assert response.status_code == 403
    brand = make_caller("brand")
    assert brand.post("/api/v1/shipments", {"orderId": shop["order"]}, key="b").status_code == 201


def test_an_order_is_delivered_only_when_every_shipment_arrived(shop, make_caller):
    # Receive the missing B units so the order can ship completely in two shipments.
    f.receive(shop["supplier"], Product.objects.get(sku="SAUCEB"), 3, batch="B2")
    backorders_allocate(item_id=InventoryItem.objects.get(product__sku="SAUCEB").pk)
    first = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "lines": [
        {"productId": "SAUCEA", "quantity": 15}]}, key="1").json()
    second = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"]}, key="2").json()
    assert shop["retail"].get(f"/api/v1/orders/{shop['order']}").json()["status"] == "shipped"
    assert shop["supply"].post(f"/api/v1/shipments/{first['shipmentId']}/deliver").status_code == 200
    assert shop["retail"].get(f"/api/v1/orders/{shop['order']}").json()["status"] == "shipped"
    assert shop["supply"].post(f"/api/v1/shipments/{second['shipmentId']}/deliver").status_code == 200
    order = shop["retail"].get(f"/api/v1/orders/{shop['order']}").json()
    assert order["status"] == "delivered"
    assert {s["status"] for s in order["shipments"]} == {"delivered"}


def test_shipments_are_visible_only_to_their_parties(shop, make_caller):
    shipment = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "trackingNumber": "T1"},
                                   key="s").json()["shipmentId"]
    other_sup = f.supplier("SUPO")
    other_ret = f.retailer("RETO")
    f.trade(other_sup, other_ret)
    f.trade(shop["supplier"], other_ret)
    outsiders = [make_caller("retailer", "RETO"), make_caller("supplier", "SUPO")]
    insiders = [shop["retail"], shop["supply"], make_caller("brand")]
    for caller in insiders:
        assert caller.get(f"/api/v1/shipments/{shipment}").status_code == 200
        assert [s["shipmentId"] for s in caller.get("/api/v1/shipments").json()["results"]] == [shipment]
    for caller in outsiders:
        assert caller.get(f"/api/v1/shipments/{shipment}").status_code == 404
        assert caller.get("/api/v1/shipments").json()["results"] == []
    response = outsiders[1].post(f"/api/v1/shipments/{shipment}/deliver")
    assert response.status_code == 404 and problem(response)["code"] == "not_found"
    response = outsiders[1].post("/api/v1/shipments", {"orderId": shop["order"]}, key="steal")
    assert response.status_code == 404
    assert shop["retail"].post(f"/api/v1/shipments/{shipment}/deliver").status_code == 403
    assert Shipment.objects.get(code=shipment).status == "in_transit"


def test_shipment_list_filters(shop):
    shipment = shop["supply"].post("/api/v1/shipments", {"orderId": shop["order"], "trackingNumber": "T9",
                                                         "carrier": "UPS"}, key="s").json()["shipmentId"]
    caller = shop["retail"]
    for query in (f"orderId={shop['order']}", "trackingNumber=T9", "status=in_transit", "retailPartnerId=RETS",
                  "supplierId=SUPS", "batchNumber=A1", "productId=SAUCEB"):
        assert [s["shipmentId"] for s in caller.get(f"/api/v1/shipments?{query}").json()["results"]] == [
            shipment], query
    assert caller.get("/api/v1/shipments?status=delivered").json()["results"] == []
    assert caller.get("/api/v1/shipments?order=1").status_code == 400


def test_shipment_list_query_count_does_not_grow_with_the_page(shop, make_caller, django_assert_max_num_queries):
    for index, quantity in enumerate((1, 1, 1)):
        order = shop["retail"].post("/api/v1/orders", {"supplierId": "SUPS", "lines": [
            {"productId": "SAUCEA", "quantity": quantity}]}, key=f"q{index}").json()["orderId"]
        assert shop["supply"].post("/api/v1/shipments", {"orderId": order}, key=f"q{index}").status_code == 201
    caller = shop["supply"]
    caller.get("/api/v1/shipments?limit=1")
    with django_assert_max_num_queries(20) as small:
        caller.get("/api/v1/shipments?limit=1")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(caller.get("/api/v1/shipments?limit=3").json()["results"]) == 3
