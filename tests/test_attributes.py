"""Brand-defined custom attributes (issue 20): definitions, values on the four resources, list filters."""

from __future__ import annotations

import json
import uuid

import pytest

from inventory.models import Batch, Product
from orders.models import Order
from partners.models import RetailPartner
from tests.conftest import problem
from tests.test_forecast_support import app_queries


def key() -> str:
    return uuid.uuid4().hex


def define(brand, attribute_key: str, type_: str, applies_to: list[str], readable: bool = True, **extra) -> dict:
    response = brand.post("/api/v1/attributeDefinitions", {
        "key": attribute_key, "label": attribute_key.title(), "type": type_, "appliesTo": applies_to,
        "partnerReadable": readable, **extra}, key=key())
    assert response.status_code == 201, response.content
    return response.json()


def fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem(response)["errors"]}


def product_put(caller, sku: str, **body):
    current = caller.get(f"/api/v1/products/{sku}").json()
    payload = {"name": current["name"], "flavor": current["flavor"], **body}
    return caller.put(f"/api/v1/products/{sku}", payload)


def order(caller, **extra):
    response = caller.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
        {"productId": "HOTSAUCE789", "quantity": 1}], **extra}, key=key())
    return response


# --- the must-show: two definitions, tagged records, filters, and the 400s ----------------------


