"""A pepper lot and a bottle lot, two production runs, two sauce batches, three retailers: trace both
ways, recall the pepper lot, and the FSMA 204 sheet of the pepper lot (CSV and XLSX)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from inventory.models import Batch, InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from partners.models import RetailPartner
from tests import factories as f
from tests.conftest import problem
from tests.supply_support import key, ok, order_and_ship, produce, purchase_lot, supply_world
from webhooks.models import Event, EventAudience

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEPPER_TRACE = "/api/v1/products/PEPPER/batches/PEP-1/trace"


@pytest.fixture
def chain(db, make_caller):
    """PEP-1 (100, via a purchase order from the grower) and BTL-1 (200) → S1 (120) and S2 (80) → R1, R2, R3."""
    world = supply_world(make_caller, retailers=4)  # R4 trades with SUPX but receives nothing
    purchase_lot(world, product="PEPPER", lot="PEP-1", quantity=100, case_pack=20)
    purchase_lot(world, product="BOTTLE", lot="BTL-1", quantity=200)
    world["runs"] = [
        produce(world, inputs=[("PEPPER", "PEP-1", 30), ("BOTTLE", "BTL-1", 120)], batch="S1", quantity=120,
                expires=200),
        produce(world, inputs=[("PEPPER", "PEP-1", 20), ("BOTTLE", "BTL-1", 80)], batch="S2", quantity=80,
                expires=250),
    ]
    # First expired, first out: R1 takes 50 of S1, R2 the other 70 of S1 and 20 of S2, R3 40 of S2.
    world["shipments"] = {code: order_and_ship(world, code, qty) for code, qty in (("R1", 50), ("R2", 90),
                                                                                   ("R3", 40))}
    return world


def test_production_consumes_the_input_lots_by_lot_and_ledgers_it(chain):
    rows = InventoryTransaction.objects.filter(type="consume").order_by("pk")
    assert [(r.product.sku, r.batch.batch_number, r.quantity, r.on_hand_delta, r.reference) for r in rows] == [
        ("PEPPER", "PEP-1", 30, -30, chain["runs"][0]["productionRunId"]),
        ("BOTTLE", "BTL-1", 120, -120, chain["runs"][0]["productionRunId"]),
        ("PEPPER", "PEP-1", 20, -20, chain["runs"][1]["productionRunId"]),
        ("BOTTLE", "BTL-1", 80, -80, chain["runs"][1]["productionRunId"]),
    ]
    produced = InventoryTransaction.objects.filter(type="produce").order_by("pk")
    assert [(r.batch.batch_number, r.on_hand_delta) for r in produced] == [("S1", 120), ("S2", 80)]
    assert StockLot.objects.get(batch__batch_number="PEP-1").on_hand == 50
    assert StockLot.objects.get(batch__batch_number="BTL-1").on_hand == 0
    assert reconcile() == []
    run = ok(chain["sup"].get(f"/api/v1/productionRuns/{chain['runs'][0]['productionRunId']}"))
    assert run["output"] == {**run["output"], "batchNumber": "S1", "quantity": 120}
    assert [(i["batchNumber"], i["quantity"]) for i in run["inputs"]] == [("PEP-1", 30), ("BTL-1", 120)]


def test_forward_trace_from_the_pepper_lot_lists_both_batches_and_the_three_retailers(chain):
    trace = ok(chain["sup"].get(PEPPER_TRACE))
    forward = trace["forward"]
    assert [(b["batchNumber"], b["producedQuantity"], b["madeFrom"], b["shippedQuantity"])
            for b in forward["batches"]] == [
        ("S1", 120, [{"productId": "PEPPER", "batchNumber": "PEP-1", "quantity": 30}], 120),
        ("S2", 80, [{"productId": "PEPPER", "batchNumber": "PEP-1", "quantity": 20}], 60)]
    assert [(p["retailPartnerId"], p["shippedQuantity"], [(b["batchNumber"], b["quantity"]) for b in p["batches"]])
            for p in forward["retailPartners"]] == [
        ("R1", 50, [("S1", 50)]), ("R2", 90, [("S1", 70), ("S2", 20)]), ("R3", 40, [("S2", 40)])]
    # The lot itself: received 100, consumed 50, on hand 50.
    assert trace["totals"]["receivedQuantity"] == 100
    assert trace["totals"]["consumedQuantity"] == 50
    assert trace["totals"]["onHandQuantity"] == 50


def test_a_retailer_sees_the_genealogy_and_only_its_own_shipments(chain):
    forward = ok(chain["retailers"]["R2"].get(PEPPER_TRACE))["forward"]
    assert [b["batchNumber"] for b in forward["batches"]] == ["S1", "S2"]
    assert [p["retailPartnerId"] for p in forward["retailPartners"]] == ["R2"]
    assert chain["grow"].get(PEPPER_TRACE).status_code == 404  # the lot is the co-packer's now


def test_backward_trace_from_a_sauce_batch_lists_its_two_input_lots(chain):
    backward = ok(chain["sup"].get("/api/v1/products/SAUCE/batches/S1/trace"))["backward"]
    assert backward["productionRunId"] == chain["runs"][0]["productionRunId"]
    assert [(lot["productId"], lot["batchNumber"], lot["quantity"], lot["depth"]) for lot in backward["lots"]] == [
        ("PEPPER", "PEP-1", 30, 1), ("BOTTLE", "BTL-1", 120, 1)]
    totals = ok(chain["sup"].get("/api/v1/products/SAUCE/batches/S1/trace"))["totals"]
    assert totals["receivedQuantity"] == 120 and totals["shippedQuantity"] == 120


def recalled_events_by_retailer() -> dict[str, list[tuple[str, int]]]:
    codes = dict(RetailPartner.objects.values_list("pk", "code"))
    out: dict[str, list] = {}
    for event in Event.objects.filter(type="batch.recalled").order_by("sequence"):
        for partner_id in EventAudience.objects.filter(event=event, partner_kind="retailer").values_list(
                "partner_id", flat=True):
            data = event.for_audience(EventAudience.objects.get(event=event, partner_id=partner_id,
                                                                partner_kind="retailer").data).data
            out.setdefault(codes[partner_id], []).append((data["batchNumber"], data["quantity"]))
    return out


def test_recalling_the_pepper_lot_recalls_both_batches_and_tells_each_retailer(chain):
    recall = ok(chain["sup"].post("/api/v1/products/PEPPER/batches/PEP-1/recall", {"reason": "salmonella"},
                                  key=key()))
    assert recall["batchNumber"] == "PEP-1" and recall["retailPartners"] == []
    derived = {r["batchNumber"]: r for r in recall["derivedRecalls"]}
    assert sorted(derived) == ["S1", "S2"]
    assert [(n["retailPartnerId"], n["quantity"]) for n in derived["S1"]["retailPartners"]] == [("R1", 50),
                                                                                             ("R2", 70)]
    assert [(n["retailPartnerId"], n["quantity"]) for n in derived["S2"]["retailPartners"]] == [("R2", 20),
                                                                                             ("R3", 40)]
    assert derived["S2"]["unitsOnHold"] == 20 and derived["S1"]["unitsOnHold"] == 0
    assert set(Batch.objects.filter(batch_number__in=["PEP-1", "S1", "S2"]).values_list("status", flat=True)) == {
        "recalled"}
    # Each retailer hears about the batches it received, with its own units; R4 hears nothing.
    assert recalled_events_by_retailer() == {"R1": [("S1", 50)], "R2": [("S1", 70), ("S2", 20)], "R3": [("S2", 40)]}
    assert ok(chain["retailers"]["R4"].get("/api/v1/events?after=0&types=batch.recalled"))["results"] == []
    r2 = ok(chain["retailers"]["R2"].get("/api/v1/events?after=0&types=batch.recalled"))["results"]
    assert all(e["data"]["recalledBecauseOf"] == {"productId": "PEPPER", "batchNumber": "PEP-1"} for e in r2)
    # The supplier's item shows the held lots; nothing of them is available.
    item = ok(chain["sup"].get("/api/v1/inventory/SUPX/SAUCE"))
    assert item["availableQuantity"] == 0 and item["onHoldQuantity"] == 20
    assert reconcile() == []
    # Recalling again is refused; the derived batches keep their single recall each.
    assert problem(chain["sup"].post("/api/v1/products/PEPPER/batches/PEP-1/recall", {"reason": "again"},
                                     key=key()))["code"] == "invalid_state"


def test_a_recall_of_a_derived_batch_alone_leaves_its_inputs_alone(chain):
    recall = ok(chain["sup"].post("/api/v1/products/SAUCE/batches/S1/recall", {"reason": "label"}, key=key()))
    assert recall["derivedRecalls"] == []
    assert Batch.objects.get(batch_number="PEP-1").status == "released"


# --- FSMA 204 ------------------------------------------------------------------------------------

# The key data elements the rule requires for each critical tracking event (21 CFR 1.1340-1.1350),
# by spreadsheet column.
REQUIRED = {
    "Receiving": ["Traceability Lot Code", "Traceability Lot Code Source", "Product Description", "Quantity",
                  "Unit of Measure", "Event Date", "Location", "Immediate Previous Source",
                  "Reference Document Type", "Reference Document Number"],
    "Transformation": ["Traceability Lot Code", "Traceability Lot Code Source", "Product Description", "Quantity",
                       "Unit of Measure", "Event Date", "Location", "Input Traceability Lot Codes",
                       "Reference Document Type", "Reference Document Number"],
    "Shipping": ["Traceability Lot Code", "Traceability Lot Code Source", "Product Description", "Quantity",
                 "Unit of Measure", "Event Date", "Location", "Immediate Subsequent Recipient",
                 "Reference Document Type", "Reference Document Number"],
}


def sheet_rows(chain, accept: str, query: str = "lotCode=PEP-1") -> list[dict]:
    response = chain["sup"].get(f"/api/v1/traceability/fsma204?{query}", HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(accept)
    assert "attachment" in response["Content-Disposition"]
    if accept == XLSX:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        values = list(book.active.iter_rows(values_only=True))
        return [dict(zip(values[0], ["" if v is None else str(v) for v in row], strict=True)) for row in values[1:]]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("accept", ["text/csv", XLSX])
def test_the_fsma_sheet_of_the_pepper_lot_has_one_row_per_event_with_every_key_data_element(chain, accept):
    rows = sheet_rows(chain, accept)
    summary = [(r["Critical Tracking Event"], r["Traceability Lot Code"], r["Quantity"]) for r in rows]
    assert summary == [
        ("Receiving", "PEP-1", "100"),
        ("Transformation", "S1", "120"), ("Transformation", "S2", "80"),
        ("Shipping", "S1", "50"), ("Shipping", "S1", "70"), ("Shipping", "S2", "20"), ("Shipping", "S2", "40")]
    for row in rows:
        missing = [column for column in REQUIRED[row["Critical Tracking Event"]] if not row[column].strip()]
        assert not missing, (row, missing)
    receiving = rows[0]
    assert receiving["Traceability Lot Code Source"].startswith("SUPG/WHG")  # the grower coded the lot
    assert receiving["Immediate Previous Source"].startswith("SUPG/WHG")
    assert receiving["Location"].startswith("SUPX/WH1")
    assert receiving["Reference Document Type"] == "purchase order"
    assert "PEP-1 (PEPPER, 30 each)" in rows[1]["Input Traceability Lot Codes"]
    assert "BTL-1 (BOTTLE, 120 each)" in rows[1]["Input Traceability Lot Codes"]
    assert rows[1]["Traceability Lot Code Source"].startswith("SUPX/WH1")  # coded where it was made
    shipping = {(r["Traceability Lot Code"], r["Immediate Subsequent Recipient"].split(" ")[0]) for r in rows[3:]}
    assert shipping == {("S1", "R1"), ("S1", "R2"), ("S2", "R2"), ("S2", "R3")}
    assert all(r["Traceability Lot Code Source"].startswith("SUPX/WH1") for r in rows[3:])


def test_csv_and_xlsx_hold_the_same_rows_and_a_date_range_selects_by_event_date(chain):
    assert sheet_rows(chain, "text/csv") == sheet_rows(chain, XLSX)
    from datetime import date
    today = date.today().isoformat()
    everything = sheet_rows(chain, "text/csv", f"from={today}&to={today}")
    # The bottle lot's receipt is in the range, not in the pepper lot's sheet.
    assert len(everything) == 8 and {r["Traceability Lot Code"] for r in everything} >= {"PEP-1", "BTL-1"}
    assert sheet_rows(chain, "text/csv", "from=2000-01-01&to=2000-01-31") == []


def test_the_sheet_is_negotiated_and_its_query_is_strict(chain):
    sup = chain["sup"]
    refused = sup.get("/api/v1/traceability/fsma204?lotCode=PEP-1", HTTP_ACCEPT="application/json")
    assert refused.status_code == 406 and problem(refused)["code"] == "not_acceptable"
    assert problem(sup.get("/api/v1/traceability/fsma204"))["errors"][0]["field"] == "lotCode"
    bad = problem(sup.get("/api/v1/traceability/fsma204?from=yesterday&to=2026-01-01&color=red"))
    assert {e["field"] for e in bad["errors"]} == {"from", "color"}
    assert problem(sup.get("/api/v1/traceability/fsma204?from=2026-02-01&to=2026-01-01"))["errors"][0][
        "field"] == "to"
    # Another supplier keeps no record of this lot: an empty sheet, not its rows.
    other = f.supplier("SUPO")
    assert other.pk
    assert sheet_rows({"sup": chain["grow"]}, "text/csv") == []
    assert chain["retailers"]["R1"].get("/api/v1/traceability/fsma204?lotCode=PEP-1").status_code == 403


def test_the_admin_exports_the_same_sheet(chain, admin_client):
    response = admin_client.get("/admin/traceability/criticaltrackingevent/export/", {
        "lot_code": "PEP-1", "format": XLSX})
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert len(values) == 1 + 7 and values[0][0] == "Traceability Lot Code"
    page = admin_client.get("/admin/traceability/criticaltrackingevent/export/")
    assert page.status_code == 200 and b"lot code" in page.content.lower()
