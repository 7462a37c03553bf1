"""A partner's first hour: the front door, the sandbox's webhook rule, one-trip validation, Location, the schema."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def key() -> str:
    return str(uuid.uuid4())


def test_the_landing_page_says_what_this_is_and_where_everything_is():
    page = Client().get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for link in ('href="/api/docs/"', 'href="/api/redoc/"', 'href="/admin/"', 'href="/healthz"'):
        assert link in html
    assert "var/sandbox-credentials.json" in html and "docs/walkthrough.md" in html


def test_the_favicon_is_an_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_the_docs_pages_load_their_assets_from_this_server_only():
    for path, asset in (("/api/docs/", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
                        ("/api/redoc/", "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")):
        response = Client().get(path)
        html = response.content.decode()
        assert asset in html
        assert "https://" not in html and "http://" not in html, path
        assert "img-src 'self'" in response["Content-Security-Policy"]


def test_a_local_http_receiver_is_refused_naming_the_setting_and_accepted_with_it(retailer_caller, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    refused = retailer_caller.post("/api/v1/webhooks", {"url": "http://127.0.0.1:8001/hooks"}, key=key())
    assert refused.status_code == 400
    assert "WEBHOOK_ALLOW_PRIVATE_URLS" in refused.json()["errors"][0]["message"]
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    accepted = retailer_caller.post("/api/v1/webhooks", {"url": "http://127.0.0.1:8001/hooks"}, key=key())
    assert accepted.status_code == 201, accepted.content
    assert accepted["Location"].endswith(f"/api/v1/webhooks/{accepted.json()['id']}")


def test_a_receipt_missing_its_fields_names_every_one_in_one_answer(supplier_caller):
    response = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "receipt"}, key=key())
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"quantity", "warehouseLocation", "batchNumber", "expirationDate"}


def test_a_receipt_of_a_known_batch_needs_no_expiry_and_an_unknown_field_comes_with_the_rest(supplier_caller):
    response = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789",
                                    {"type": "receipt", "batchNumber": "BATCH202406", "colour": "red"}, key=key())
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"quantity", "warehouseLocation", "colour"}


def test_created_resources_carry_their_location(retailer_caller, supplier_caller):
    order = retailer_caller.post("/api/v1/orders", {"supplierId": "SUP123",
                                                    "lines": [{"productId": "HOTSAUCE789", "quantity": 5}]}, key=key())
    assert order.status_code == 201
    location = order["Location"]
    assert location == f"http://testserver/api/v1/orders/{order.json()['orderId']}"
    assert retailer_caller.get(location.removeprefix("http://testserver")).status_code == 200
    shipment = supplier_caller.post("/api/v1/shipments", {"orderId": order.json()["orderId"]}, key=key())
    assert shipment["Location"].endswith(f"/api/v1/shipments/{shipment.json()['shipmentId']}")
    movement = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789",
                                    {"type": "sale", "quantity": 1}, key=(replayed := key()))
    assert movement.status_code == 201
    assert movement["Location"].endswith("/api/v1/inventory/SUP123/HOTSAUCE789")
    replay = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "sale", "quantity": 1},
                                  key=replayed)
    assert replay["Idempotent-Replayed"] == "true" and replay["Location"] == movement["Location"]


def test_the_movement_body_is_one_of_its_types_each_with_its_required_fields():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"]["/api/v1/inventory/{supplierId}/{productId}"]["post"]["requestBody"]
    components = schema["components"]["schemas"]
    shape = body["content"]["application/json"]["schema"]
    shape = components[shape["$ref"].rsplit("/", 1)[1]] if "$ref" in shape else shape
    assert shape["discriminator"]["propertyName"] == "type"
    variants = {name: ref["$ref"].rsplit("/", 1)[1] for name, ref in
                ((k, {"$ref": v}) for k, v in shape["discriminator"]["mapping"].items())}
    assert set(variants) == {"receipt", "reservation", "release", "sale", "damage", "return", "writeOff",
                             "adjustment", "transfer"}
    assert set(components[variants["receipt"]]["required"]) == {"type", "quantity", "batchNumber"}
    assert set(components[variants["transfer"]]["required"]) == {"type", "quantity", "toWarehouseLocation"}
    assert set(components[variants["release"]]["required"]) == {"type", "quantity", "reservationId"}
    assert "expirationDate" in components[variants["receipt"]]["description"]
