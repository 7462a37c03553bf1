"""GS1 scans (API-CONTRACT.md section 8): what a scanner sends becomes the movement the JSON API records."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from stdnum import ean

from inventory.gs1.scan import scan_parse
from inventory.models import Batch, InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from tests.conftest import problem

SCAN = "/api/v1/inventory/SUP123/scan"
GS = "\x1d"


def gtin14(sku: str) -> str:
    return Product.objects.get(sku=sku).gtin.zfill(14)


def yymmdd(days: int) -> str:
    return f"{timezone.now() + timedelta(days=days):%y%m%d}"


def fixtures() -> list[tuple[str, str, str, int, int]]:
    """Ten scans as scanners send them: (scan, sku, batch, units, days to expiry)."""
    g789, g101, g102 = gtin14("HOTSAUCE789"), gtin14("HOTSAUCE101"), gtin14("HOTSAUCE102")
    return [
        # 1-3: bracketed human-readable text, as typed or sent by an HRI-configured scanner
        (f"(01){g789}(10)SCAN-A1(17){yymmdd(200)}(37)24", "HOTSAUCE789", "SCAN-A1", 24, 200),
        (f"(01){g101}(17){yymmdd(150)}(10)SCAN-B1", "HOTSAUCE101", "SCAN-B1", 1, 150),
        (f"(02){g102}(37)12(17){yymmdd(90)}(10)SCAN-C1", "HOTSAUCE102", "SCAN-C1", 12, 90),
        # 4-6: raw GS1-128 with FNC1 as GS after variable-length fields, with and without ]C1
        (f"]C101{g789}17{yymmdd(220)}10SCAN-A2{GS}3706", "HOTSAUCE789", "SCAN-A2", 6, 220),
        (f"01{g101}3748{GS}17{yymmdd(160)}10SCAN-B2", "HOTSAUCE101", "SCAN-B2", 48, 160),
        (f"00{'0' + '0860001' + '000000042'}{ean.calc_check_digit('00860001000000042')}02{g102}"
         f"17{yymmdd(95)}3710{GS}10SCAN-C2", "HOTSAUCE102", "SCAN-C2", 10, 95),
        # 7-8: DataMatrix as a 2D imager sends it (]d2, GS separators)
        (f"]d201{g789}17{yymmdd(240)}10SCAN-A3{GS}302", "HOTSAUCE789", "SCAN-A3", 2, 240),
        (f"]d201{g101}10SCAN-B3{GS}17{yymmdd(170)}", "HOTSAUCE101", "SCAN-B3", 1, 170),
        # 9-10: GS1 Digital Link URIs (QR codes on the pack)
        (f"https://id.gs1.org/01/{g789}/10/SCAN-A4?17={yymmdd(260)}", "HOTSAUCE789", "SCAN-A4", 1, 260),
        (f"https://example.com/01/{g102}/10/SCAN-C3?17={yymmdd(100)}&37=36", "HOTSAUCE102", "SCAN-C3", 36, 100),
    ]


def scan(caller, body: dict, key: str | None = None):
    return caller.post(SCAN, body, key=key or uuid.uuid4().hex)


def test_ten_fixture_scans_each_record_the_receipt_they_describe(supplier_caller):
    for raw, sku, batch_number, units, days in fixtures():
        before = StockLot.objects.filter(batch__batch_number=batch_number).count()
        response = scan(supplier_caller, {"scan": raw, "type": "receipt", "warehouseLocation": "Warehouse_B"})
        assert response.status_code == 201, (raw, response.json())
        body = response.json()
        assert body["scan"]["productId"] == sku and body["scan"]["batchNumber"] == batch_number
        assert body["scan"]["quantity"] == units
        row = body["transaction"]
        assert (row["type"], row["productId"], row["batchNumber"], row["warehouseLocation"], row["onHandDelta"]) == (
            "receipt", sku, batch_number, "Warehouse_B", units)
        batch = Batch.objects.get(product__sku=sku, batch_number=batch_number)
        assert batch.supplier.code == "SUP123"
        assert batch.expiration_date.date() == (timezone.now() + timedelta(days=days)).date()
        assert batch.expiration_date.strftime("%H:%M:%S") == "00:00:00"
        assert before == 0 and StockLot.objects.get(batch=batch).on_hand == units
    sscc_row = InventoryTransaction.objects.get(batch__batch_number="SCAN-C2")
    assert sscc_row.reference == "SSCC 00860001000000042" + ean.calc_check_digit("00860001000000042")
    assert reconcile() == []


def test_a_scanned_receipt_is_the_same_movement_as_the_json_api_records(supplier_caller):
    g789 = gtin14("HOTSAUCE789")
    expiry = timezone.now() + timedelta(days=180)
    scanned = scan(supplier_caller, {"scan": f"(01){g789}(10)TWIN-S(17){expiry:%y%m%d}(37)5", "type": "receipt",
                                     "warehouseLocation": "Warehouse_A", "reference": "PO-9"}).json()
    plain = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {
        "type": "receipt", "quantity": 5, "warehouseLocation": "Warehouse_A", "batchNumber": "TWIN-P",
        "expirationDate": f"{expiry:%Y-%m-%d}T00:00:00Z", "reference": "PO-9"}, key=uuid.uuid4().hex).json()
    ignore = {"id", "movementId", "batchNumber", "reason", "createdAt", "version", "onHandAfter"}
    assert {k: v for k, v in scanned["transaction"].items() if k not in ignore} == {
        k: v for k, v in plain["transaction"].items() if k not in ignore}
    assert scanned["transaction"]["expirationDate"] == plain["transaction"]["expirationDate"]


def test_a_count_scan_sets_the_lot_level_like_a_physical_count(supplier_caller):
    g789 = gtin14("HOTSAUCE789")
    response = scan(supplier_caller, {"scan": f"(01){g789}(10)BATCH202406(37)60", "type": "count",
                                      "warehouseLocation": "Warehouse_A", "quantity": 8})
    assert response.status_code == 201, response.json()
    assert response.json()["transaction"]["type"] == "count"
    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    assert lot.on_hand == 480 and lot.reserved == 50
    assert reconcile() == []


@pytest.mark.parametrize("raw_of, field", [
    (lambda g: f"(01){g[:-1]}{(int(g[-1]) + 1) % 10}(10)X1(17)301231", "(01)"),  # wrong check digit
    (lambda g: "(01)00012345678905(10)X1(17)301231", "(01)"),  # valid digit, no such product
    (lambda g: f"(01){g}(10)X1(17)200101", "(17)"),  # expired
    (lambda g: f"(01){g}(10)X1(17)301332", "(17)"),  # not a date
    (lambda g: f"(01){g}(10)X1", "(17)"),  # a new batch without its expiry
    (lambda g: f"(01){g}(17)301231", "(10)"),  # no batch
    (lambda g: "(00)008600010000000421", "(00)"),  # SSCC check digit
    (lambda g: "(00)008600010000000429", "(01)"),  # an SSCC alone says nothing of the contents
])
def test_bad_scans_are_400_problems_naming_the_ai_and_change_nothing(supplier_caller, raw_of, field):
    rows = InventoryTransaction.objects.count()
    response = scan(supplier_caller, {"scan": raw_of(gtin14("HOTSAUCE789")), "type": "receipt",
                                      "warehouseLocation": "Warehouse_A"})
    assert response.status_code == 400, response.json()
    body = problem(response)
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [field], body
    assert InventoryTransaction.objects.count() == rows


def test_scan_needs_an_idempotency_key_and_replays_do_not_receive_twice(supplier_caller):
    body = {"scan": f"(01){gtin14('HOTSAUCE789')}(10)IDEM-1(17){yymmdd(120)}(37)4", "type": "receipt",
            "warehouseLocation": "Warehouse_A"}
    missing = supplier_caller.post(SCAN, body)
    assert missing.status_code == 400 and problem(missing)["code"] == "idempotency_key_missing"
    first = supplier_caller.post(SCAN, body, key="scan-1")
    again = supplier_caller.post(SCAN, body, key="scan-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert StockLot.objects.get(batch__batch_number="IDEM-1").on_hand == 4


def test_a_retailer_cannot_scan_and_a_supplier_cannot_scan_into_another_supplier(retailer_caller,
                                                                                    other_supplier_caller):
    body = {"scan": f"(01){gtin14('HOTSAUCE789')}(10)X9(17){yymmdd(100)}", "type": "receipt",
            "warehouseLocation": "Warehouse_A"}
    assert scan(retailer_caller, body).status_code == 403
    assert scan(other_supplier_caller, body).status_code == 404


def test_biip_and_stdnum_agree_on_every_fixture_gtin(sandbox):
    for raw, _sku, _batch, _units, _days in fixtures():
        parsed = scan_parse(raw)
        assert ean.is_valid(parsed.gtin)
