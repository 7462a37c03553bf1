"""Returns: only what was shipped, dispositions restock / quarantine / writeOff, all ledgered."""

from __future__ import annotations

import pytest

from inventory.models import InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Return
from tests import factories as f
from tests.conftest import problem
from webhooks.models import Event


@pytest.fixture
def shipped(db, make_caller):
    """RETR received 5 bottles of batch R1 (order shipped and delivered)."""
    sup = f.supplier("SUPR")
    ret = f.retailer("RETR")
    f.trade(sup, ret)
    f.product("SAUCER")
    f.warehouse(sup, "WH1")
    f.receive(sup, Product.objects.get(sku="SAUCER"), 20, batch="R1", days=200)
    retail, supply = make_caller("retailer", "RETR"), make_caller("supplier", "SUPR")
    order = retail.post("/api/v1/orders", {"supplierId": "SUPR", "lines": [{"productId": "SAUCER", "quantity": 5}]},
                        key="o").json()["orderId"]
    shipment = supply.post("/api/v1/shipments", {"orderId": order}, key="s").json()["shipmentId"]
    supply.post(f"/api/v1/shipments/{shipment}/deliver")
    return {"supplier": sup, "retailer": ret, "retail": retail, "supply": supply, "order": order}


def ask(caller, lines, key="r", **extra):
    return caller.post("/api/v1/returns", {"supplierId": "SUPR", "lines": lines, **extra}, key=key)


def line(quantity, reason="damaged", batch="R1"):
    return {"productId": "SAUCER", "batchNumber": batch, "quantity": quantity, "reason": reason}


def item():
    lot = StockLot.objects.get(batch__batch_number="R1")
    return lot.on_hand, lot.reserved, lot.quarantined


