"""Stock movements over HTTP: the rules of API-CONTRACT.md 4.1, and bad input that changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from tests.conftest import problem

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


def snapshot():
    return (InventoryTransaction.objects.count(),
            sorted(StockLot.objects.values_list("id", "on_hand", "reserved", "quarantined")))


def test_the_brief_payload_is_what_the_sandbox_returns_to_retail456(retailer_caller):
    response = retailer_caller.get(ITEM)
    assert response.status_code == 200
    body = response.json()
    brief = {"supplierId": "SUP123", "retailPartnerId": "RETAIL456", "productId": "HOTSAUCE789",
             "inventoryLevel": 500, "reservedQuantity": 50, "availableQuantity": 450,
             "warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406"}
    assert {key: body[key] for key in brief} == brief
    assert set(body) == set(brief) | {"expirationDate", "lastUpdated", "onHoldQuantity", "version", "lots"}
    assert body["expirationDate"].endswith("T00:00:00Z") and body["lastUpdated"].endswith("Z")
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["lots"][0]["status"] == "released"


def test_a_receipt_creates_the_lot_and_returns_transaction_and_item(supplier_caller):
    expiry = (timezone.now() + timedelta(days=300)).strftime("%Y-%m-%dT00:00:00Z")
    response = supplier_caller.post(ITEM, {"type": "receipt", "quantity": 120, "warehouseLocation": "Warehouse_B",
                                           "batchNumber": "BATCH202411", "expirationDate": expiry,
                                           "reason": "inbound PO-881", "reference": "PO-881"}, key="r1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["transaction"]["type"] == "receipt" and body["transaction"]["onHandDelta"] == 120
    assert body["inventory"]["inventoryLevel"] == 620
    # FEFO: the older batch still ships next.
    assert body["inventory"]["batchNumber"] == "BATCH202406"
    assert reconcile() == []


def test_a_reservation_without_batch_is_allocated_first_expired_first_out(supplier_caller):
    soon = (timezone.now() + timedelta(days=100)).isoformat()
    supplier_caller.post(ITEM, {"type": "receipt", "quantity": 10, "warehouseLocation": "Warehouse_B",
                                "batchNumber": "EARLY", "expirationDate": soon}, key="r-early")
    response = supplier_caller.post(ITEM, {"type": "reservation", "quantity": 15, "retailPartnerId": "RETAIL456"},
                                    key="res-fefo")
    assert response.status_code == 201
    rows = response.json()["transactions"]
    assert [(r["batchNumber"], r["reservedDelta"]) for r in rows] == [("EARLY", 10), ("BATCH202406", 5)]
    assert all(r["retailPartnerId"] == "RETAIL456" for r in rows)


def sandbox_hold() -> str:
    """The sandbox's 50 reserved units are a standalone hold made for RETAIL456."""
    from inventory.models import Reservation

    return Reservation.objects.get(reference="SANDBOX-RES-1").code


def test_version_increases_by_one_per_movement(supplier_caller):
    before = supplier_caller.get(ITEM).json()["version"]
    supplier_caller.post(ITEM, {"type": "sale", "quantity": 3}, key="s1")
    released = supplier_caller.post(ITEM, {"type": "release", "quantity": 5, "reservationId": sandbox_hold()},
                                    key="rel1")
    assert released.status_code == 201, released.json()
    after = supplier_caller.get(ITEM).json()
    assert after["version"] == before + 2
    assert (after["inventoryLevel"], after["reservedQuantity"], after["availableQuantity"]) == (497, 45, 452)


def test_transfer_moves_units_between_warehouses(supplier_caller):
    response = supplier_caller.post(ITEM, {"type": "transfer", "quantity": 100, "warehouseLocation": "Warehouse_A",
                                           "toWarehouseLocation": "Warehouse_B"}, key="t1")
    assert response.status_code == 201, response.json()
    lots = {lot["warehouseLocation"]: lot["inventoryLevel"] for lot in response.json()["inventory"]["lots"]}
    assert lots == {"Warehouse_A": 400, "Warehouse_B": 100}
    assert response.json()["inventory"]["inventoryLevel"] == 500
    assert reconcile() == []


