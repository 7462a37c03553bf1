"""The Python SDK's retries and idempotency against the live server (uvicorn on the test database)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from partners.models import ApiClient
from tests.sdk_support import BASE_DIR, LiveServer, seed_credentials

sys.path.insert(0, str(BASE_DIR / "sdks" / "python"))

from hotsauce_sdk import HotSauce, RateLimited  # noqa: E402

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Recording(httpx.HTTPTransport):
    """A real HTTP transport that remembers every attempt the SDK makes."""

    def __init__(self):
        super().__init__()
        self.attempts: list[tuple[float, str, str, str | None, int, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.attempts.append((time.monotonic(), request.method, request.url.path,
                              request.headers.get("Idempotency-Key"), response.status_code,
                              response.headers.get("Retry-After")))
        return response

    def api(self, method: str) -> list:
        return [a for a in self.attempts if a[1] == method and a[2].startswith("/api/")]


@pytest.fixture
def live(tmp_path):
    credentials = seed_credentials(tmp_path)
    server = LiveServer().start()
    yield server.url, credentials
    server.stop()


def _order_body(reference: str) -> dict:
    return {"supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789", "quantity": 2}],
            "deliveryAddress": "FreshMart DC, 1 Market St", "reference": reference}


def _slow_client(base: str, credentials: Path, transport: httpx.BaseTransport) -> HotSauce:
    client = HotSauce.from_credentials_file(base, credentials, partner_id="RETAIL456", kind="retailer",
                                            transport=transport)
    # One call per second for this client: the server answers the next one 429 with Retry-After: 1.
    ApiClient.objects.filter(client_id=client._transport.tokens._id).update(rate_limit="1/s")
    return client


def test_a_429_with_retry_after_is_retried_after_a_second_with_the_same_key(live):
    base, credentials = live
    transport = Recording()
    client = _slow_client(base, credentials, transport)
    client.get("inventory/SUP123/HOTSAUCE789")  # opens the one-second window
    order = client.post("orders", _order_body("PO-RETRY"))
    assert order["orderId"].startswith("ORD-")
    posts = transport.api("POST")
    assert [a[4] for a in posts] == [429, 201]
    assert posts[0][5] == "1"
    assert posts[1][0] - posts[0][0] >= 1.0
    assert posts[0][3] and posts[0][3] == posts[1][3]  # the retry is the same request: same key
    orders = client.get("orders", reference="PO-RETRY")["results"]
    assert len(orders) == 1  # and it ordered once


def test_a_write_without_its_key_is_never_retried(live):
    base, credentials = live
    transport = Recording()
    client = _slow_client(base, credentials, transport)
    client.get("inventory/SUP123/HOTSAUCE789")
    with pytest.raises(RateLimited) as caught:
        client.post("webhooks", {"url": "https://example.com/hook", "eventTypes": ["*"]}, idempotency_key=None)
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    posts = transport.api("POST")
    assert len(posts) == 1 and posts[0][3] is None


def test_a_replayed_write_returns_the_first_answer(live):
    base, credentials = live
    client = HotSauce.from_credentials_file(base, credentials, partner_id="RETAIL456", kind="retailer")
    first = client.request("POST", "orders", json=_order_body("PO-REPLAY"), idempotency_key="replay-key-1")
    again = client.request("POST", "orders", json=_order_body("PO-REPLAY"), idempotency_key="replay-key-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content
    assert len(client.get("orders", reference="PO-REPLAY")["results"]) == 1


def test_problems_pages_events_and_generated_operations(live):
    from hotsauce_sdk import NotFound, ValidationError
    from hotsauce_sdk._generated.api.inventory import get_inventory_item
    from hotsauce_sdk._generated.models import InventoryItem

    base, credentials = live
    client = HotSauce.from_credentials_file(base, credentials, partner_id="RETAIL456", kind="retailer")
    # The generated operations go through the same transport (token fetched by the SDK).
    item = get_inventory_item.sync("SUP123", "HOTSAUCE789", client=client.api)
    assert isinstance(item, InventoryItem)
    assert item.available_quantity == client.get("inventory/SUP123/HOTSAUCE789")["availableQuantity"]
    since = client.get("events", after=0, limit=500)["nextAfter"]
    with pytest.raises(NotFound) as missing:
        client.get("orders/ORD-999999")
    assert missing.value.code == "not_found" and missing.value.request_id
    with pytest.raises(ValidationError) as bad:
        client.post("orders", {"supplierId": "SUP123", "lines": []})
    assert bad.value.status == 400 and bad.value.errors
    for n in range(3):
        client.post("orders", _order_body(f"PO-PAGE-{n}"))
    pages = list(client.paginate("orders", limit=1))
    assert len(pages) == client.get("orders", limit=500)["results"].__len__() >= 3

    # SSE: two events after `since`, then a new connection resumes after the last one seen.
    stream = client.events(last_event_id=since)
    events = iter(stream)
    first, second = next(events), next(events)
    events.close()
    assert since < first.data["sequence"] < second.data["sequence"]
    assert stream.last_event_id == str(second.data["sequence"]) == second.id
    resumed = iter(client.events(last_event_id=stream.last_event_id))
    third = next(resumed)
    resumed.close()
    assert third.data["sequence"] > second.data["sequence"]
