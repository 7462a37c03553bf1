"""Production runs: what a bad or short run changes (nothing), and what a run records."""

from __future__ import annotations

import pytest

from inventory.models import Batch, InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from inventory.traceability.models import CriticalTrackingEvent
from tests import factories as f
from tests.conftest import problem
from tests.supply_support import expiry, key, ok, supply_world
from webhooks.models import Event, EventAudience

RUNS = "/api/v1/productionRuns"


@pytest.fixture
def stocked(db, make_caller):
    world = supply_world(make_caller)
    f.receive(world["packer"], world["pepper"], 50, warehouse_code="WH1", batch="PEP-1", days=100)
    f.receive(world["packer"], world["bottle"], 100, warehouse_code="WH1", batch="BTL-1", days=900)
    return world


def body(*inputs, batch="S1", quantity=10, expires=120, warehouse="WH1"):
    return {"supplierId": "SUPX", "warehouseLocation": warehouse,
            "inputs": [{"productId": p, "batchNumber": b, "quantity": q} for p, b, q in inputs],
            "output": {"productId": "SAUCE", "batchNumber": batch, "quantity": quantity,
                       "expirationDate": expiry(expires)}}


def untouched() -> None:
    assert not Batch.objects.filter(product__sku="SAUCE").exists()
    assert not InventoryTransaction.objects.filter(type__in=("consume", "produce")).exists()
    assert StockLot.objects.get(batch__batch_number="PEP-1").on_hand == 50
    assert StockLot.objects.get(batch__batch_number="BTL-1").on_hand == 100
    assert not CriticalTrackingEvent.objects.filter(cte_type="transformation").exists()


def test_a_short_input_is_a_409_naming_every_short_lot_and_changes_nothing(stocked):
    bad = problem(stocked["sup"].post(RUNS, body(("PEPPER", "PEP-1", 60), ("BOTTLE", "BTL-1", 101)), key=key()))
    assert bad["status"] == 409 and bad["code"] == "insufficient_stock"
    assert [e["field"] for e in bad["errors"]] == ["inputs[0].quantity", "inputs[1].quantity"]
    untouched()


def test_bad_runs_are_400s_naming_every_field(stocked):
    f.receive(stocked["packer"], stocked["sauce"], 1, warehouse_code="WH1", batch="TAKEN", days=100)
    bad = problem(stocked["sup"].post(RUNS, body(("PEPPER", "NOPE", 1), ("PEPPER", "PEP-1", 1), ("PEPPER", "PEP-1", 1),
                                                 ("SAUCE", "TAKEN", 1), batch="TAKEN", expires=-1), key=key()))
    assert {e["field"] for e in bad["errors"]} == {
        "inputs[0].batchNumber", "inputs[2]", "inputs[3].productId", "output.batchNumber", "output.expirationDate"}
    bad = problem(stocked["sup"].post(RUNS, body(("GHOST", "PEP-1", 1), warehouse="NOWHERE"), key=key()))
    assert [e["field"] for e in bad["errors"]] == ["inputs[0].productId"]
    bad = problem(stocked["sup"].post(RUNS, body(("PEPPER", "PEP-1", 1), warehouse="NOWHERE"), key=key()))
    assert [e["field"] for e in bad["errors"]] == ["warehouseLocation"]
    assert problem(stocked["sup"].post(RUNS, {**body(("PEPPER", "PEP-1", 1)), "inputs": []}, key=key()))[
        "errors"][0]["field"] == "inputs"
    assert InventoryTransaction.objects.filter(type__in=("consume", "produce")).count() == 0


def test_a_held_lot_is_not_consumed(stocked):
    ok(stocked["sup"].post("/api/v1/products/PEPPER/batches/PEP-1/recall", {"reason": "aflatoxin"}, key=key()))
    bad = problem(stocked["sup"].post(RUNS, body(("PEPPER", "PEP-1", 1)), key=key()))
    assert bad["code"] == "insufficient_stock" and "0 units of PEP-1" in bad["errors"][0]["message"]


def test_only_the_co_packer_and_the_brand_run_production(stocked, make_caller):
    assert stocked["grow"].post(RUNS, body(("PEPPER", "PEP-1", 1)), key=key()).status_code == 404
    assert stocked["retailers"]["R1"].post(RUNS, body(("PEPPER", "PEP-1", 1)), key=key()).status_code == 403
    assert stocked["retailers"]["R1"].get(RUNS).status_code == 403
    ok(stocked["brand"].post(RUNS, body(("PEPPER", "PEP-1", 1)), key=key()), 201)
    assert ok(stocked["grow"].get(RUNS))["results"] == []
    assert len(ok(stocked["sup"].get(f"{RUNS}?inputBatchNumber=PEP-1"))["results"]) == 1
    assert ok(stocked["sup"].get(f"{RUNS}?inputBatchNumber=BTL-1"))["results"] == []
    assert problem(stocked["sup"].get(f"{RUNS}?batch=S1"))["errors"][0]["field"] == "batch"


def test_a_run_moves_stock_once_per_item_records_the_transformation_and_tells_the_supplier(stocked):
    before = {sku: ok(stocked["sup"].get(f"/api/v1/inventory/SUPX/{sku}"))["version"] for sku in ("PEPPER", "BOTTLE")}
    run = ok(stocked["sup"].post(RUNS, body(("PEPPER", "PEP-1", 5), ("BOTTLE", "BTL-1", 10), quantity=10),
                                 key=key()), 201)
    for sku in ("PEPPER", "BOTTLE"):
        assert ok(stocked["sup"].get(f"/api/v1/inventory/SUPX/{sku}"))["version"] == before[sku] + 1
    sauce = ok(stocked["sup"].get("/api/v1/inventory/SUPX/SAUCE"))
    assert (sauce["inventoryLevel"], sauce["batchNumber"]) == (10, "S1")
    assert Batch.objects.get(batch_number="S1").production_date is not None
    cte = CriticalTrackingEvent.objects.get(cte_type="transformation")
    assert (cte.traceability_lot_code, cte.quantity, cte.reference_document_number) == ("S1", 10,
                                                                                        run["productionRunId"])
    assert [i["tlc"] for i in cte.inputs] == ["PEP-1", "BTL-1"]
    event = Event.objects.get(type="productionRun.completed")
    assert event.data["productionRunId"] == run["productionRunId"]
    assert list(EventAudience.objects.filter(event=event).values_list("partner_kind", "partner_id")) == [
        ("supplier", stocked["packer"].pk)]
    assert reconcile() == []


def test_a_plain_receipt_is_a_receiving_record_of_the_receiver(stocked):
    ok(stocked["sup"].post("/api/v1/inventory/SUPX/BOTTLE", {
        "type": "receipt", "quantity": 5, "warehouseLocation": "WH1", "batchNumber": "BTL-2",
        "expirationDate": expiry(400), "reference": "DELIVERY-9"}, key=key()), 201)
    cte = CriticalTrackingEvent.objects.get(traceability_lot_code="BTL-2")
    assert (cte.cte_type, cte.quantity, cte.location_id, cte.tlc_source_id) == ("receiving", 5, "SUPX/WH1",
                                                                                "SUPX/WH1")
    assert (cte.reference_document_type, cte.reference_document_number) == ("receipt", "DELIVERY-9")
