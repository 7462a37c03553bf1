"""846, 855, 856 and 997 out: each read back by an independent X12 parser (ansi-x12), counts and numbers checked."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from orders.edi.models import EdiDocument, TradingPartnerProfile
from orders.edi.tasks import inventory_advice_all
from orders.edi.x12.writer import Delimiters, clean, render_segment
from tests.edi_support import X12, fixture, post_x12, read_independently, segments
from webhooks.models import Event


def _check_envelope(document: dict):
    """The document's content parses independently and carries the control numbers it is listed with."""
    interchange = read_independently(document["content"])
    assert interchange.declared_group_count == interchange.actual_group_count == 1  # IEA01
    group = interchange.groups[0]
    assert group.declared_transaction_count == group.actual_transaction_count  # GE01
    for transaction_set in group.transactions:
        assert transaction_set.declared_segment_count == transaction_set.actual_segment_count  # SE01
        assert transaction_set.transaction_set_code.decode() == document["transactionSet"]
    assert interchange.control_number.decode() == document["interchangeControlNumber"]
    assert group.control_number.decode() == document["groupControlNumber"]
    assert group.transactions[0].control_number.decode() == document["transactionControlNumber"]
    return interchange


def _order(retailer_caller, lines, reference="PO-OUT"):
    response = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123", "reference": reference, "lines": [
        {"productId": sku, "quantity": quantity} for sku, quantity in lines]}, key=uuid.uuid4().hex)
    assert response.status_code == 201, response.json()
    return response.json()


def _documents(caller, **filters):
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    response = caller.get(f"/api/v1/edi/documents?{query}")
    assert response.status_code == 200, response.json()
    return [caller.get(f"/api/v1/edi/documents/{d['documentId']}").json() for d in response.json()["results"]]


def test_the_846_tells_a_retailer_what_it_can_be_promised_lot_by_lot(supplier_caller, retailer_caller):
    response = retailer_caller.post("/api/v1/edi/documents", {"transactionSet": "846", "supplierId": "SUP123"},
                                    key=uuid.uuid4().hex)
    assert response.status_code == 201, response.json()
    document = response.json()
    interchange = _check_envelope(document)
    lin = segments(interchange, "LIN")
    qty = segments(interchange, "QTY")
    promised = {}
    for line, quantity in zip(lin, qty, strict=True):
        ids = dict(zip(line[1::2], line[2::2], strict=False))
        promised[(ids["VN"], ids.get("LT"))] = int(quantity[1])
    # The brief's 450 available; HOTSAUCE102's lot is too short-dated for RETAIL456 (30 days minimum).
    assert promised[("HOTSAUCE789", "BATCH202406")] == 450
    assert promised[("HOTSAUCE102", None)] == 0
    assert promised[("HOTSAUCE101", "B101-00")] == 320 and promised[("HOTSAUCE101", "B101-01")] == 120
    assert len(segments(interchange, "DTM")) == sum(1 for key in promised if key[1])
    assert segments(interchange, "CTT") == [[str(len(lin))]]
    for view in (supplier_caller, retailer_caller):
        assert document["documentId"] in [d["documentId"] for d in _documents(view, transactionSet="846")]


def test_the_scheduled_846_goes_to_every_retailer_that_takes_them(sandbox):
    TradingPartnerProfile.objects.filter(retail_partner__code="RETAIL500").update(documents=["850", "997"])
    sent = inventory_advice_all()
    advised = set(EdiDocument.objects.filter(transaction_set="846").values_list("retail_partner__code",
                                                                                 "supplier__code"))
    assert advised == {("RETAIL456", "SUP123"), ("RETAIL600", "SUP123"), ("RETAIL600", "SUP400"),
                       ("RETAIL700", "SUP400")}
    assert sent == 4


