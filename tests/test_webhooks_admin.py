"""Staff see deliveries and their attempts in the admin and can re-send them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from tests import factories
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services import event_emit


@pytest.fixture
def failed_delivery(db):
    supplier = factories.supplier()
    endpoint = Endpoint.objects.create(public_id="wh_ADMIN", owner_kind="supplier", owner_id=supplier.pk,
                                       url="https://hooks.example.com/h", event_types=["*"], secret="whsec_x")
    with transaction.atomic():
        event = event_emit(type="inventory.updated", data={"n": 1}, supplier_ids=[supplier.pk])
    delivery = Delivery.objects.get(event=event, endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=10, cycle_attempts=10,
                                                   next_attempt_at=None, last_status_code=503)
    DeliveryAttempt.objects.create(delivery=delivery, number=10, attempted_at=timezone.now(), status_code=503,
                                   latency_ms=12, error="HTTP 503")
    return delivery


def test_staff_see_deliveries_and_attempts(admin_client, failed_delivery):
    listing = admin_client.get("/admin/webhooks/delivery/")
    assert listing.status_code == 200
    assert b"wh_ADMIN" in listing.content
    detail = admin_client.get(f"/admin/webhooks/delivery/{failed_delivery.pk}/change/")
    assert detail.status_code == 200 and b"HTTP 503" in detail.content


def test_staff_can_resend_a_failed_delivery(admin_client, failed_delivery):
    response = admin_client.post("/admin/webhooks/delivery/", {
        "action": "resend", "_selected_action": [failed_delivery.pk]})
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert (failed_delivery.state, failed_delivery.cycle_attempts, failed_delivery.attempts) == ("pending", 0, 10)
    assert failed_delivery.next_attempt_at is not None


def test_endpoint_admin_never_shows_the_secret(admin_client, failed_delivery):
    page = admin_client.get(f"/admin/webhooks/endpoint/{failed_delivery.endpoint_id}/change/")
    assert page.status_code == 200 and b"whsec_x" not in page.content


def test_staff_enable_an_endpoint_through_the_service(admin_client, failed_delivery):
    endpoint = failed_delivery.endpoint
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason="410", failing_since=timezone.now())
    response = admin_client.post("/admin/webhooks/endpoint/", {"action": "enable", "_selected_action": [endpoint.pk]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None and endpoint.disabled_reason == ""