def test_return_of_three_restock_quarantine_writeoff(shipped):
    response = ask(shipped["retail"], [line(1, "customer_return"), line(1, "quality"), line(1, "damaged")],
                   orderId=shipped["order"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["returnId"].startswith("RET-") and body["status"] == "requested"
    line_ids = [entry["lineId"] for entry in body["lines"]]
    assert len(set(line_ids)) == 3
    assert Event.objects.filter(type="return.created", data__returnId=body["returnId"]).exists()
    before = shipped["supply"].get("/api/v1/inventory/SUPR/SAUCER").json()
    assert item() == (15, 0, 0)

    response = shipped["supply"].post(f"/api/v1/returns/{body['returnId']}/receive", {"lines": [
        {"lineId": line_ids[0], "disposition": "restock", "warehouseLocation": "WH1"},
        {"lineId": line_ids[1], "disposition": "quarantine", "warehouseLocation": "WH1"},
        {"lineId": line_ids[2], "disposition": "writeOff", "warehouseLocation": "WH1"}]})
    assert response.status_code == 200, response.content
    received = response.json()
    assert received["status"] == "received"
    assert [entry["disposition"] for entry in received["lines"]] == ["restock", "quarantine", "writeOff"]

    after = shipped["supply"].get("/api/v1/inventory/SUPR/SAUCER").json()
    assert after["inventoryLevel"] == before["inventoryLevel"] + 2
    assert after["availableQuantity"] == before["availableQuantity"] + 1
    assert after["onHoldQuantity"] == before["onHoldQuantity"] + 1
    assert item() == (17, 0, 1)
    rows = InventoryTransaction.objects.filter(reference=body["returnId"]).order_by("pk")
    assert list(rows.values_list("type", "quantity", "on_hand_delta", "quarantined_delta")) == [
        ("return", 1, 1, 0), ("return", 1, 1, 1), ("return", 1, 0, 0)]
    assert "writeOff" in rows[2].reason
    assert reconcile() == []
    assert Event.objects.filter(type="return.processed", data__returnId=body["returnId"]).exists()

    # Receiving a line twice is refused.
    response = shipped["supply"].post(f"/api/v1/returns/{body['returnId']}/receive", {"lines": [
        {"lineId": line_ids[0], "disposition": "restock"}]})
    assert response.status_code == 409 and problem(response)["code"] == "invalid_state"
    assert item() == (17, 0, 1)


def test_cannot_return_more_of_a_batch_than_was_shipped(shipped):
    response = ask(shipped["retail"], [line(6)])
    assert response.status_code == 400
    assert problem(response)["errors"][0]["field"] == "lines[0].quantity"
    assert ask(shipped["retail"], [line(3)], key="a").status_code == 201
    response = ask(shipped["retail"], [line(2), line(1)], key="b")
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "lines[1].quantity"
    assert Return.objects.count() == 1


def test_cannot_return_a_batch_never_shipped_to_you(shipped, make_caller):
    f.receive(shipped["supplier"], Product.objects.get(sku="SAUCER"), 5, batch="R2")
    response = ask(shipped["retail"], [line(1, batch="R2")])
    assert response.status_code == 400
    other = f.retailer("RETQ")
    f.trade(shipped["supplier"], other)
    response = ask(make_caller("retailer", "RETQ"), [line(1)])
    assert response.status_code == 400
    assert Return.objects.count() == 0


@pytest.mark.parametrize("lines, field", [
    ([line(1, "broken")], "lines[0].reason"),
    ([line(0)], "lines[0].quantity"),
    ([{**line(1), "quantity": "1"}], "lines[0].quantity"),
    ([line(1, batch="NOPE")], "lines[0].batchNumber"),
    ([{**line(1), "productId": "NOPE"}], "lines[0].productId"),
    ([], "lines"),
])
def test_bad_return_input_is_a_400_and_changes_nothing(shipped, lines, field):
    response = ask(shipped["retail"], lines)
    # a product nobody has is a 404 naming the field, like any name that names nothing
    assert response.status_code == (404 if field == "lines[0].productId" else 400), response.content
    assert field in [e["field"] for e in problem(response)["errors"]]
    assert Return.objects.count() == 0


def test_bad_receive_input_changes_nothing(shipped):
    ret = ask(shipped["retail"], [line(2)]).json()
    line_id = ret["lines"][0]["lineId"]
    url = f"/api/v1/returns/{ret['returnId']}/receive"
    for body, field in (
        ({"lines": [{"lineId": line_id, "disposition": "burn"}]}, "lines[0].disposition"),
        ({"lines": [{"lineId": "RET-000999-1", "disposition": "restock"}]}, "lines[0].lineId"),
        ({"lines": [{"lineId": line_id, "disposition": "restock", "warehouseLocation": "NOWHERE"}]},
         "lines[0].warehouseLocation"),
        ({"lines": [{"lineId": line_id, "disposition": "restock"}, {"lineId": line_id, "disposition": "restock"}]},
         "lines[1].lineId"),
        ({"lines": []}, "lines"),
    ):
        response = shipped["supply"].post(url, body)
        assert response.status_code == 400, response.content
        assert field in [e["field"] for e in problem(response)["errors"]]
    assert item() == (15, 0, 0)
    assert Return.objects.get().status == "requested"


def test_receive_defaults_to_the_warehouse_it_shipped_from(shipped):
    ret = ask(shipped["retail"], [line(2)]).json()
    response = shipped["supply"].post(f"/api/v1/returns/{ret['returnId']}/receive", {"lines": [
        {"lineId": ret["lines"][0]["lineId"], "disposition": "restock"}]})
    assert response.status_code == 200
    assert response.json()["lines"][0]["warehouseLocation"] == "WH1"
    assert item() == (17, 0, 0)


def test_returns_are_visible_only_to_their_parties_and_only_the_supplier_receives(shipped, make_caller):
    ret = ask(shipped["retail"], [line(1)]).json()
    url = f"/api/v1/returns/{ret['returnId']}"
    other_sup = f.supplier("SUPO")
    other_ret = f.retailer("RETO")
    f.trade(other_sup, other_ret)
    f.trade(shipped["supplier"], other_ret)
    for caller in (shipped["retail"], shipped["supply"], make_caller("brand")):
        assert caller.get(url).status_code == 200
        assert [r["returnId"] for r in caller.get("/api/v1/returns").json()["results"]] == [ret["returnId"]]
    for caller in (make_caller("retailer", "RETO"), make_caller("supplier", "SUPO")):
        assert caller.get(url).status_code == 404
        assert caller.get("/api/v1/returns").json()["results"] == []
        assert caller.post(f"{url}/receive", {"lines": [{"lineId": ret["lines"][0]["lineId"],
                                                          "disposition": "restock"}]}).status_code in (403, 404)
    response = make_caller("supplier", "SUPO").post(f"{url}/receive", {"lines": [
        {"lineId": ret["lines"][0]["lineId"], "disposition": "restock"}]})
    assert response.status_code == 404
    # The retailer asks; it does not receive.
    response = shipped["retail"].post(f"{url}/receive", {"lines": [{"lineId": ret["lines"][0]["lineId"],
                                                                    "disposition": "restock"}]})
    assert response.status_code == 403
    assert shipped["supply"].post("/api/v1/returns", {"supplierId": "SUPR", "lines": [line(1)]},
                                  key="s").status_code == 403
    assert item() == (15, 0, 0)


def test_return_list_filters(shipped):
    ret = ask(shipped["retail"], [line(1)], orderId=shipped["order"]).json()["returnId"]
    caller = shipped["supply"]
    for query in (f"orderId={shipped['order']}", "status=requested", "retailPartnerId=RETR", "supplierId=SUPR",
                  "batchNumber=R1"):
        assert [r["returnId"] for r in caller.get(f"/api/v1/returns?{query}").json()["results"]] == [ret], query
    assert caller.get("/api/v1/returns?status=received").json()["results"] == []
    assert caller.get("/api/v1/returns?state=x").status_code == 400


def test_a_return_naming_its_order_may_omit_the_supplier(shipped):
    response = shipped["retail"].post("/api/v1/returns", {"orderId": shipped["order"], "lines": [line(1)]}, key="ret-o")
    assert response.status_code == 201, response.content
    assert response.json()["supplierId"] == "SUPR"
    response = shipped["retail"].post("/api/v1/returns", {"lines": [line(1)]}, key="n")
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "supplierId"


def test_post_returns_requires_an_idempotency_key(shipped):
    response = shipped["retail"].post("/api/v1/returns", {"supplierId": "SUPR", "lines": [line(1)]})
    assert response.status_code == 400 and problem(response)["code"] == "idempotency_key_missing"


def test_return_list_query_count_does_not_grow_with_the_page(shipped, django_assert_max_num_queries):
    for index in range(3):
        assert ask(shipped["retail"], [line(1)], key=f"q{index}").status_code == 201
    caller = shipped["supply"]
    caller.get("/api/v1/returns?limit=1")
    with django_assert_max_num_queries(20) as small:
        caller.get("/api/v1/returns?limit=1")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(caller.get("/api/v1/returns?limit=3").json()["results"]) == 3


def test_lines_may_be_received_one_at_a_time(shipped):
    ret = ask(shipped["retail"], [line(1), line(2, "expired")]).json()
    url = f"/api/v1/returns/{ret['returnId']}/receive"
    first = shipped["supply"].post(url, {"lines": [{"lineId": ret["lines"][1]["lineId"], "disposition": "quarantine"}]})
    assert first.status_code == 200 and first.json()["status"] == "partially_received"
    assert item() == (17, 0, 2)
    second = shipped["supply"].post(url, {"lines": [{"lineId": ret["lines"][0]["lineId"], "disposition": "restock"}]})
    assert second.status_code == 200 and second.json()["status"] == "received"
    assert second.json()["receivedAt"] is not None
    assert item() == (18, 0, 2)
    assert reconcile() == []