def test_limited_edition_products_and_promo_code_orders_are_tagged_and_filtered_exactly(
        brand_caller, retailer_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"])
    define(brand_caller, "promoCode", "string", ["order"])

    tagged = product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": True})
    assert tagged.status_code == 200, tagged.content
    assert tagged.json()["attributes"] == {"limitedEdition": True}
    created = brand_caller.post("/api/v1/products", {"productId": "PLAIN1", "name": "Plain",
                                                     "attributes": {"limitedEdition": False}}, key=key())
    assert created.status_code == 201, created.content

    promo = order(retailer_caller, attributes={"promoCode": "SPRING24"})
    assert promo.status_code == 201, promo.content
    assert promo.json()["attributes"] == {"promoCode": "SPRING24"}
    plain = order(retailer_caller)
    assert plain.status_code == 201 and plain.json()["attributes"] == {}

    limited = brand_caller.get("/api/v1/products?attributes.limitedEdition=true&limit=500").json()["results"]
    assert [p["productId"] for p in limited] == ["HOTSAUCE789"]
    not_limited = brand_caller.get("/api/v1/products?attributes.limitedEdition=false").json()["results"]
    assert [p["productId"] for p in not_limited] == ["PLAIN1"]
    promos = retailer_caller.get("/api/v1/orders?attributes.promoCode=SPRING24").json()["results"]
    assert [o["orderId"] for o in promos] == [promo.json()["orderId"]]
    assert retailer_caller.get(f"/api/v1/orders/{promo.json()['orderId']}").json()["attributes"] == {
        "promoCode": "SPRING24"}


def test_a_wrong_type_and_an_undefined_key_are_one_400_naming_each_and_change_nothing(brand_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"])
    before = brand_caller.get("/api/v1/products/HOTSAUCE789").json()
    response = product_put(brand_caller, "HOTSAUCE789", name="Renamed",
                           attributes={"limitedEdition": "yes", "colour": "red"})
    assert response.status_code == 400
    errors = fields(response)
    assert set(errors) == {"attributes.limitedEdition", "attributes.colour"}
    assert "true or false" in errors["attributes.limitedEdition"]
    assert "Unknown attribute" in errors["attributes.colour"]
    assert brand_caller.get("/api/v1/products/HOTSAUCE789").json() == before

    order_response = brand_caller.post("/api/v1/orders", {
        "supplierId": "SUP123", "retailPartnerId": "RETAIL456", "lines": [{"productId": "HOTSAUCE789", "quantity": 1}],
        "attributes": {"limitedEdition": True}}, key=key())
    assert order_response.status_code == 400
    assert "attributes.limitedEdition" in fields(order_response)  # defined, but not for orders
    assert not Order.objects.filter(retail_partner__code="RETAIL456", attributes__has_key="limitedEdition").exists()


def test_an_undefined_attribute_filter_is_a_400_like_any_unknown_filter(brand_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"])
    response = brand_caller.get("/api/v1/products?attributes.colour=red&attributes.limitedEdition=true")
    assert response.status_code == 400
    assert fields(response) == {"attributes.colour": "Unknown query parameter."}
    # Defined for products, not for orders: unknown there.
    assert brand_caller.get("/api/v1/orders?attributes.limitedEdition=true").status_code == 400
    bad_value = brand_caller.get("/api/v1/products?attributes.limitedEdition=maybe")
    assert bad_value.status_code == 400
    assert set(fields(bad_value)) == {"attributes.limitedEdition"}


def test_a_client_that_sends_no_attributes_keeps_them(brand_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"])
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": True}).status_code == 200
    again = product_put(brand_caller, "HOTSAUCE789", name="Ghost Pepper Inferno II")
    assert again.status_code == 200
    assert again.json()["name"] == "Ghost Pepper Inferno II"
    assert again.json()["attributes"] == {"limitedEdition": True}
    cleared = product_put(brand_caller, "HOTSAUCE789", attributes={})
    assert cleared.json()["attributes"] == {}


# --- types --------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_,extra,good,stored,query,bad", [
    ("integer", {}, 12, 12, "12", "12.5"),
    ("decimal", {}, "19.90", 19.9, "19.9", "cheap"),
    ("decimal", {}, 20.0, 20, "20", True),
    ("string", {}, "Holiday", "Holiday", "Holiday", 5),
    ("date", {}, "2026-12-24", "2026-12-24", "2026-12-24", "2026-02-30"),
    ("enum", {"values": ["gold", "silver"]}, "gold", "gold", "gold", "bronze"),
])
def test_each_type_accepts_its_values_filters_by_them_and_names_a_bad_one(brand_caller, type_, extra, good, stored,
                                                                           query, bad):
    define(brand_caller, "tag2", type_, ["retailPartner"], **extra)
    created = brand_caller.post("/api/v1/retailPartners", {"retailPartnerId": "RETAILATTR", "name": "Attr",
                                                           "attributes": {"tag2": good}}, key=key())
    assert created.status_code == 201, created.content
    assert created.json()["attributes"] == {"tag2": stored}
    assert RetailPartner.objects.get(code="RETAILATTR").attributes == {"tag2": stored}
    found = brand_caller.get(f"/api/v1/retailPartners?attributes.tag2={query}").json()["results"]
    assert [r["retailPartnerId"] for r in found] == ["RETAILATTR"]
    refused = brand_caller.post("/api/v1/retailPartners", {"retailPartnerId": "RETAILBAD", "name": "Bad",
                                                           "attributes": {"tag2": bad}}, key=key())
    assert refused.status_code == 400
    assert set(fields(refused)) == {"attributes.tag2"}
    assert not RetailPartner.objects.filter(code="RETAILBAD").exists()


# --- definitions ----------------------------------------------------------------------------------


def test_definitions_are_the_brands_and_keys_are_camel_case(brand_caller, supplier_caller, retailer_caller):
    body = {"key": "limitedEdition", "label": "Limited", "type": "boolean", "appliesTo": ["product"]}
    for partner in (supplier_caller, retailer_caller):
        assert partner.post("/api/v1/attributeDefinitions", body, key=key()).status_code == 403
    for bad_key in ("LimitedEdition", "limited_edition", "limited-edition", "9lives", "a" * 65):
        response = brand_caller.post("/api/v1/attributeDefinitions", {**body, "key": bad_key}, key=key())
        assert response.status_code == 400, bad_key
        assert "key" in fields(response)
    enum = brand_caller.post("/api/v1/attributeDefinitions", {**body, "type": "enum"}, key=key())
    assert enum.status_code == 400 and "values" in fields(enum)
    wrong = brand_caller.post("/api/v1/attributeDefinitions", {**body, "values": ["x"], "appliesTo": [
        "product", "product"], "validFrom": "2026-02-01", "validTo": "2026-01-01"}, key=key())
    assert wrong.status_code == 400
    assert set(fields(wrong)) == {"values", "appliesTo", "validTo"}
    shelf = brand_caller.post("/api/v1/attributeDefinitions", {**body, "appliesTo": ["shelf"]}, key=key())
    assert shelf.status_code == 400 and "appliesTo.0" in fields(shelf)
    created = brand_caller.post("/api/v1/attributeDefinitions", body, key=key())
    assert created.status_code == 201, created.content
    assert created.json() | {"createdAt": None, "updatedAt": None} == {
        "key": "limitedEdition", "label": "Limited", "description": "", "type": "boolean", "values": None,
        "appliesTo": ["product"], "partnerReadable": False, "validFrom": None, "validTo": None,
        "deprecated": False, "deprecatedAt": None, "createdAt": None, "updatedAt": None}
    again = brand_caller.post("/api/v1/attributeDefinitions", body, key=key())
    assert again.status_code == 400 and "key" in fields(again)


def test_partners_list_only_partner_readable_definitions(brand_caller, supplier_caller, retailer_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"], readable=True)
    define(brand_caller, "marginBand", "enum", ["product"], readable=False, values=["high", "low"])
    assert [d["key"] for d in brand_caller.get("/api/v1/attributeDefinitions").json()["results"]] == [
        "limitedEdition", "marginBand"]
    for partner in (supplier_caller, retailer_caller):
        assert [d["key"] for d in partner.get("/api/v1/attributeDefinitions").json()["results"]] == [
            "limitedEdition"]
        assert partner.get("/api/v1/attributeDefinitions/marginBand").status_code == 404
    assert brand_caller.get("/api/v1/attributeDefinitions?appliesTo=product&type=enum").json()["results"][0][
        "key"] == "marginBand"
    assert brand_caller.get("/api/v1/attributeDefinitions?appliesTo=order").json()["results"] == []


def test_a_definition_is_never_retyped_and_values_in_use_are_never_withdrawn(brand_caller):
    define(brand_caller, "tier", "enum", ["product", "retailPartner"], values=["gold", "silver", "bronze"])
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"tier": "gold"}).status_code == 200

    retype = brand_caller.patch("/api/v1/attributeDefinitions/tier", {"type": "string"},
                                headers={"Idempotency-Key": key()})
    assert retype.status_code == 409
    assert problem(retype)["code"] == "invalid_state" and "never retyped" in problem(retype)["detail"]
    in_use = brand_caller.patch("/api/v1/attributeDefinitions/tier", {"values": ["silver", "bronze"]})
    assert in_use.status_code == 409 and "gold" in problem(in_use)["detail"]
    withdraw = brand_caller.patch("/api/v1/attributeDefinitions/tier", {"appliesTo": ["retailPartner"]})
    assert withdraw.status_code == 409 and "product" in problem(withdraw)["detail"]
    assert brand_caller.get("/api/v1/attributeDefinitions/tier").json()["values"] == ["gold", "silver", "bronze"]

    unused = brand_caller.patch("/api/v1/attributeDefinitions/tier", {"values": ["gold", "silver"], "type": "enum",
                                                                      "label": "Tier", "appliesTo": ["product"]})
    assert unused.status_code == 200, unused.content
    assert unused.json()["values"] == ["gold", "silver"] and unused.json()["appliesTo"] == ["product"]
    assert brand_caller.patch("/api/v1/attributeDefinitions/tier", {"key": "tier2"}).status_code == 400
    assert brand_caller.patch("/api/v1/attributeDefinitions/nothing", {"label": "x"}).status_code == 404


def test_a_deprecated_key_keeps_its_values_and_refuses_new_ones(brand_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"])
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": True}).status_code == 200
    deprecated = brand_caller.patch("/api/v1/attributeDefinitions/limitedEdition", {"deprecated": True})
    assert deprecated.status_code == 200 and deprecated.json()["deprecated"] is True
    assert deprecated.json()["deprecatedAt"]

    # What was read may be sent back unchanged; a new value is refused; removing is allowed.
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": True}).status_code == 200
    refused = product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": False})
    assert refused.status_code == 400 and "Deprecated" in fields(refused)["attributes.limitedEdition"]
    assert brand_caller.get("/api/v1/products?attributes.limitedEdition=true").json()["results"][0][
        "productId"] == "HOTSAUCE789"
    assert product_put(brand_caller, "HOTSAUCE789", attributes={}).json()["attributes"] == {}


def test_validity_dates_bound_when_new_values_are_accepted(brand_caller):
    define(brand_caller, "holiday", "boolean", ["product"], validFrom="2000-01-01", validTo="2000-12-31")
    refused = product_put(brand_caller, "HOTSAUCE789", attributes={"holiday": True})
    assert refused.status_code == 400
    assert "2000-01-01" in fields(refused)["attributes.holiday"]
    brand_caller.patch("/api/v1/attributeDefinitions/holiday", {"validTo": None})
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"holiday": True}).status_code == 200


