"""What each retailer learns from events: only its own business, and what it can be promised.

Two retailers trade with one supplier; one needs 120 days of shelf life. After every change,
the latest ``inventory.updated`` each retailer received carries the ``availableQuantity`` (item
and lots) that its own ``GET`` shows; at the end, every event each received — by webhook, in
the changes feed and on the stream — is scanned for the other retailer's code, order,
shipment and reservation ids and references.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from inventory.models import Product
from partners.models import RetailPartner, Supplier, TradingRelationship
from tests.test_tenancy_matrix import read_stream
from tests.test_webhooks_delivery import Receiver
from webhooks import delivery
from webhooks.models import Delivery

ITEM = "/api/v1/inventory/AUDSUP/AUDSAUCE"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def trade(db, make_caller, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    sup = Supplier.objects.create(code="AUDSUP", name="Audience Sauce Co")
    sup.warehouses.create(code="WH1", name="Main")
    Product.objects.create(sku="AUDSAUCE", name="Audience sauce")
    for code, days in (("AUDRA", 0), ("AUDRB", 120)):
        retailer = RetailPartner.objects.create(code=code, name=f"Retailer {code}", minimum_shelf_life_days=days)
        TradingRelationship.objects.create(supplier=sup, retail_partner=retailer)
    return {"supplier": make_caller("supplier", "AUDSUP"), "AUDRA": make_caller("retailer", "AUDRA"),
            "AUDRB": make_caller("retailer", "AUDRB")}


def _deliver_all() -> None:
    for delivery_id in Delivery.objects.filter(state="pending").order_by("pk").values_list("pk", flat=True):
        Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
        delivery.delivery_attempt(delivery_id=delivery_id)


def _latest_item_event(caller) -> dict:
    feed = caller.get("/api/v1/events?after=0&types=inventory.updated&limit=500").json()["results"]
    return feed[-1]["data"]


def _promised(view: dict) -> tuple:
    return view["availableQuantity"], sorted((lot["batchNumber"], lot["availableQuantity"]) for lot in view["lots"])


def _check_promises(trade) -> None:
    for code in ("AUDRA", "AUDRB"):
        caller = trade[code]
        event, seen = _latest_item_event(caller), caller.get(ITEM).json()
        assert _promised(event) == _promised(seen), (code, event, seen)
        assert event["retailPartnerId"] == code


def test_each_retailer_hears_only_its_own_business_and_what_it_can_be_promised(trade):
    supplier, ra, rb = trade["supplier"], trade["AUDRA"], trade["AUDRB"]
    now = timezone.now()
    with Receiver() as receiver:
        secrets = {}
        for code in ("AUDRA", "AUDRB"):
            hook = trade[code].post("/api/v1/webhooks", {"url": f"{receiver.url}/{code}", "eventTypes": ["*"]},
                                    key=key()).json()
            secrets[code] = hook["secret"]

        def change(caller, path, body):
            response = caller.post(path, body, key=key())
            assert response.status_code in (200, 201), response.content
            _deliver_all()
            _check_promises(trade)
            return response.json()

        change(supplier, ITEM, {"type": "receipt", "quantity": 20, "warehouseLocation": "WH1", "batchNumber": "SHORT",
                                "expirationDate": (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        # The short-dated lot can be promised to AUDRA, not to AUDRB (120 days of shelf life).
        assert (ra.get(ITEM).json()["availableQuantity"], rb.get(ITEM).json()["availableQuantity"]) == (20, 0)
        change(supplier, ITEM, {"type": "receipt", "quantity": 30, "warehouseLocation": "WH1", "batchNumber": "LONG",
                                "expirationDate": (now + timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        order_a = change(ra, "/api/v1/orders", {"supplierId": "AUDSUP", "reference": "PO-RA-SECRET",
                                                "lines": [{"productId": "AUDSAUCE", "quantity": 25}]})
        order_b = change(rb, "/api/v1/orders", {"supplierId": "AUDSUP", "reference": "PO-RB-SECRET",
                                                "lines": [{"productId": "AUDSAUCE", "quantity": 10}]})
        hold_a = change(supplier, ITEM, {"type": "reservation", "quantity": 3, "retailPartnerId": "AUDRA",
                                         "reference": "HOLD-RA-SECRET", "reason": "display for AUDRA"})
        shipment_a = change(supplier, "/api/v1/shipments", {"orderId": order_a["orderId"], "carrier": "UPS",
                                                            "trackingNumber": "1Z-RA-SECRET"})
        change(rb, f"/api/v1/orders/{order_b['orderId']}/cancel", {})
        change(supplier, ITEM, {"type": "sale", "quantity": 2, "reference": "POS-1"})
        recalled = supplier.post("/api/v1/products/AUDSAUCE/batches/SHORT/recall", {"reason": "seal check"},
                                 key=key())
        assert recalled.status_code == 200, recalled.content
        _deliver_all()
        _check_promises(trade)

    secret_of = {
        "AUDRA": {"AUDRA", order_a["orderId"], "PO-RA-SECRET", hold_a["transaction"]["reservationId"],
                  "HOLD-RA-SECRET", "display for AUDRA", shipment_a["shipmentId"], "1Z-RA-SECRET",
                  order_a["lines"][0]["reservationId"]},
        "AUDRB": {"AUDRB", order_b["orderId"], "PO-RB-SECRET", order_b["lines"][0]["reservationId"]},
    }
    for code, other in (("AUDRA", "AUDRB"), ("AUDRB", "AUDRA")):
        caller = trade[code]
        feed = caller.get("/api/v1/events?after=0&limit=500").json()["results"]
        status, streamed = read_stream(caller, "/api/v1/events/stream?after=0")
        assert status == 200
        hooked = [r for r in receiver.requests if r["path"].endswith(f"/{code}")]
        webhook_events = []
        for request in hooked:
            headers = {k.lower(): v for k, v in request["headers"].items()}
            Webhook(secrets[code]).verify(request["body"], headers)
            webhook_events.append(json.loads(request["body"]))
        ids = {e["id"] for e in feed}
        assert ids == {e["id"] for e in streamed} == {e["id"] for e in webhook_events if e["type"] != "webhook.test"}
        by_id = {e["id"]: e for e in feed}
        for copy in [*streamed, *webhook_events]:
            assert copy["data"] == by_id[copy["id"]]["data"]  # one event, one view, whatever the channel
        text = json.dumps(feed)
        leaked = sorted(word for word in secret_of[other] if word in text)
        assert leaked == [], f"{code} learned {leaked}"
        assert any(e["type"] == "batch.recalled" for e in feed) == (code == "AUDRA")  # only AUDRA received SHORT
