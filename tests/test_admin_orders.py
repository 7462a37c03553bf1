"""Orders, shipments, the returns queue and recalls in the admin, through orders.services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from inventory.models import Batch, InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Order, Recall, Return, ReturnLine
from orders.services import LineRequest, ReturnLineRequest, order_create, return_create, shipment_create
from partners.models import AuthAuditLog, RetailPartner, Supplier
from partners.staff_roles import AUDITOR, INVENTORY_MANAGER, RETURNS_CLERK

QUEUE = "/admin/orders/return/"


def staff_client(role: str) -> tuple[Client, User]:
    user = User.objects.create_user(role.replace(" ", "_"), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


def shipped_order(quantity: int = 30) -> Order:
    supplier = Supplier.objects.get(code="SUP123")
    retailer = RetailPartner.objects.get(code="RETAIL456")
    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=supplier, retail_partner=retailer, lines=[LineRequest(product, quantity)],
                         reference="PO-STAFF")
    shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    return order


def requested_return(order: Order) -> Return:
    product = Product.objects.get(sku="HOTSAUCE789")
    return return_create(supplier=order.supplier, retail_partner=order.retail_partner, order=order, lines=[
        ReturnLineRequest(product, "BATCH202406", 4, "customer_return"),
        ReturnLineRequest(product, "BATCH202406", 3, "quality"),
        ReturnLineRequest(product, "BATCH202406", 2, "damaged")])


def lot() -> StockLot:
    return StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")


@pytest.fixture
def open_return(sandbox):
    return requested_return(shipped_order())


def process(client, ret: Return, dispositions: list[str]):
    lines = list(ret.lines.order_by("id"))
    data = {f"disposition_{line.pk}": d for line, d in zip(lines, dispositions, strict=True)}
    return client.post(f"{QUEUE}{ret.pk}/process/", data)


def test_the_returns_queue_lists_requested_returns_by_default(open_return):
    client, _ = staff_client(RETURNS_CLERK)
    done = requested_return(Order.objects.get())
    Return.objects.filter(pk=done.pk).update(status="received")
    page = client.get(QUEUE).content.decode()
    assert open_return.code in page and done.code not in page
    assert "Process" in page
    assert done.code in client.get(QUEUE, {"queue": "all"}).content.decode()


def test_a_returns_clerk_processes_three_dispositions_through_the_service(open_return):
    client, user = staff_client(RETURNS_CLERK)
    before = lot()
    form = client.get(f"{QUEUE}{open_return.pk}/process/")
    assert form.status_code == 200 and "writeOff" in form.content.decode()
    response = process(client, open_return, ["restock", "quarantine", "writeOff"])
    assert response.status_code == 302, response.content.decode()[:3000]
    after = lot()
    assert after.on_hand - before.on_hand == 4 + 3
    assert after.quarantined - before.quarantined == 3
    open_return.refresh_from_db()
    assert open_return.status == "received"
    assert sorted(ReturnLine.objects.filter(ret=open_return).values_list("disposition", flat=True)) == [
        "quarantine", "restock", "writeOff"]
    rows = InventoryTransaction.objects.filter(type="return", reference=open_return.code)
    assert rows.count() == 3 and set(rows.values_list("actor_user_id", flat=True)) == {user.pk}
    assert AuthAuditLog.objects.filter(event="staff_stock_change", user=user, success=True).exists()
    assert reconcile() == []


def test_a_return_may_be_processed_line_by_line(open_return):
    client, _ = staff_client(RETURNS_CLERK)
    assert process(client, open_return, ["restock", "", ""]).status_code == 302
    open_return.refresh_from_db()
    assert open_return.status == "partially_received"
    nothing = client.post(f"{QUEUE}{open_return.pk}/process/", {})
    assert nothing.status_code == 200 and "at least one line" in nothing.content.decode()


def test_an_auditor_cannot_process_a_return(open_return):
    client, _ = staff_client(AUDITOR)
    assert client.get(f"{QUEUE}{open_return.pk}/process/").status_code == 403
    assert process(client, open_return, ["restock", "restock", "restock"]).status_code == 403
    open_return.refresh_from_db()
    assert open_return.status == "requested"
    assert "process-return" not in client.get(QUEUE).content.decode()


def test_orders_show_their_allocations_and_shipments_their_tracking(sandbox):
    supplier = Supplier.objects.get(code="SUP123")
    retailer = RetailPartner.objects.get(code="RETAIL456")
    open_order = order_create(supplier=supplier, retail_partner=retailer,
                              lines=[LineRequest(Product.objects.get(sku="HOTSAUCE789"), 12)])
    shipped = shipped_order(5)
    client, _ = staff_client(AUDITOR)
    page = client.get(f"/admin/orders/order/{open_order.pk}/change/").content.decode()
    assert "BATCH202406" in page and "Warehouse_A" in page and ">12<" in page
    shipped_page = client.get(f"/admin/orders/order/{shipped.pk}/change/").content.decode()
    assert "1Z999AA10123456784" in shipped_page
    listing = client.get("/admin/orders/shipment/", {"q": "1Z999AA10123456784"}).content.decode()
    assert shipped.code in listing and "UPS" in listing


def test_recall_asks_for_a_reason_then_shows_which_retailers_got_how_many(sandbox):
    order = shipped_order(30)
    client, user = staff_client(INVENTORY_MANAGER)
    batch = Batch.objects.get(batch_number="BATCH202406")
    action = {"action": "recall", "_selected_action": [batch.pk]}
    preview = client.post("/admin/inventory/batch/", action).content.decode()
    assert "RETAIL456" in preview and ">30<" in preview and 'name="reason"' in preview
    no_reason = client.post("/admin/inventory/batch/", {**action, "apply": "yes", "reason": ""})
    assert no_reason.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "released"

    done = client.post("/admin/inventory/batch/", {**action, "apply": "yes", "reason": "Listeria on line 3"})
    page = done.content.decode()
    assert done.status_code == 200 and "who must be told" in page
    assert "RETAIL456" in page and ">30<" in page
    batch.refresh_from_db()
    assert batch.status == "recalled"
    recall = Recall.objects.get(batch=batch)
    assert recall.reason == "Listeria on line 3"
    assert list(recall.notices.values_list("retail_partner__code", "shipped_quantity")) == [("RETAIL456", 30)]
    assert AuthAuditLog.objects.filter(event="staff_stock_change", user=user, detail__contains="recall").exists()
    batch_page = client.get(f"/admin/inventory/batch/{batch.pk}/change/").content.decode()
    assert "Listeria on line 3" in batch_page and "RETAIL456" in batch_page
    assert order.pk and reconcile() == []


def test_a_returns_clerk_cannot_recall(sandbox):
    client, _ = staff_client(RETURNS_CLERK)
    batch = Batch.objects.get(batch_number="BATCH202406")
    client.post("/admin/inventory/batch/", {"action": "recall", "_selected_action": [batch.pk], "apply": "yes",
                                            "reason": "x"})
    batch.refresh_from_db()
    assert batch.status == "released" and not Recall.objects.exists()