def test_a_quarantined_batch_is_on_hold_not_available(supplier_caller):
    from inventory.models import Batch
    from inventory.services import batch_set_status

    batch_set_status(batch=Batch.objects.get(batch_number="BATCH202406"), status="quarantined", reason="lab check")
    body = supplier_caller.get(ITEM).json()
    assert (body["availableQuantity"], body["onHoldQuantity"], body["reservedQuantity"]) == (0, 450, 50)
    assert body["lots"][0]["status"] == "quarantined"
    assert body["batchNumber"] is None
    response = supplier_caller.post(ITEM, {"type": "reservation", "quantity": 1}, key="held")
    assert response.status_code == 409


def test_adjustment_takes_a_signed_quantity(supplier_caller):
    response = supplier_caller.post(ITEM, {"type": "adjustment", "quantity": -20, "warehouseLocation": "Warehouse_A",
                                           "batchNumber": "BATCH202406", "reason": "shrinkage"}, key="adj")
    assert response.status_code == 201
    assert response.json()["inventory"]["inventoryLevel"] == 480


@pytest.mark.parametrize("body,status,field", [
    ({"type": "sale", "quantity": 451}, 409, "quantity"),
    ({"type": "reservation", "quantity": 451}, 409, "quantity"),
    ({"type": "release", "quantity": 51, "reservationId": "SANDBOX_HOLD"}, 409, "quantity"),
    ({"type": "release", "quantity": 5}, 400, "reservationId"),
    ({"type": "release", "quantity": 5, "reservationId": "RSV-999999"}, 404, "reservationId"),
    ({"type": "damage", "quantity": 451}, 409, "quantity"),
    ({"type": "adjustment", "quantity": -451, "warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406"},
     409, "quantity"),
    ({"type": "reservation", "quantity": 0}, 400, "quantity"),
    ({"type": "reservation", "quantity": -3}, 400, "quantity"),
    ({"type": "reservation", "quantity": "5"}, 400, "quantity"),
    ({"type": "reservation", "quantity": 1.5}, 400, "quantity"),
    ({"type": "adjustment", "quantity": 0, "warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406"},
     400, "quantity"),
    ({"type": "reservation"}, 400, "quantity"),
    ({"type": "teleport", "quantity": 1}, 400, "type"),
    ({"type": "receipt", "quantity": 5, "warehouseLocation": "Nowhere", "batchNumber": "NEW1",
      "expirationDate": "2099-01-01T00:00:00Z"}, 400, "warehouseLocation"),
    ({"type": "sale", "quantity": 1, "batchNumber": "NOBATCH"}, 400, "batchNumber"),
    ({"type": "receipt", "quantity": 5, "warehouseLocation": "Warehouse_A", "batchNumber": "OLD1",
      "expirationDate": "2020-01-01T00:00:00Z"}, 400, "expirationDate"),
    ({"type": "receipt", "quantity": 5, "warehouseLocation": "Warehouse_A", "batchNumber": "NEW2"},
     400, "expirationDate"),
    ({"type": "receipt", "quantity": 5, "warehouseLocation": "Warehouse_A", "batchNumber": "NEW3",
      "expirationDate": "not-a-date"}, 400, "expirationDate"),
    ({"type": "transfer", "quantity": 5, "warehouseLocation": "Warehouse_A", "toWarehouseLocation": "Warehouse_A"},
     400, "toWarehouseLocation"),
    ({"type": "transfer", "quantity": 5, "warehouseLocation": "Warehouse_A"}, 400, "toWarehouseLocation"),
    ({"type": "reservation", "quantity": 1, "retailPartnerId": "RETAIL700"}, 400, "retailPartnerId"),
    ({"type": "reservation", "quantity": 1, "colour": "red"}, 400, "colour"),
])
def test_bad_movements_are_problems_naming_the_field_and_change_nothing(supplier_caller, body, status, field):
    if body.get("reservationId") == "SANDBOX_HOLD":
        body = {**body, "reservationId": sandbox_hold()}
    before = snapshot()
    response = supplier_caller.post(ITEM, body, key=f"bad-{field}-{status}-{body.get('quantity')}")
    assert response.status_code == status, response.json()
    assert field in {error["field"] for error in problem(response)["errors"]}
    assert snapshot() == before


