"""Discrepancies: opening, the state machine, resolutions (stock adjustment, credit, noAction), tenancy, due times."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from hotsauce.env import env_int_map
from inventory.models import InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from orders.feedback.models import Discrepancy
from tests.conftest import problem
from webhooks.models import Event


def key() -> str:
    return uuid.uuid4().hex


def ok(response, status=(200, 201)) -> dict:
    assert response.status_code in status, response.content
    return response.json()


@pytest.fixture
def shipped(retailer_caller, supplier_caller):
    order = ok(retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "HOTSAUCE789", "quantity": 10}]}, key=key()))
    shipment = ok(supplier_caller.post("/api/v1/shipments", {"orderId": order["orderId"]}, key=key()))
    return {"order": order["orderId"], "shipment": shipment["shipmentId"],
            "batch": shipment["lines"][0]["batchNumber"], "warehouse": shipment["lines"][0]["warehouseLocation"]}


def count(retailer, shipped, received: int) -> dict:
    body = ok(retailer.post(f"/api/v1/shipments/{shipped['shipment']}/receipt", {"lines": [
        {"productId": "HOTSAUCE789", "batchNumber": shipped["batch"], "receivedQuantity": received}]}, key=key()))
    return body["discrepancies"][0]


def lot(shipped) -> StockLot:
    return StockLot.objects.get(batch__batch_number=shipped["batch"], warehouse__code=shipped["warehouse"])


def test_stock_adjustment_of_a_shortage_writes_ledger_rows_and_reconcile_stays_clean(
        retailer_caller, supplier_caller, shipped):
    code = count(retailer_caller, shipped, 7)["discrepancyId"]  # 3 units never left the warehouse
    before = lot(shipped).on_hand
    body = ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve",
                                   {"resolution": "stockAdjustment", "note": "Found them on the dock."}, key=key()))
    assert (body["status"], body["resolution"], body["resolutionQuantity"]) == ("resolved", "stockAdjustment", 3)
    rows = InventoryTransaction.objects.filter(reference=code)
    assert list(rows.values_list("type", "quantity", "on_hand_delta", "reserved_delta")) == [
        ("adjustment", 3, 3, 0)]
    row = rows.get()
    assert str(row.movement_id) == body["adjustmentMovementId"]
    assert row.batch.batch_number == shipped["batch"] and row.warehouse.code == shipped["warehouse"]
    assert "Found them on the dock." in row.reason and row.actor_client.supplier.code == "SUP123"
    assert lot(shipped).on_hand == before + 3
    assert reconcile() == []
    # The stock change was announced as any movement is.
    assert Event.objects.filter(type="inventory.updated", data__change__type="adjustment").exists()


def test_stock_adjustment_of_an_overage_takes_units_off_and_explicit_quantities_win(
        retailer_caller, supplier_caller, shipped):
    code = count(retailer_caller, shipped, 12)["discrepancyId"]
    before = lot(shipped).on_hand
    ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {"resolution": "stockAdjustment"}, key=key()))
    assert lot(shipped).on_hand == before - 2
    assert reconcile() == []


def test_a_failed_resolution_changes_nothing(retailer_caller, supplier_caller, shipped):
    code = count(retailer_caller, shipped, 7)["discrepancyId"]
    response = supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {
        "resolution": "stockAdjustment", "quantity": -10**6}, key=key())
    assert response.status_code == 409 and problem(response)["code"] == "insufficient_stock"
    response = supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {
        "resolution": "stockAdjustment", "warehouseLocation": "Nowhere"}, key=key())
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "warehouseLocation"
    assert Discrepancy.objects.get(code=code).status == "open"
    assert not InventoryTransaction.objects.filter(reference=code).exists()
    assert not Event.objects.filter(type="discrepancy.resolved").exists()


def test_credit_records_amount_and_quantity_and_no_action_closes(retailer_caller, supplier_caller, shipped):
    code = count(retailer_caller, shipped, 8)["discrepancyId"]
    body = ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {
        "resolution": "credit", "creditAmount": "23.90", "creditCurrency": "usd", "note": "CN-77"}, key=key()))
    assert (body["resolution"], body["creditAmount"], body["creditCurrency"], body["resolutionQuantity"]) == (
        "credit", "23.90", "USD", 2)
    again = supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {"resolution": "noAction"}, key=key())
    assert again.status_code == 409 and problem(again)["code"] == "invalid_state"
    other = ok(retailer_caller.post("/api/v1/discrepancies", {
        "kind": "delay", "orderId": shipped["order"], "description": "Two days late."}, key=key()))
    closed = ok(supplier_caller.post(f"/api/v1/discrepancies/{other['discrepancyId']}/resolve",
                                     {"resolution": "noAction", "note": "Carrier strike."}, key=key()))
    assert (closed["status"], closed["resolution"], closed["resolutionQuantity"]) == ("resolved", "noAction", None)


def test_state_machine_acknowledge_reject_reopen_and_who_may_move_it(retailer_caller, supplier_caller, brand_caller,
                                                                      shipped):
    body = ok(retailer_caller.post("/api/v1/discrepancies", {
        "kind": "quality", "shipmentId": shipped["shipment"], "productId": "HOTSAUCE789",
        "batchNumber": shipped["batch"], "quantity": 2, "description": "Two bottles cloudy."}, key=key()))
    code = body["discrepancyId"]
    assert (body["status"], body["openedBy"], body["orderId"], body["supplierId"]) == (
        "open", "retailer", shipped["order"], "SUP123")
    assert body["cause"] is None and body["overdue"] is False and body["messages"] == []
    for action in ("acknowledge", "resolve", "reject"):  # the retailer does not judge its own claim
        assert retailer_caller.post(f"/api/v1/discrepancies/{code}/{action}", {}, key=key()).status_code == 403
    assert supplier_caller.post(f"/api/v1/discrepancies/{code}/reopen", {"note": "x"}, key=key()).status_code == 403
    acked = ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/acknowledge", key=key()))
    assert acked["status"] == "acknowledged"
    assert ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/acknowledge", key=key()))["status"] == "acknowledged"
    reopen_early = retailer_caller.post(f"/api/v1/discrepancies/{code}/reopen", {"note": "?"}, key=key())
    assert reopen_early.status_code == 409
    rejected = ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/reject",
                                       {"note": "Sediment is natural (garlic)."}, key=key()))
    assert rejected["status"] == "rejected" and rejected["closedAt"]
    assert rejected["messages"][-1]["body"] == "Sediment is natural (garlic)."
    assert supplier_caller.post(f"/api/v1/discrepancies/{code}/acknowledge", key=key()).status_code == 409
    reopened = ok(retailer_caller.post(f"/api/v1/discrepancies/{code}/reopen",
                                       {"note": "It smells off, photos attached."}, key=key()))
    assert (reopened["status"], reopened["closedAt"], reopened["acknowledgedAt"]) == ("open", None, None)
    done = ok(brand_caller.post(f"/api/v1/discrepancies/{code}/resolve", {"resolution": "replacement",
                                                                          "quantity": 2}, key=key()))
    assert done["status"] == "resolved" and done["replacementOrderId"]
    types = list(Event.objects.filter(type__startswith="discrepancy.").order_by("sequence")
                 .values_list("type", "data__status"))
    assert types == [("discrepancy.opened", "open"), ("discrepancy.updated", "acknowledged"),
                     ("discrepancy.updated", "rejected"), ("discrepancy.updated", "open"),
                     ("discrepancy.resolved", "resolved")]


def test_tenancy_lists_and_reads_as_for_orders(retailer_caller, supplier_caller, brand_caller, make_caller,
                                               shipped):
    code = count(retailer_caller, shipped, 9)["discrepancyId"]
    rival, stranger = make_caller("retailer", "RETAIL500"), make_caller("supplier", "SUP400")
    for caller in (rival, stranger):
        assert ok(caller.get("/api/v1/discrepancies"))["results"] == []
        assert caller.get(f"/api/v1/discrepancies/{code}").status_code == 404
    for caller in (retailer_caller, supplier_caller, brand_caller):
        assert [d["discrepancyId"] for d in ok(caller.get("/api/v1/discrepancies"))["results"]] == [code]
    assert stranger.post(f"/api/v1/discrepancies/{code}/messages", {"body": "hi"}, key=key()).status_code == 404
    # References in a body name only what the caller may see.
    response = rival.post("/api/v1/discrepancies", {"kind": "delay", "orderId": shipped["order"],
                                                    "description": "mine?"}, key=key())
    assert response.status_code == 404 and problem(response)["errors"][0]["field"] == "orderId"
    response = make_caller("retailer", "RETAIL700").post("/api/v1/discrepancies", {
        "kind": "other", "supplierId": "SUP123", "description": "?"}, key=key())
    assert response.status_code == 404 and problem(response)["errors"][0]["field"] == "supplierId"


def test_filters_are_strict_and_overdue_is_flagged(retailer_caller, supplier_caller, shipped, settings):
    code = count(retailer_caller, shipped, 9)["discrepancyId"]
    Discrepancy.objects.filter(code=code).update(due_at=timezone.now() - timedelta(minutes=1))
    late = ok(supplier_caller.get("/api/v1/discrepancies?overdue=true"))["results"]
    assert [(d["discrepancyId"], d["overdue"]) for d in late] == [(code, True)]
    assert ok(supplier_caller.get("/api/v1/discrepancies?overdue=false"))["results"] == []
    assert ok(supplier_caller.get("/api/v1/discrepancies?kind=shortage&status=open&productId=HOTSAUCE789"
                                  f"&batchNumber={shipped['batch']}&shipmentId={shipped['shipment']}"))["results"]
    assert ok(supplier_caller.get("/api/v1/discrepancies?kind=damage"))["results"] == []
    for query in ("kindd=shortage", "kind=broken", "overdue=maybe", "status=closed"):
        response = supplier_caller.get(f"/api/v1/discrepancies?{query}")
        assert response.status_code == 400, query
        assert problem(response)["errors"][0]["field"] == query.split("=")[0]
    ok(supplier_caller.post(f"/api/v1/discrepancies/{code}/resolve", {"resolution": "noAction"}, key=key()))
    assert ok(supplier_caller.get(f"/api/v1/discrepancies/{code}"))["overdue"] is False  # closed is never overdue


def test_bad_openings_are_400s_that_change_nothing(retailer_caller, supplier_caller, shipped):
    for body, field in (({"kind": "stockMismatch", "orderId": shipped["order"], "description": "x"}, "kind"),
                        ({"kind": "shortage", "description": "x"}, "supplierId"),
                        ({"kind": "shortage", "orderId": shipped["order"], "description": "x", "quantity": -1},
                         "quantity"),
                        ({"kind": "shortage", "orderId": shipped["order"], "description": "x",
                          "batchNumber": "B1"}, "productId"),
                        ({"kind": "shortage", "orderId": shipped["order"], "description": "x",
                          "retailPartnerId": "RETAIL500"}, "retailPartnerId")):
        response = retailer_caller.post("/api/v1/discrepancies", body, key=key())
        # a partner the retailer does not trade with is, to it, nobody: 404
        assert response.status_code == (404 if field == "retailPartnerId" else 400), body
        assert field in {e["field"] for e in problem(response)["errors"]}, (body, problem(response))
    response = supplier_caller.post("/api/v1/discrepancies", {"kind": "other", "description": "x" * 5001}, key=key())
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "description"
    response = supplier_caller.post("/api/v1/discrepancies", {"kind": "other", "description": "x"}, key=key())
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "retailPartnerId"
    assert not Discrepancy.objects.exists() and not Event.objects.filter(type__startswith="discrepancy").exists()


def test_a_bare_report_gets_a_description(retailer_caller, shipped):
    body = ok(retailer_caller.post("/api/v1/discrepancies", {"kind": "damage", "shipmentId": shipped["shipment"],
                                                             "productId": "HOTSAUCE789", "quantity": 2}, key=key()))
    assert body["description"] == f"Damage reported on order {shipped['order']}."
    assert (body["orderId"], body["quantity"], body["batchNumber"]) == (shipped["order"], 2, None)


def test_a_supplier_opens_one_for_a_retailer_it_trades_with(supplier_caller, retailer_caller):
    body = ok(supplier_caller.post("/api/v1/discrepancies", {
        "kind": "other", "retailPartnerId": "RETAIL456", "description": "Pallets not returned."}, key=key()))
    assert (body["supplierId"], body["retailPartnerId"], body["openedBy"]) == ("SUP123", "RETAIL456", "supplier")
    assert ok(retailer_caller.get(f"/api/v1/discrepancies/{body['discrepancyId']}"))["kind"] == "other"


def test_due_hours_are_parsed_strictly(monkeypatch):
    default = {"shortage": 48, "delay": 24}
    monkeypatch.setenv("DUE", "shortage=12, delay=6")
    assert env_int_map("DUE", default, minimum=1) == {"shortage": 12, "delay": 6}
    monkeypatch.setenv("DUE", "delay=2")
    assert env_int_map("DUE", default, minimum=1) == {"shortage": 48, "delay": 2}
    for bad in ("shortage", "shortage=x", "lateness=3", "delay=0"):
        monkeypatch.setenv("DUE", bad)
        with pytest.raises(ImproperlyConfigured, match="DUE"):
            env_int_map("DUE", default, minimum=1)


def test_due_time_follows_the_kinds_setting(retailer_caller, shipped, settings):
    settings.DISCREPANCY_DUE_HOURS = {**settings.DISCREPANCY_DUE_HOURS, "delay": 5}
    body = ok(retailer_caller.post("/api/v1/discrepancies", {"kind": "delay", "orderId": shipped["order"],
                                                             "description": "late"}, key=key()))
    discrepancy = Discrepancy.objects.get(code=body["discrepancyId"])
    assert discrepancy.due_at - discrepancy.opened_at == timedelta(hours=5)
