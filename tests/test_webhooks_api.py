"""Webhook subscriptions: CRUD, secrets, SSRF refusal, tenancy (API-CONTRACT.md 5.5)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import problem
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event

URL = "https://hooks.example.com/hotsauce"


@pytest.fixture
def public_dns(monkeypatch):
    """Pretend hooks.example.com is a public address: tests never touch real DNS or hosts."""
    import socket

    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def create(caller, url=URL, types=("inventory.updated",), **extra):
    return caller.post("/api/v1/webhooks", {"url": url, "eventTypes": list(types), **extra}, key=None)


def test_creating_a_webhook_shows_a_whsec_secret_once(supplier_caller, public_dns):
    response = create(supplier_caller, description="ERP")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("wh_")
    assert body["url"] == URL and body["eventTypes"] == ["inventory.updated"] and body["description"] == "ERP"
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"][len("whsec_"):])) == 32

    detail = supplier_caller.get(f"/api/v1/webhooks/{body['id']}")
    assert detail.status_code == 200
    assert "secret" not in detail.json()
    listed = supplier_caller.get("/api/v1/webhooks").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook",
    "https://10.0.0.5/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.1.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:10.0.0.5]/hook",
    "https://localhost/hook",
])
def test_private_loopback_and_metadata_urls_are_refused(supplier_caller, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = create(supplier_caller, url=url)
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "url"
    assert not Endpoint.objects.exists()


def test_hostname_resolving_to_a_private_address_is_refused(supplier_caller, settings, monkeypatch):
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))])
    response = create(supplier_caller, url="https://innocent.example.net/hook")
    assert problem(response)["errors"][0]["field"] == "url"
    assert not Endpoint.objects.exists()


def test_plain_http_is_refused_unless_private_urls_are_allowed(supplier_caller, settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert create(supplier_caller, url="http://hooks.example.com/h").status_code == 400
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert create(supplier_caller, url="http://127.0.0.1:9/h").status_code == 201


def test_unknown_event_type_or_field_is_a_400_naming_it(supplier_caller, public_dns):
    body = problem(create(supplier_caller, types=["inventory.updatd"]))
    assert body["errors"][0]["field"] == "eventTypes"
    body = problem(supplier_caller.post("/api/v1/webhooks", {"url": URL, "eventTypes": ["*"], "secret": "x"}))
    assert body["errors"][0]["field"] == "secret"
    assert not Endpoint.objects.exists()


def test_webhooks_need_the_manage_scope(sandbox, make_caller, public_dns):
    caller = make_caller("supplier", "SUP123", scopes=["inventory:read"])
    assert problem(create(caller))["code"] == "insufficient_scope"
    assert caller.get("/api/v1/webhooks").status_code == 403


def test_another_partners_webhook_is_not_found(supplier_caller, other_supplier_caller, retailer_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    for caller in (other_supplier_caller, retailer_caller):
        assert caller.get(f"/api/v1/webhooks/{hook}").status_code == 404
        assert caller.patch(f"/api/v1/webhooks/{hook}", {"description": "x"}).status_code == 404
        assert caller.delete(f"/api/v1/webhooks/{hook}").status_code == 404
        assert caller.post(f"/api/v1/webhooks/{hook}/rotateSecret").status_code == 404
        assert caller.get(f"/api/v1/webhooks/{hook}/deliveries").status_code == 404
        assert caller.get("/api/v1/webhooks").json()["results"] == []
    assert Endpoint.objects.get(public_id=hook).description == ""


def test_patch_changes_filters_and_delete_removes(supplier_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    response = supplier_caller.patch(f"/api/v1/webhooks/{hook}", {"eventTypes": ["*"], "description": "all"})
    assert response.status_code == 200, response.content
    assert response.json()["eventTypes"] == ["*"]
    assert problem(supplier_caller.patch(f"/api/v1/webhooks/{hook}", {"url": "https://10.1.2.3/"}))["errors"][0][
        "field"] == "url"
    assert supplier_caller.delete(f"/api/v1/webhooks/{hook}").status_code == 204
    assert supplier_caller.get(f"/api/v1/webhooks/{hook}").status_code == 404


def test_rotating_the_secret_returns_a_new_one_and_keeps_the_old_for_24h(supplier_caller, public_dns):
    created = create(supplier_caller).json()
    response = supplier_caller.post(f"/api/v1/webhooks/{created['id']}/rotateSecret")
    assert response.status_code == 200
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    endpoint = Endpoint.objects.get(public_id=created["id"])
    assert endpoint.previous_secret == created["secret"]
    remaining = endpoint.previous_secret_expires_at - timezone.now()
    assert timedelta(hours=23) < remaining <= timedelta(hours=24)


def test_test_endpoint_queues_a_webhook_test_delivery_for_that_endpoint_only(supplier_caller, public_dns):
    first = create(supplier_caller, types=["*"]).json()["id"]
    create(supplier_caller, types=["*"])
    response = supplier_caller.post(f"/api/v1/webhooks/{first}/test")
    assert response.status_code == 202, response.content
    assert response.json()["eventType"] == "webhook.test"
    deliveries = Delivery.objects.select_related("event", "endpoint")
    assert [(d.endpoint.public_id, d.event.type, d.state) for d in deliveries] == [
        (first, "webhook.test", "pending")]


def test_movements_create_deliveries_only_for_subscribed_endpoints_of_the_audience(
        supplier_caller, other_supplier_caller, retailer_caller, unrelated_retailer_caller, public_dns):
    mine = create(supplier_caller).json()["id"]
    other = create(other_supplier_caller, types=["*"]).json()["id"]
    trading = create(retailer_caller, types=["inventory.updated"]).json()["id"]
    unrelated = create(unrelated_retailer_caller, types=["*"]).json()["id"]
    orders_only = create(supplier_caller, types=["order.created"]).json()["id"]
    response = supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "reservation", "quantity": 3},
                                    key="res-1")
    assert response.status_code in (200, 201), response.content
    event = Event.objects.filter(type="inventory.updated").latest("sequence")
    receivers = set(Delivery.objects.filter(event=event).values_list("endpoint__public_id", flat=True))
    assert receivers == {mine, trading}
    assert not receivers & {other, unrelated, orders_only}


def test_recover_resends_failed_deliveries_since_a_time(supplier_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "reservation", "quantity": 1}, key="r1")
    Delivery.objects.update(state=Delivery.State.FAILED, next_attempt_at=None, cycle_attempts=10, attempts=10)
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = supplier_caller.post(f"/api/v1/webhooks/{hook}/recover", {"since": since})
    assert response.status_code == 202, response.content
    assert response.json() == {"recovered": 1}
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.cycle_attempts, delivery.attempts) == ("pending", 0, 10)
    assert problem(supplier_caller.post(f"/api/v1/webhooks/{hook}/recover", {"since": "yesterday"}))["errors"][0][
        "field"] == "since"


def test_deliveries_list_rejects_unknown_filters(supplier_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    assert supplier_caller.get(f"/api/v1/webhooks/{hook}/deliveries?status=failed").status_code == 200
    assert problem(supplier_caller.get(f"/api/v1/webhooks/{hook}/deliveries?status=pending"))["errors"][0][
        "field"] == "status"
    assert supplier_caller.get(f"/api/v1/webhooks/{hook}/deliveries?colour=red").status_code == 400


def test_deliveries_list_shows_every_attempt_with_a_query_count_independent_of_page_size(supplier_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    for i in range(6):
        supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "reservation", "quantity": 1},
                             key=f"q{i}")
    for delivery in Delivery.objects.all():
        DeliveryAttempt.objects.create(delivery=delivery, number=1, attempted_at=timezone.now(), status_code=500,
                                       latency_ms=3, error="HTTP 500")
    supplier_caller.get(f"/api/v1/webhooks/{hook}/deliveries?limit=1")
    counts = []
    for limit in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            body = supplier_caller.get(f"/api/v1/webhooks/{hook}/deliveries?limit={limit}").json()
        assert len(body["results"]) == limit
        counts.append(len(queries))
    row = body["results"][0]
    assert (row["attempt"], row["statusCode"], row["latencyMs"], row["error"], row["status"]) == (
        1, 500, 3, "HTTP 500", "failed")
    assert row["eventId"].startswith("evt_") and row["deliveryStatus"] == "pending"
    assert counts[0] == counts[1]


def test_a_retailers_webhook_never_gets_another_retailers_orders(retailer_caller, unrelated_retailer_caller,
                                                                 brand_caller, public_dns):
    from django.db import transaction

    from partners.models import RetailPartner, Supplier
    from webhooks.services import event_emit

    mine = create(retailer_caller, types=["*"]).json()["id"]
    unrelated = create(unrelated_retailer_caller, types=["*"]).json()["id"]
    brand = create(brand_caller, types=["order.created"]).json()["id"]
    sup = Supplier.objects.get(code="SUP123")
    with transaction.atomic():
        theirs = event_emit(type="order.created", data={"order_id": "O-1"}, supplier_ids=[sup.pk],
                            retail_partner_ids=[RetailPartner.objects.get(code="RETAIL500").pk])
        own = event_emit(type="order.created", data={"order_id": "O-2"}, supplier_ids=[sup.pk],
                         retail_partner_ids=[RetailPartner.objects.get(code="RETAIL456").pk])
    receivers = {
        event.event_id: set(Delivery.objects.filter(event=event).values_list("endpoint__public_id", flat=True))
        for event in (theirs, own)
    }
    assert receivers[theirs.event_id] == {brand}
    assert receivers[own.event_id] == {mine, brand}
    assert unrelated not in receivers[own.event_id] | receivers[theirs.event_id]


def test_event_types_default_to_everything(supplier_caller, public_dns):
    response = supplier_caller.post("/api/v1/webhooks", {"url": URL})
    assert response.status_code == 201, response.content
    assert response.json()["eventTypes"] == ["*"]
    assert problem(supplier_caller.post("/api/v1/webhooks", {"url": URL, "eventTypes": []}))["errors"][0][
        "field"] == "eventTypes"


def test_disabling_keeps_other_changes_and_fails_pending_deliveries(supplier_caller, public_dns):
    hook = create(supplier_caller).json()["id"]
    supplier_caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": "reservation", "quantity": 1}, key="d1")
    response = supplier_caller.patch(f"/api/v1/webhooks/{hook}", {"description": "paused", "enabled": False})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["enabled"], body["description"]) == (False, "paused")
    assert body["disabledReason"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}
    assert problem(supplier_caller.post(f"/api/v1/webhooks/{hook}/test"))["code"] == "invalid_state"
    body = supplier_caller.patch(f"/api/v1/webhooks/{hook}", {"enabled": True}).json()
    assert (body["enabled"], body["disabledReason"], body["description"]) == (True, "", "paused")


@pytest.mark.parametrize("url", ["not a url", "https://", "ftp://hooks.example.com/x", "https://exa mple.com/"])
def test_malformed_urls_are_a_400_on_url(supplier_caller, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert problem(create(supplier_caller, url=url))["errors"][0]["field"] == "url"