def test_a_non_json_body_is_a_400_problem(supplier_caller):
    response = supplier_caller.http.post(ITEM, "{not json", content_type="application/json",
                                         headers={"Idempotency-Key": "nj"})
    assert response.status_code == 400
    assert problem(response)["code"] == "validation_error"


def test_missing_idempotency_key_is_a_400_problem(supplier_caller):
    before = snapshot()
    response = supplier_caller.post(ITEM, {"type": "sale", "quantity": 1})
    assert response.status_code == 400
    assert problem(response)["code"] == "idempotency_key_missing"
    assert snapshot() == before


def test_idempotent_replay_returns_the_stored_answer_and_executes_nothing(supplier_caller):
    first = supplier_caller.post(ITEM, {"type": "sale", "quantity": 1}, key='"quoted-key"')
    before = snapshot()
    again = supplier_caller.post(ITEM, {"quantity": 1, "type": "sale"}, key='"quoted-key"')
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert snapshot() == before


def test_an_error_answer_is_replayed_too(supplier_caller):
    first = supplier_caller.post(ITEM, {"type": "sale", "quantity": 10_000}, key="too-many")
    again = supplier_caller.post(ITEM, {"type": "sale", "quantity": 10_000}, key="too-many")
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"


def test_idempotency_keys_are_scoped_to_the_client(supplier_caller, make_caller):
    other = make_caller("supplier", "SUP123")
    supplier_caller.post(ITEM, {"type": "sale", "quantity": 1}, key="shared")
    second = other.post(ITEM, {"type": "sale", "quantity": 2}, key="shared")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\u00e9key"])
def test_malformed_idempotency_keys_are_rejected(supplier_caller, key):
    response = supplier_caller.post(ITEM, {"type": "sale", "quantity": 1}, key=key)
    assert response.status_code == 400


def test_ledger_post_records_a_movement_with_ids_in_the_body(supplier_caller):
    response = supplier_caller.post("/api/v1/inventory/transactions",
                                    {"supplierId": "SUP123", "productId": "HOTSAUCE789", "type": "damage",
                                     "quantity": 2, "reason": "broken bottles"}, key="ledger-1")
    assert response.status_code == 201, response.json()
    assert response.json()["transaction"]["type"] == "damage"
    listed = supplier_caller.get("/api/v1/inventory/transactions?type=damage&productId=HOTSAUCE789").json()
    assert [row["quantity"] for row in listed["results"]] == [2]


def test_ledger_filters_reject_bad_values(supplier_caller):
    assert supplier_caller.get("/api/v1/inventory/transactions?type=nope").status_code == 400
    assert supplier_caller.get("/api/v1/inventory/transactions?createdAfter=yesterday").status_code == 400
    assert supplier_caller.get("/api/v1/inventory/transactions?limit=0").status_code == 400
    assert supplier_caller.get("/api/v1/inventory/transactions?cursor=garbage").status_code == 400


@pytest.mark.parametrize("query", ["/api/v1/inventory?updatedSince=", "/api/v1/inventory/transactions?type=",
                                   "/api/v1/inventory?limit=", "/api/v1/products?kind=", "/api/v1/products?kind=AAA"])
def test_an_empty_or_unknown_filter_value_is_a_400_not_the_whole_list(supplier_caller, query):
    # Found by Schemathesis' negative_data_rejection: these answered the unfiltered list.
    response = supplier_caller.get(query)
    assert response.status_code == 400, response.json()
    name = query.rsplit("?", 1)[1].split("=", 1)[0]
    assert [error["field"] for error in problem(response)["errors"]] == [name]