def test_keys_keep_their_exact_spelling_through_the_camel_case_parser(brand_caller):
    define(brand_caller, "promo2024Wave", "integer", ["product"])
    response = product_put(brand_caller, "HOTSAUCE789", attributes={"promo2024Wave": 2})
    assert response.status_code == 200, response.content
    assert Product.objects.get(sku="HOTSAUCE789").attributes == {"promo2024Wave": 2}
    assert response.json()["attributes"] == {"promo2024Wave": 2}


# --- who reads and writes what -------------------------------------------------------------------


def test_brand_only_attributes_are_invisible_unwritable_and_unfilterable_for_partners(
        brand_caller, supplier_caller, retailer_caller):
    define(brand_caller, "limitedEdition", "boolean", ["product"], readable=True)
    define(brand_caller, "marginBand", "enum", ["product"], readable=False, values=["high", "low"])
    assert product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": True,
                                                                "marginBand": "high"}).status_code == 200
    for partner in (supplier_caller, retailer_caller):
        assert partner.get("/api/v1/products/HOTSAUCE789").json()["attributes"] == {"limitedEdition": True}
        listed = partner.get("/api/v1/products?attributes.limitedEdition=true").json()["results"]
        assert [p["attributes"] for p in listed] == [{"limitedEdition": True}]
        assert partner.get("/api/v1/products?attributes.marginBand=high").status_code == 400
    # The catalogue is the brand's (issue 12): a supplier writes no product, attributes included.
    refused = product_put(supplier_caller, "HOTSAUCE789", attributes={"limitedEdition": False})
    assert refused.status_code == 403
    assert Product.objects.get(sku="HOTSAUCE789").attributes == {"limitedEdition": True, "marginBand": "high"}
    # The brand replacing the attributes it sends keeps exactly what it sent.
    replaced = product_put(brand_caller, "HOTSAUCE789", attributes={"limitedEdition": False, "marginBand": "high"})
    assert replaced.status_code == 200
    assert brand_caller.get("/api/v1/products/HOTSAUCE789").json()["attributes"] == {
        "limitedEdition": False, "marginBand": "high"}
    assert retailer_caller.get("/api/v1/products/HOTSAUCE789").json()["attributes"] == {"limitedEdition": False}