def test_acknowledging_an_order_sends_the_retailer_an_855_and_an_event(supplier_caller, retailer_caller):
    order = _order(retailer_caller, [("HOTSAUCE789", 10), ("HOTSAUCE101", 6)])
    response = supplier_caller.post(f"/api/v1/orders/{order['orderId']}/acknowledge", {
        "decision": "partial", "lines": [{"productId": "HOTSAUCE101", "quantity": 4}], "reason": "short on mango"},
        key=uuid.uuid4().hex)
    assert response.status_code == 200, response.json()
    ack = response.json()
    assert [(line["productId"], line["acceptedQuantity"]) for line in ack["lines"]] == [
        ("HOTSAUCE789", 0), ("HOTSAUCE101", 4)]
    document = retailer_caller.get(f"/api/v1/edi/documents/{ack['documentId']}").json()
    interchange = _check_envelope(document)
    assert segments(interchange, "BAK")[0][:3] == ["00", "AC", "PO-OUT"]
    assert segments(interchange, "ACK") == [["IR", "10", "EA"], ["IQ", "4", "EA"], ["IR", "2", "EA"]]
    events = retailer_caller.get("/api/v1/events?after=0&types=order.acknowledged").json()["results"]
    assert events[-1]["data"]["acknowledgement"]["decision"] == "partial"
    again = supplier_caller.post(f"/api/v1/orders/{order['orderId']}/acknowledge", {"decision": "accept"},
                                 key=uuid.uuid4().hex)
    assert again.status_code == 409


def test_a_rejection_cancels_the_order_and_gives_its_stock_back(supplier_caller, retailer_caller):
    before = supplier_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").json()["availableQuantity"]
    order = _order(retailer_caller, [("HOTSAUCE789", 25)])
    response = supplier_caller.post(f"/api/v1/orders/{order['orderId']}/acknowledge",
                                    {"decision": "reject", "reason": "line discontinued"}, key=uuid.uuid4().hex)
    assert response.status_code == 200 and response.json()["orderStatus"] == "cancelled"
    assert supplier_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").json()["availableQuantity"] == before
    document = EdiDocument.objects.get(code=response.json()["documentId"])
    interchange = read_independently(document.content)
    assert segments(interchange, "BAK")[0][1] == "RD" and segments(interchange, "ACK") == [["IR", "25", "EA"]]
    assert Event.objects.filter(type="order.acknowledged").count() == 1


def test_only_the_supplier_or_brand_acknowledges(supplier_caller, retailer_caller, other_supplier_caller):
    order = _order(retailer_caller, [("HOTSAUCE789", 1)])
    url = f"/api/v1/orders/{order['orderId']}/acknowledge"
    assert retailer_caller.post(url, {"decision": "accept"}, key=uuid.uuid4().hex).status_code == 403
    assert other_supplier_caller.post(url, {"decision": "accept"}, key=uuid.uuid4().hex).status_code == 404
    bad = supplier_caller.post(url, {"decision": "partial"}, key=uuid.uuid4().hex)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "lines"
    assert supplier_caller.post(url, {"decision": "accept"}, key=uuid.uuid4().hex).status_code == 200


def test_the_856_carries_every_shipped_lot_and_expiry_under_its_sscc(supplier_caller, retailer_caller):
    order = _order(retailer_caller, [("HOTSAUCE789", 30), ("HOTSAUCE101", 330)])
    shipment = supplier_caller.post("/api/v1/shipments", {
        "orderId": order["orderId"], "carrier": "UPS", "trackingNumber": "1Z999AA10123456784",
        "packages": [{"lines": [{"productId": "HOTSAUCE789", "quantity": 30}]},
                     {"lines": [{"productId": "HOTSAUCE101", "quantity": 330}]}]}, key=uuid.uuid4().hex).json()
    [document] = _documents(retailer_caller, transactionSet="856")
    assert document["shipmentId"] == shipment["shipmentId"]
    interchange = _check_envelope(document)
    hl = segments(interchange, "HL")
    levels = [(row[0], row[1], row[2]) for row in hl]
    assert [level for _, _, level in levels] == ["S", "O", "P", "I", "P", "I", "I"]
    assert all(parent in {number for number, _, _ in levels[:index]} for index, (_, parent, _) in enumerate(levels)
               if parent)
    assert [row[1] for row in segments(interchange, "MAN")] == [p["sscc"] for p in shipment["packages"]]
    shipped = Counter()
    for lin, sn1, dtm in zip(segments(interchange, "LIN"), segments(interchange, "SN1"),
                             [d for d in segments(interchange, "DTM") if d[0] == "036"], strict=True):
        ids = dict(zip(lin[1::2], lin[2::2], strict=False))
        shipped[(ids["VN"], ids["LT"], dtm[1])] += int(sn1[1])
    expected = Counter()
    for line in shipment["lines"]:
        expected[(line["productId"], line["batchNumber"], line["expirationDate"][:10].replace("-", ""))] += \
            line["quantity"]
    assert shipped == expected and sum(expected.values()) == 360
    assert segments(interchange, "CTT") == [[str(len(hl))]]