class TestCounts:
    def test_a_count_sets_absolute_levels_and_writes_count_rows(self, supplier_caller):
        version = supplier_caller.get(ITEM).json()["version"]
        body = {"reason": "cycle count", "lots": [{"warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406",
                                                   "inventoryLevel": 480}]}
        response = supplier_caller.patch(ITEM, body, headers={"If-Match": f'"{version}"'})
        assert response.status_code == 200, response.json()
        assert response.json()["inventoryLevel"] == 480
        assert response["ETag"] == f'"{version + 1}"'
        row = InventoryTransaction.objects.get(type="count")
        assert row.on_hand_delta == -20

    def test_stale_if_match_is_412_and_stale_body_version_is_409(self, supplier_caller):
        body = {"lots": [{"warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406", "inventoryLevel": 1}]}
        before = snapshot()
        assert supplier_caller.patch(ITEM, body, headers={"If-Match": '"999"'}).status_code == 412
        assert supplier_caller.patch(ITEM, {**body, "version": 999}).status_code == 409
        assert supplier_caller.patch(ITEM, body).status_code == 428
        assert snapshot() == before

    def test_a_count_below_reserved_is_409(self, supplier_caller):
        version = supplier_caller.get(ITEM).json()["version"]
        body = {"version": version, "lots": [{"warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406",
                                              "inventoryLevel": 49}]}
        assert supplier_caller.patch(ITEM, body).status_code == 409


class TestTenancy:
    def test_a_supplier_cannot_read_or_move_another_suppliers_stock(self, other_supplier_caller):
        before = snapshot()
        assert other_supplier_caller.get(ITEM).status_code == 404
        assert other_supplier_caller.post(ITEM, {"type": "sale", "quantity": 1}, key="x").status_code == 404
        response = other_supplier_caller.post("/api/v1/inventory/transactions",
                                              {"supplierId": "SUP123", "productId": "HOTSAUCE789", "type": "sale",
                                               "quantity": 1}, key="y")
        assert response.status_code == 404
        listed = other_supplier_caller.get("/api/v1/inventory").json()["results"]
        assert {item["supplierId"] for item in listed} == {"SUP400"}
        assert other_supplier_caller.get("/api/v1/inventory/transactions?supplierId=SUP123").json()["results"] == []
        assert snapshot() == before

    def test_a_retailer_reads_only_trading_suppliers_and_cannot_move_stock(self, retailer_caller,
                                                                          unrelated_retailer_caller):
        assert retailer_caller.get(ITEM).status_code == 200
        assert unrelated_retailer_caller.get(ITEM).status_code == 404
        assert {i["supplierId"] for i in retailer_caller.get("/api/v1/inventory").json()["results"]} == {"SUP123"}
        assert {i["supplierId"] for i in unrelated_retailer_caller.get("/api/v1/inventory").json()["results"]} \
            == {"SUP400"}
        response = retailer_caller.post(ITEM, {"type": "reservation", "quantity": 1}, key="r")
        assert response.status_code == 403
        assert response.json()["code"] in ("insufficient_scope", "permission_denied")

    def test_retailer_availability_honours_its_minimum_shelf_life(self, retailer_caller, supplier_caller):
        soon = (timezone.now() + timedelta(days=10)).isoformat()
        supplier_caller.post(ITEM, {"type": "receipt", "quantity": 40, "warehouseLocation": "Warehouse_B",
                                    "batchNumber": "SHORT", "expirationDate": soon}, key="short")
        as_supplier = supplier_caller.get(ITEM).json()
        as_retailer = retailer_caller.get(ITEM).json()  # RETAIL456 needs 30 days
        assert as_supplier["availableQuantity"] == 490 and as_supplier["batchNumber"] == "SHORT"
        assert as_retailer["availableQuantity"] == 450 and as_retailer["batchNumber"] == "BATCH202406"


