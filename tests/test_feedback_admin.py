"""Staff triage of discrepancies in the admin: the queue, filters, assignment, CSV export, thread and resolutions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from inventory.models import InventoryTransaction, Product
from inventory.services.reconcile import reconcile
from orders.feedback import services
from orders.feedback.models import Discrepancy
from orders.models import Order
from orders.services import LineRequest, order_create, shipment_create
from partners.models import AuthAuditLog, RetailPartner, Supplier
from partners.staff_roles import AUDITOR, INVENTORY_MANAGER
from webhooks.models import Event

QUEUE = "/admin/feedback/discrepancy/"


def staff(role: str) -> tuple[Client, User]:
    user = User.objects.create_user(role.replace(" ", "_"), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def queue(sandbox):
    """Two discrepancies from one short, damaged receipt and one delay; the shortage is overdue."""
    supplier, retailer = Supplier.objects.get(code="SUP123"), RetailPartner.objects.get(code="RETAIL456")
    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=supplier, retail_partner=retailer, lines=[LineRequest(product, 12)])
    shipment = shipment_create(order=order)
    services.receipt_confirm(shipment=shipment, actor=None, lines=[services.ReceiptLineRequest(
        product=product, batch_number="BATCH202406", received_quantity=10, damaged_quantity=1)])
    services.discrepancy_open(actor=None, request=services.DiscrepancyRequest(
        kind="delay", retail_partner=retailer, order=order, description="Arrived a day late."))
    shortage = Discrepancy.objects.get(kind="shortage")
    Discrepancy.objects.filter(pk=shortage.pk).update(due_at=timezone.now() - timedelta(hours=1),
                                                      opened_at=timezone.now() - timedelta(days=4))
    return {kind: Discrepancy.objects.get(kind=kind) for kind in ("shortage", "damage", "delay")}


def codes(page: str, queue) -> list[str]:
    return sorted(kind for kind, d in queue.items() if d.code in page)


def test_the_queue_filters_by_kind_partner_age_overdue_and_assignment(queue):
    client, user = staff(INVENTORY_MANAGER)
    page = client.get(QUEUE).content.decode()
    assert codes(page, queue) == ["damage", "delay", "shortage"]
    assert codes(client.get(QUEUE + "?overdue=yes").content.decode(), queue) == ["shortage"]
    assert codes(client.get(QUEUE + "?kind__exact=delay").content.decode(), queue) == ["delay"]
    assert codes(client.get(QUEUE + "?age=3-7d").content.decode(), queue) == ["shortage"]
    assert codes(client.get(QUEUE + "?age=1d").content.decode(), queue) == ["damage", "delay"]
    retailer = RetailPartner.objects.get(code="RETAIL456").pk
    assert codes(client.get(QUEUE + f"?retail_partner__id__exact={retailer}").content.decode(), queue) == [
        "damage", "delay", "shortage"]
    assert codes(client.get(QUEUE + "?retail_partner__id__exact=999999").content.decode(), queue) == []
    response = client.post(QUEUE, {"action": "assign_to_me", "_selected_action": [queue["delay"].pk]})
    assert response.status_code == 302
    assert Discrepancy.objects.get(pk=queue["delay"].pk).assigned_to == user
    assert codes(client.get(QUEUE + "?assigned=me").content.decode(), queue) == ["delay"]
    assert codes(client.get(QUEUE + "?assigned=nobody").content.decode(), queue) == ["damage", "shortage"]
    # Closed ones leave the default queue.
    services.discrepancy_resolve(discrepancy=queue["delay"], actor=None,
                                 request=services.ResolutionRequest(resolution="noAction"))
    assert codes(client.get(QUEUE).content.decode(), queue) == ["damage", "shortage"]
    assert codes(client.get(QUEUE + "?queue=closed").content.decode(), queue) == ["delay"]


def test_csv_export_keeps_the_filters(queue):
    client, _ = staff(AUDITOR)
    response = client.get(QUEUE + "export/?overdue=yes")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["discrepancyId"], r["kind"], r["overdue"], r["quantity"], r["retailPartnerId"]) for r in rows] == [
        (queue["shortage"].code, "shortage", "yes", "2", "RETAIL456")]
    everything = b"".join(client.get(QUEUE + "export/").streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 3
    selected = client.post(QUEUE, {"action": "export_csv", "_selected_action": [queue["damage"].pk]})
    assert queue["damage"].code in b"".join(selected.streaming_content).decode()


def test_staff_write_acknowledge_and_resolve_with_a_stock_adjustment_through_the_services(queue):
    client, user = staff(INVENTORY_MANAGER)
    shortage = queue["shortage"]
    page = client.get(f"{QUEUE}{shortage.pk}/change/").content.decode()
    assert 'id="overdue-note"' in page and 'id="action-resolve"' in page
    response = client.post(f"{QUEUE}{shortage.pk}/message/", {"body": "Checking with the warehouse."})
    assert response.status_code == 302
    shortage.refresh_from_db()
    assert shortage.status == "acknowledged"  # the brand answering acknowledges
    assert shortage.messages.get().author_kind == "brand" and shortage.messages.get().author_user == user
    bad = client.post(f"{QUEUE}{shortage.pk}/resolve/", {"resolution": "stockAdjustment", "quantity": -10**6})
    assert bad.status_code == 200 and "errornote" in bad.content.decode()
    before = InventoryTransaction.objects.count()
    response = client.post(f"{QUEUE}{shortage.pk}/resolve/", {"resolution": "stockAdjustment", "note": "Counted."})
    assert response.status_code == 302, response.content.decode()[:2000]
    shortage.refresh_from_db()
    assert (shortage.status, shortage.resolution, shortage.resolution_quantity) == ("resolved", "stockAdjustment", 2)
    row = InventoryTransaction.objects.get(reference=shortage.code)
    assert InventoryTransaction.objects.count() == before + 1 and row.actor_user == user and row.quantity == 2
    assert reconcile() == []
    assert AuthAuditLog.objects.filter(event="staff_stock_change", detail__contains=shortage.code).exists()
    assert list(Event.objects.filter(data__discrepancyId=shortage.code).order_by("sequence")
                .values_list("type", flat=True)) == ["discrepancy.opened", "discrepancy.updated",
                                                     "discrepancy.resolved"]


def test_staff_replace_reject_and_assign(queue):
    client, user = staff(INVENTORY_MANAGER)
    damage, delay = queue["damage"], queue["delay"]
    assert client.post(f"{QUEUE}{damage.pk}/acknowledge/").status_code == 302
    response = client.post(f"{QUEUE}{damage.pk}/resolve/", {"resolution": "replacement", "note": "New bottle."})
    assert response.status_code == 302
    damage.refresh_from_db()
    assert damage.replacement_order.lines.get().quantity == 1
    assert Order.objects.filter(reference=f"replacement for {damage.code}").count() == 1
    assert client.post(f"{QUEUE}{delay.pk}/reject/", {"note": ""}).status_code == 200  # a note is required
    assert client.post(f"{QUEUE}{delay.pk}/reject/", {"note": "Delivered on the date."}).status_code == 302
    delay.refresh_from_db()
    assert delay.status == "rejected"
    assert client.post(f"{QUEUE}{delay.pk}/assign/", {"user": user.pk}).status_code == 302
    assert Discrepancy.objects.get(pk=delay.pk).assigned_to == user


def test_an_auditor_reads_the_queue_but_cannot_triage(queue):
    client, _ = staff(AUDITOR)
    shortage = queue["shortage"]
    assert client.get(QUEUE).status_code == 200
    page = client.get(f"{QUEUE}{shortage.pk}/change/").content.decode()
    assert 'id="action-resolve"' not in page
    for action in ("message", "resolve", "reject", "assign", "acknowledge"):
        assert client.post(f"{QUEUE}{shortage.pk}/{action}/", {"note": "x", "body": "x"}).status_code == 403
    client.post(QUEUE, {"action": "assign_to_me", "_selected_action": [shortage.pk]})
    shortage.refresh_from_db()
    assert shortage.status == "open" and shortage.assigned_to is None and not shortage.messages.exists()
