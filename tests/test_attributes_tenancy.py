"""Tenancy of custom attributes: a brand-only attribute never reaches a partner (issue 20).

Not in any response of any GET route, nor in the changes feed, the SSE stream or a webhook
body, for every kind of partner; while the brand sees it everywhere, and partners do see the
partner-readable attribute beside it (so the absence is the rule at work, not missing data).
"""

from __future__ import annotations

import json

import pytest

from partners.models import RetailPartner
from tests.compat.record_responses import fill, get_routes
from tests.test_tenancy_matrix import (  # noqa: F401  (world is a fixture)
    BRAND,
    OTHER_SUPPLIER,
    OWNER,
    RETAILER,
    ROUTES,
    UNRELATED,
    _key,
    _ok,
    api_routes,
    expected,
    read_stream,
    view_allowed_kinds,
    view_methods,
    world,
)
from webhooks.delivery import envelope_body
from webhooks.models import Delivery, Endpoint
from webhooks.selectors import event_for_endpoint

HIDDEN, SHOWN = "internalMargin", "limitedEdition"
PARTNERS = (OWNER, RETAILER, OTHER_SUPPLIER, UNRELATED)
EVERYWHERE = ["product", "batch", "order", "retailPartner"]


@pytest.fixture
def tagged(world):  # noqa: F811
    brand = world.callers[BRAND]
    for attribute_key, type_, readable in ((HIDDEN, "decimal", False), (SHOWN, "boolean", True)):
        _ok(brand.post("/api/v1/attributeDefinitions", {"key": attribute_key, "label": attribute_key, "type": type_,
                                                        "appliesTo": EVERYWHERE, "partnerReadable": readable},
                       key=_key()), "a definition")
    values = {HIDDEN: 12.5, SHOWN: True}
    product = brand.get("/api/v1/products/HOTSAUCE789").json()
    _ok(brand.put("/api/v1/products/HOTSAUCE789", {"name": product["name"], "attributes": values}), "product")
    _ok(brand.patch("/api/v1/products/HOTSAUCE789/batches/BATCH202406", {"attributes": values}), "batch")
    # Retail partners have no update route; their attributes are set at creation or in the admin.
    RetailPartner.objects.filter(code__in=["RETAIL456", "RETAIL700"]).update(attributes=values)
    order = _ok(brand.post("/api/v1/orders", {"supplierId": "SUP123", "retailPartnerId": "RETAIL456", "lines": [
        {"productId": "HOTSAUCE789", "quantity": 1}], "attributes": values}, key=_key()), "an order")
    if "orders/<str:orderId>/acknowledge" in api_routes():
        _ok(world.callers[OWNER].post(f"/api/v1/orders/{order['orderId']}/acknowledge", {"decision": "accept"},
                                      key=_key()), "an acknowledgement")
    _ok(brand.post(f"/api/v1/orders/{order['orderId']}/cancel", {}, key=_key()), "a cancel")
    _ok(world.callers[OWNER].post("/api/v1/products/HOTSAUCE789/batches/BATCH202406/recall",
                                  {"reason": "attribute tenancy"}, key=_key()), "a recall")
    return world


def _get_answers(the_world, caller: str) -> list[tuple[str, bytes]]:
    answers = []
    for route in get_routes():
        callback = api_routes()[route]
        if expected(route, "GET", caller, view_methods(route, callback)["GET"],
                    view_allowed_kinds(route, callback)) != {200}:
            continue
        entry = ROUTES[route]
        url = fill(route, entry.args(the_world) if callable(entry.args) else (entry.args or {}))
        url += "?after=0&limit=500" if route == "events" else (f"?{entry.query}" if entry.query else "")
        response = the_world.callers[caller].get(url)
        assert response.status_code == 200, (caller, url, response.content[:300])
        answers.append((url, response.content))
    status, envelopes = read_stream(the_world.callers[caller], "/api/v1/events/stream?after=0")
    assert status == 200
    answers.append(("events/stream", json.dumps(envelopes).encode()))
    return answers


def test_brand_only_attributes_never_appear_in_a_partners_responses_feed_or_stream(tagged):
    brand_answers = dict(_get_answers(tagged, BRAND))
    # The brand sees them in resources and in events: there is something to leak.
    for url in ("/api/v1/products/HOTSAUCE789", "/api/v1/products/HOTSAUCE789/batches/BATCH202406",
                "/api/v1/retailPartners/RETAIL456", "/api/v1/events?after=0&limit=500", "events/stream"):
        assert HIDDEN.encode() in brand_answers[url], url
    events = json.loads(brand_answers["/api/v1/events?after=0&limit=500"])["results"]
    tagged_types = {e["type"] for e in events if HIDDEN in (e["data"].get("attributes") or {})}
    assert {"order.created", "order.updated", "order.acknowledged", "batch.recalled"} <= tagged_types

    leaks = []
    for caller in PARTNERS:
        answers = _get_answers(tagged, caller)
        leaks += [f"{caller} {url}" for url, content in answers if HIDDEN.encode() in content]
        if caller in (OWNER, RETAILER):
            seen = dict(answers)
            assert SHOWN.encode() in seen["/api/v1/events?after=0&limit=500"], caller
            assert SHOWN.encode() in seen["/api/v1/products/HOTSAUCE789"], caller
    assert not leaks, leaks


def test_webhook_bodies_for_partners_hold_only_partner_readable_attributes(tagged):
    deliveries = list(Delivery.objects.select_related("event", "endpoint").filter(
        event__type__in=["order.created", "order.updated", "batch.recalled"]))
    by_owner: dict[str, list[str]] = {}
    for delivery in deliveries:
        # What delivery_attempt signs and sends to this endpoint.
        event = event_for_endpoint(delivery.event, delivery.endpoint)
        by_owner.setdefault(delivery.endpoint.owner_kind, []).append(envelope_body(event))
    assert set(by_owner) == {"brand", "supplier", "retailer"}
    assert any(HIDDEN in body for body in by_owner["brand"])
    for kind in ("supplier", "retailer"):
        assert not any(HIDDEN in body for body in by_owner[kind]), kind
        assert any(SHOWN in body for body in by_owner[kind]), kind
    assert Endpoint.objects.filter(owner_kind="retailer").exists()