class TestListing:
    def test_filters(self, brand_caller):
        assert {i["productId"] for i in brand_caller.get("/api/v1/inventory?supplierId=SUP400").json()["results"]} \
            == {"HOTSAUCE106", "HOTSAUCE107", "HOTSAUCE108", "HOTSAUCE109"}
        wb = brand_caller.get("/api/v1/inventory?warehouseLocation=Warehouse_B").json()["results"]
        assert {i["productId"] for i in wb} == {"HOTSAUCE101", "HOTSAUCE104"}
        soon = (timezone.now() + timedelta(days=50)).date().isoformat()
        expiring = brand_caller.get(f"/api/v1/inventory?expiringBefore={soon}").json()["results"]
        assert {i["productId"] for i in expiring} == {"HOTSAUCE101", "HOTSAUCE102"}
        assert brand_caller.get("/api/v1/inventory?onlyAvailable=maybe").status_code == 400
        assert brand_caller.get("/api/v1/inventory?updatedSince=2000-01-01T00:00:00Z").json()["results"]
        future = brand_caller.get("/api/v1/inventory?updatedSince=2999-01-01T00:00:00Z").json()["results"]
        assert future == []

    def test_only_available_excludes_items_with_nothing_to_sell(self, brand_caller):
        from inventory.models import Batch
        from inventory.services import batch_set_status

        batch_set_status(batch=Batch.objects.get(batch_number="B104-04"), status="quarantined",
                         reason="held for a check")
        items = brand_caller.get("/api/v1/inventory?onlyAvailable=true&supplierId=SUP123").json()["results"]
        assert "HOTSAUCE104" not in {i["productId"] for i in items}
        assert "HOTSAUCE789" in {i["productId"] for i in items}


LEDGER = "/api/v1/inventory/transactions"
IDS = {"supplierId": "SUP123", "productId": "HOTSAUCE789"}


@pytest.mark.parametrize("path,body", [(ITEM, {}), (LEDGER, IDS)], ids=["item", "ledger"])
def test_a_receipt_missing_everything_names_every_field_in_one_problem(supplier_caller, path, body):
    # SUP123 has two warehouses, so the receiving one must be named; NEW9 is a new batch, so it needs an expiry.
    before = snapshot()
    response = supplier_caller.post(path, {**body, "type": "receipt", "quantity": 5}, key="receipt-missing")
    assert response.status_code == 400, response.json()
    errors = {error["field"] for error in problem(response)["errors"]}
    assert errors == {"warehouseLocation", "batchNumber", "expirationDate"}
    assert problem(response)["code"] == "validation_error"
    assert snapshot() == before


@pytest.mark.parametrize("path,body", [(ITEM, {}), (LEDGER, IDS)], ids=["item", "ledger"])
def test_a_bad_field_does_not_hide_the_rules_the_rest_of_the_body_breaks(supplier_caller, path, body):
    before = snapshot()
    response = supplier_caller.post(path, {**body, "type": "receipt", "quantity": "five", "colour": "red",
                                           "warehouseLocation": "Warehouse_A"}, key="receipt-bad")
    assert response.status_code == 400, response.json()
    assert {error["field"] for error in problem(response)["errors"]} == {
        "quantity", "colour", "batchNumber", "expirationDate"}
    transfer = supplier_caller.post(path, {**body, "type": "transfer", "quantity": -1}, key="transfer-bad")
    assert {error["field"] for error in problem(transfer)["errors"]} == {"quantity", "toWarehouseLocation"}
    assert snapshot() == before


def test_a_ledger_post_missing_the_item_names_it_with_the_other_fields(supplier_caller):
    response = supplier_caller.post(LEDGER, {"type": "transfer", "quantity": 0}, key="ledger-missing")
    assert response.status_code == 400, response.json()
    assert {error["field"] for error in problem(response)["errors"]} == {
        "supplierId", "productId", "quantity", "toWarehouseLocation"}


def test_a_ledger_receipt_for_an_invisible_supplier_is_a_404_not_a_list_of_its_rules(make_caller, sandbox):
    other = make_caller("supplier", "SUP400")
    response = other.post(LEDGER, {**IDS, "type": "receipt", "quantity": 5}, key="other-receipt")
    assert response.status_code == 404, response.json()
    assert problem(response)["code"] == "not_found"