def test_control_numbers_are_unique_and_increasing_per_partner(supplier_caller, retailer_caller):
    for _ in range(3):
        supplier_caller.post("/api/v1/edi/documents", {"transactionSet": "846", "retailPartnerId": "RETAIL456"},
                             key=uuid.uuid4().hex)
        supplier_caller.post("/api/v1/edi/documents", {"transactionSet": "846", "retailPartnerId": "RETAIL500"},
                             key=uuid.uuid4().hex)
    post_x12(retailer_caller, fixture("850_retail456_to_sup123.x12"))
    for code in ("RETAIL456", "RETAIL500"):
        numbers = list(EdiDocument.objects.filter(direction="outbound", retail_partner__code=code).order_by("pk")
                       .values_list("interchange_control_number", flat=True))
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers) >= 3
        assert int(numbers[0]) == 1


def test_a_retailer_sees_only_its_own_documents(supplier_caller, retailer_caller, make_caller, brand_caller):
    rival = make_caller("retailer", "RETAIL500")
    for retailer in ("RETAIL456", "RETAIL500"):
        supplier_caller.post("/api/v1/edi/documents", {"transactionSet": "846", "retailPartnerId": retailer},
                             key=uuid.uuid4().hex)
    mine = retailer_caller.get("/api/v1/edi/documents").json()["results"]
    assert {d["retailPartnerId"] for d in mine} == {"RETAIL456"}
    theirs = rival.get("/api/v1/edi/documents").json()["results"]
    assert retailer_caller.get(f"/api/v1/edi/documents/{theirs[0]['documentId']}").status_code == 404
    assert len(brand_caller.get("/api/v1/edi/documents").json()["results"]) == 2
    other = make_caller("supplier", "SUP400")
    assert other.get("/api/v1/edi/documents").json()["results"] == []
    assert retailer_caller.get("/api/v1/edi/documents?transactionSet=999").status_code == 400
    assert retailer_caller.get("/api/v1/edi/documents?nope=1").status_code == 400


def test_a_document_downloads_raw_with_the_x12_media_type(supplier_caller, retailer_caller):
    document = supplier_caller.post("/api/v1/edi/documents", {"transactionSet": "846", "retailPartnerId": "RETAIL456"},
                                    key=uuid.uuid4().hex).json()
    raw = retailer_caller.get(f"/api/v1/edi/documents/{document['documentId']}", HTTP_ACCEPT=X12)
    assert raw.status_code == 200 and raw["Content-Type"].startswith(X12)
    assert raw.content.decode() == document["content"]
    listed = retailer_caller.get("/api/v1/edi/documents?direction=outbound&retailPartnerId=RETAIL456").json()
    assert "content" not in listed["results"][0]


def test_delimiters_from_the_profile_and_values_that_contain_them(supplier_caller, retailer_caller):
    TradingPartnerProfile.objects.filter(retail_partner__code="RETAIL456").update(
        element_separator="|", component_separator=":", segment_terminator="\\", repetition_separator="!")
    order = _order(retailer_caller, [("HOTSAUCE789", 2)], reference="PO*7~X|Y")
    response = supplier_caller.post(f"/api/v1/orders/{order['orderId']}/acknowledge", {"decision": "accept"},
                                    key=uuid.uuid4().hex).json()
    content = EdiDocument.objects.get(code=response["documentId"]).content
    assert content.startswith("ISA|00|")
    interchange = read_independently(content)
    assert segments(interchange, "BAK")[0][2] == "PO*7~X Y"  # only the profile's delimiters are cleaned
    assert render_segment(("N1", "ST", "A*B~C"), Delimiters()) == "N1*ST*A B C~"
    assert clean("caf\u00e9\x1d", Delimiters()) == "caf  "
    with pytest.raises(ValueError):
        Delimiters(element="*", component="*")