def test_a_batch_gets_attributes_from_its_supplier_or_the_brand(brand_caller, supplier_caller,
                                                                other_supplier_caller, retailer_caller):
    define(brand_caller, "limitedEdition", "boolean", ["batch"])
    define(brand_caller, "lotNote", "string", ["batch"])
    url = "/api/v1/products/HOTSAUCE789/batches/BATCH202406"
    body = {"attributes": {"limitedEdition": True, "lotNote": "smoked run"}}
    assert other_supplier_caller.patch(url, body).status_code == 404
    assert retailer_caller.patch(url, body).status_code == 403
    patched = supplier_caller.patch(url, body, headers={"Idempotency-Key": key()})
    assert patched.status_code == 200, patched.content
    assert patched.json()["attributes"] == {"limitedEdition": True, "lotNote": "smoked run"}
    assert patched.json()["inventoryLevel"] == 500
    merged = brand_caller.patch(url, {"attributes": {"lotNote": None}})
    assert merged.json()["attributes"] == {"limitedEdition": True}
    bad = supplier_caller.patch(url, {"attributes": {"limitedEdition": 1, "shelf": "A"}})
    assert bad.status_code == 400
    assert set(fields(bad)) == {"attributes.limitedEdition", "attributes.shelf"}
    assert Batch.objects.get(batch_number="BATCH202406").attributes == {"limitedEdition": True}
    listed = retailer_caller.get("/api/v1/products/HOTSAUCE789/batches?attributes.limitedEdition=true").json()
    assert [b["batchNumber"] for b in listed["results"]] == ["BATCH202406"]
    assert supplier_caller.patch(url, {"attributes": "limited"}).status_code == 400
    assert supplier_caller.patch(url, {}).status_code == 400


