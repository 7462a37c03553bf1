"""SSCC packages on shipments and their GS1-128 labels, decoded back by an independent reader."""

from __future__ import annotations

import io
import uuid

import pypdfium2
import pytest
import zxingcpp
from django.conf import settings
from PIL import Image
from stdnum import ean

from orders.edi.models import Package
from orders.edi.services import sscc_next
from tests.conftest import problem


def test_a_hundred_ssccs_have_check_digits_stdnum_accepts_and_never_repeat(db):
    codes = [sscc_next() for _ in range(100)]
    assert len(set(codes)) == 100
    for code in codes:
        assert len(code) == 18 and code.isdigit()
        assert ean.calc_check_digit(code[:17]) == code[17], code
        assert code[1:1 + len(settings.GS1_COMPANY_PREFIX)] == settings.GS1_COMPANY_PREFIX
    serials = [int(code[1 + len(settings.GS1_COMPANY_PREFIX):17]) for code in codes]
    assert serials == sorted(serials)


def _order(retailer_caller, quantity=30, sku="HOTSAUCE789"):
    response = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "reference": "PO-LABEL", "lines": [
        {"productId": sku, "quantity": quantity}]}, key=uuid.uuid4().hex)
    assert response.status_code == 201, response.json()
    return response.json()["orderId"]


def _ship(supplier_caller, order_id, **extra):
    return supplier_caller.post("/api/v1/shipments", {"orderId": order_id, "carrier": "UPS",
                                                      "trackingNumber": "1Z999AA10123456784", **extra},
                                key=uuid.uuid4().hex)


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image) if result.content_type == zxingcpp.ContentType.GS1]


def test_a_shipment_is_one_package_by_default_and_its_pdf_label_decodes_to_its_element_strings(
        retailer_caller, supplier_caller):
    shipment = _ship(supplier_caller, _order(retailer_caller)).json()
    assert len(shipment["packages"]) == 1
    package = shipment["packages"][0]
    assert ean.calc_check_digit(package["sscc"][:17]) == package["sscc"][17]
    assert package["lines"] == [{"productId": "HOTSAUCE789", "batchNumber": "BATCH202406",
                                 "expirationDate": shipment["lines"][0]["expirationDate"][:10], "quantity": 30}]
    gtin = package["elementStrings"][0][4:18]
    expiry = shipment["lines"][0]["expirationDate"]
    assert package["elementStrings"] == [f"(02){gtin}(37)30", f"(17){expiry[2:4]}{expiry[5:7]}{expiry[8:10]}"
                                         f"(10)BATCH202406", f"(00){package['sscc']}"]

    pdf = supplier_caller.get(f"/api/v1/shipments/{shipment['shipmentId']}/labels.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    try:
        assert len(document) == 1
        page = document[0].render(scale=300 / 72).to_pil()
    finally:
        document.close()
    assert sorted(decode(page)) == sorted(package["elementStrings"])
    text = pdf.content
    assert b"%PDF" in text[:8]

    png = retailer_caller.get(f"/api/v1/shipments/{shipment['shipmentId']}/labels.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert sorted(decode(Image.open(io.BytesIO(png.content)))) == sorted(package["elementStrings"])


def test_a_shipment_packed_as_the_request_says_gets_one_label_page_per_package(retailer_caller, supplier_caller):
    order_id = _order(retailer_caller, quantity=40)
    own = "0" + "0860001" + "555555555"
    own += ean.calc_check_digit(own)
    shipment = _ship(supplier_caller, order_id, packages=[
        {"lines": [{"productId": "HOTSAUCE789", "quantity": 25}]},
        {"sscc": own, "lines": [{"productId": "HOTSAUCE789", "batchNumber": "BATCH202406", "quantity": 15}]}]).json()
    assert [p["lines"][0]["quantity"] for p in shipment["packages"]] == [25, 15]
    assert shipment["packages"][1]["sscc"] == own
    pdf = supplier_caller.get(f"/api/v1/shipments/{shipment['shipmentId']}/labels.pdf")
    document = pypdfium2.PdfDocument(pdf.content)
    try:
        pages = [decode(document[index].render(scale=300 / 72).to_pil()) for index in range(len(document))]
    finally:
        document.close()
    assert [sorted(p) for p in pages] == [sorted(p["elementStrings"]) for p in shipment["packages"]]
    one = supplier_caller.get(f"/api/v1/shipments/{shipment['shipmentId']}/labels.png?sscc={own}")
    assert f"(00){own}" in decode(Image.open(io.BytesIO(one.content)))
    detail = retailer_caller.get(f"/api/v1/orders/{order_id}").json()
    assert [p["sscc"] for p in detail["shipments"][0]["packages"]][1] == own


@pytest.mark.parametrize("packages, field", [
    ([{"lines": [{"productId": "HOTSAUCE789", "quantity": 10}]}], "packages"),  # 20 units unpacked
    ([{"lines": [{"productId": "HOTSAUCE789", "quantity": 31}]}], "packages[0].lines[0].quantity"),
    ([{"sscc": "008600010000000001", "lines": [{"productId": "HOTSAUCE789", "quantity": 30}]}], "packages[0].sscc"),
])
def test_bad_packing_is_a_400_and_ships_nothing(retailer_caller, supplier_caller, packages, field):
    order_id = _order(retailer_caller)
    response = _ship(supplier_caller, order_id, packages=packages)
    assert response.status_code == 400
    assert [e["field"] for e in problem(response)["errors"]] == [field]
    assert not Package.objects.exists()
    assert retailer_caller.get(f"/api/v1/orders/{order_id}").json()["status"] == "allocated"


def test_labels_of_another_tenants_shipment_are_404(retailer_caller, supplier_caller, unrelated_retailer_caller):
    shipment = _ship(supplier_caller, _order(retailer_caller)).json()
    assert unrelated_retailer_caller.get(f"/api/v1/shipments/{shipment['shipmentId']}/labels.pdf").status_code == 404
    assert supplier_caller.get("/api/v1/shipments/SHP-999999/labels.png").status_code == 404