def test_write_answers_show_a_partner_only_what_it_may_read(brand_caller, supplier_caller):
    define(brand_caller, "promoCode", "string", ["order"], readable=True)
    define(brand_caller, "marginBand", "enum", ["order"], readable=False, values=["high", "low"])
    placed = brand_caller.post("/api/v1/orders", {
        "supplierId": "SUP123", "retailPartnerId": "RETAIL456", "lines": [{"productId": "HOTSAUCE789", "quantity": 1}],
        "attributes": {"promoCode": "SPRING24", "marginBand": "high"}}, key=key())
    assert placed.status_code == 201 and placed.json()["attributes"] == {"promoCode": "SPRING24", "marginBand": "high"}
    cancelled = supplier_caller.post(f"/api/v1/orders/{placed.json()['orderId']}/cancel", {}, key=key())
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["attributes"] == {"promoCode": "SPRING24"}


def test_reading_attributes_costs_one_query_per_page_not_one_per_record(brand_caller, retailer_caller,
                                                                         django_assert_max_num_queries):
    define(brand_caller, "limitedEdition", "boolean", ["product", "order"], readable=True)
    define(brand_caller, "marginBand", "enum", ["product", "order"], readable=False, values=["high", "low"])
    skus = list(Product.objects.order_by("sku").values_list("sku", flat=True))
    values = {"limitedEdition": True, "marginBand": "high"}

    def page_queries(count: int) -> int:
        Product.objects.filter(sku__in=skus[:count]).update(attributes=values)
        with django_assert_max_num_queries(50) as captured:
            body = retailer_caller.get(f"/api/v1/products?attributes.limitedEdition=true&limit={count}").json()
        assert [p["attributes"] for p in body["results"]] == [{"limitedEdition": True}] * count
        return len(app_queries(captured))

    page_queries(2)  # warm the token cache: the first call looks the token up, later ones do not
    assert page_queries(2) == page_queries(8)


def test_batch_events_carry_the_attributes_each_audience_may_read(brand_caller, supplier_caller):
    from inventory.services import batch_set_status

    define(brand_caller, "limitedEdition", "boolean", ["batch"], readable=True)
    define(brand_caller, "marginBand", "enum", ["batch"], readable=False, values=["high", "low"])
    url = "/api/v1/products/HOTSAUCE789/batches/BATCH202406"
    assert brand_caller.patch(url, {"attributes": {"limitedEdition": True, "marginBand": "low"}}).status_code == 200
    batch_set_status(batch=Batch.objects.get(batch_number="BATCH202406"), status="quarantined", reason="lab check")

    def quarantined(caller) -> dict:
        events = caller.get("/api/v1/events?after=0&types=batch.quarantined").json()["results"]
        assert len(events) == 1
        return events[0]["data"]["attributes"]

    assert quarantined(brand_caller) == {"limitedEdition": True, "marginBand": "low"}
    assert quarantined(supplier_caller) == {"limitedEdition": True}
    trace = supplier_caller.get(f"{url}/trace").json()
    assert "marginBand" not in json.dumps(trace)
