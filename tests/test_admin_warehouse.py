"""An admin a warehouse manager trusts (issue 13): numbers that add up, History, dates, roles, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Order, Recall, RecallNotice, Return, ReturnLine
from orders.services import (
    LineRequest,
    ReceiveLineRequest,
    ReturnLineRequest,
    order_create,
    return_create,
    return_receive,
    shipment_create,
)
from partners.models import RetailPartner, Supplier
from partners.staff_roles import AUDITOR, INVENTORY_MANAGER, RETURNS_CLERK

BATCHES = "/admin/inventory/batch/"
MOVE = "/admin/inventory/inventoryitem/move/"


def staff(role: str | None = None, *, superuser: bool = False) -> tuple[Client, User]:
    name = "root" if superuser else role.replace(" ", "_")
    user = (User.objects.create_superuser(name, f"{name}@example.com", "pw") if superuser
            else User.objects.create_user(name, password="pw", is_staff=True))
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


def history(obj) -> list[str]:
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
    return [entry.get_change_message() for entry in entries.order_by("id")]


def cells(html: str, row_marker: str) -> dict[str, str]:
    """The changelist cells (field-<name> -> text) of the row that contains ``row_marker``."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        if row_marker in row:
            return {name: re.sub(r"<[^>]+>", "", text).strip()
                    for name, text in re.findall(r'class="field-([\w_]+)[^"]*">(.*?)</t[dh]>', row, re.S)}
    raise AssertionError(f"no row with {row_marker}")


def shipped_order(quantity: int = 30) -> Order:
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"),
                         lines=[LineRequest(Product.objects.get(sku="HOTSAUCE789"), quantity)])
    shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    return order


def a_return(order: Order, quantity: int = 10) -> Return:
    return return_create(supplier=order.supplier, retail_partner=order.retail_partner, order=order,
                         lines=[ReturnLineRequest(Product.objects.get(sku="HOTSAUCE789"), "BATCH202406", quantity,
                                                  "customer_return")])


@pytest.fixture
def manager(sandbox):
    return staff(INVENTORY_MANAGER)


# --- numbers that add up --------------------------------------------------------------


def test_every_stock_screen_shows_on_hold_and_on_hand_is_reserved_plus_on_hold_plus_available(manager):
    client, _ = manager
    order = shipped_order(30)
    ret = a_return(order, 10)
    return_receive(ret=ret, lines=[ReceiveLineRequest(ret.lines.get().code, "quarantine")])
    # BATCH202406 in Warehouse_A: 500 - 30 shipped + 10 back on hold = 480 on hand, 50 reserved.
    batch_row = cells(client.get(BATCHES).content.decode(), "BATCH202406")
    numbers = {k: int(batch_row[k]) for k in ("on_hand", "reserved", "on_hold", "available")}
    assert numbers == {"on_hand": 480, "reserved": 50, "on_hold": 10, "available": 420}

    item = InventoryItem.objects.get(product__sku="HOTSAUCE789", supplier__code="SUP123")
    item_row = cells(client.get("/admin/inventory/inventoryitem/").content.decode(), f"{item.pk}/change/")
    assert [int(item_row[k]) for k in ("on_hand", "reserved", "on_hold", "available")] == [480, 50, 10, 420]

    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    lot_row = cells(client.get("/admin/inventory/stocklot/").content.decode(), f"{lot.pk}/change/")
    assert lot_row["status"] == "released"
    assert [int(lot_row[k]) for k in ("on_hand", "reserved", "on_hold", "available")] == [480, 50, 10, 420]

    batch = Batch.objects.get(batch_number="BATCH202406")
    page = client.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert "on hand = reserved + on hold + available" in page and "field-on_hold" in page


def test_a_held_batch_never_shows_a_green_days_left_badge(manager):
    client, _ = manager
    Batch.objects.filter(batch_number="BATCH202406").update(status="recalled")
    Batch.objects.filter(batch_number="B102-02").update(status="quarantined")
    page = client.get(BATCHES).content.decode()
    recalled, held = cells(page, "BATCH202406"), cells(page, "B102-02")
    assert recalled["expires"].endswith("not for sale") and recalled["status_badge"] == "recalled"
    assert held["expires"].endswith("not for sale")
    assert (recalled["available"], recalled["on_hold"]) == ("0", "450")
    row = re.search(r"<tr>(?:(?!</tr>).)*BATCH202406.*?</tr>", page, re.S).group(0)
    assert "days-left-ok" not in row and "#2b8a3e" not in row


# --- History --------------------------------------------------------------------------


def test_every_staff_stock_action_lands_in_the_objects_history(manager):
    client, user = manager
    item = InventoryItem.objects.get(product__sku="HOTSAUCE789", supplier__code="SUP123")
    batch = Batch.objects.get(batch_number="BATCH202406")
    form = {"supplier": item.supplier_id, "product": item.product_id, "type": "adjustment", "quantity": -5,
            "warehouse": item.supplier.warehouses.get(code="Warehouse_A").pk, "batch_number": "BATCH202406",
            "reason": "broken seal"}
    assert client.post(MOVE, form).status_code == 302
    lot = StockLot.objects.get(batch=batch, warehouse__code="Warehouse_A")
    item.refresh_from_db()
    count = client.post(f"/admin/inventory/inventoryitem/{item.pk}/count/",
                        {"version": item.version, "reason": "cycle count", f"lot_{lot.pk}": 490})
    assert count.status_code == 302
    client.post(BATCHES, {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes",
                          "reason": "lab check"})
    client.post(BATCHES, {"action": "release", "_selected_action": [batch.pk]})
    client.post(BATCHES, {"action": "recall", "_selected_action": [batch.pk], "apply": "yes",
                          "reason": "Listeria on line 3"})

    item_history = history(item)
    assert any("adjustment -5" in m and "broken seal" in m for m in item_history)
    assert any(m.startswith("count HOTSAUCE789") for m in item_history)
    batch_history = history(batch)
    assert [m.split(":")[0] for m in batch_history] == ["adjustment -5 × HOTSAUCE789 at SUP123 in Warehouse_A "
                                                        "batch BATCH202406", "count HOTSAUCE789 at SUP123",
                                                        "Quarantined", "Released", f"Recalled by {user.username}"]
    recall = Recall.objects.get(batch=batch)
    assert history(recall) == ["Recall started: Listeria on line 3"]
    assert LogEntry.objects.filter(user=user).count() == 2 + 5 + 1  # item, batch, recall


def test_return_processing_lands_in_the_returns_history(sandbox):
    client, _ = staff(RETURNS_CLERK)
    ret = a_return(shipped_order(30), 10)
    line = ret.lines.get()
    assert client.post(f"/admin/orders/return/{ret.pk}/process/",
                       {f"disposition_{line.pk}": "restock"}).status_code == 302
    assert history(ret) == [f"Processed: return {ret.code}: {line.code} restock"]


# --- recalls: who, where, notices -----------------------------------------------------


def test_a_recall_records_who_did_it_and_shows_on_its_batch_with_printable_notices(manager):
    client, user = manager
    shipped_order(30)
    batch = Batch.objects.get(batch_number="BATCH202406")
    done = client.post(BATCHES, {"action": "recall", "_selected_action": [batch.pk], "apply": "yes",
                                 "reason": "Listeria on line 3"}).content.decode()
    recall = Recall.objects.get(batch=batch)
    assert recall.created_by_user == user and recall.recalled_by == f"staff {user.username}"
    notice = RecallNotice.objects.get(recall=recall)
    print_url = f"/admin/orders/recallnotice/{notice.pk}/print/"
    assert print_url in done
    batch_page = client.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert f"by staff {user.username} — Listeria on line 3" in batch_page
    printed = client.get(print_url).content.decode()
    assert "Product recall notice" in printed and "RETAIL456" in printed and "BATCH202406" in printed
    assert "Listeria on line 3" in printed
    assert re.search(r"<td>30</td><td>0</td><td><strong>30</strong></td>", printed)
    assert "1Z999AA10123456784" in printed and "@media print" in printed
    assert f"{recall.recalled_at:%Y-%m-%d %H:%M} UTC by staff {user.username}" in printed


# --- dates ----------------------------------------------------------------------------


def test_the_movement_form_takes_iso_dates_with_a_picker_and_refuses_anything_else(manager):
    client, _ = manager
    item = InventoryItem.objects.get(product__sku="HOTSAUCE789", supplier__code="SUP123")
    page = client.get(MOVE).content.decode()
    assert re.search(r'name="expiration_date"[^>]*class="vDateField"|class="vDateField"[^>]*name="expiration_date"',
                     page)
    assert "admin/js/calendar.js" in page
    form = {"supplier": item.supplier_id, "product": item.product_id, "type": "receipt", "quantity": 12,
            "warehouse": item.supplier.warehouses.get(code="Warehouse_B").pk, "batch_number": "LOT-US-DATE",
            "reason": "inbound"}
    refused = client.post(MOVE, {**form, "expiration_date": "03/01/2027"})
    assert refused.status_code == 200 and "Enter a valid date." in refused.content.decode()
    assert not Batch.objects.filter(batch_number="LOT-US-DATE").exists()
    assert client.post(MOVE, {**form, "expiration_date": "2027-03-01"}).status_code == 302
    batch = Batch.objects.get(batch_number="LOT-US-DATE")
    assert batch.expiration_date == datetime(2027, 3, 1, tzinfo=UTC)
    detail = client.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    assert "2027-03-01" in detail and "March 1, 2027" not in detail and "Mar. 1, 2027" not in detail


def test_admin_dates_are_iso_8601_everywhere(manager):
    client, _ = manager
    ledger = client.get("/admin/inventory/inventorytransaction/").content.decode()
    created = cells(ledger, "BATCH202406")["created_at"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", created), created


# --- confirmation and reasons ---------------------------------------------------------


def test_quarantine_asks_for_a_reason_and_shows_the_numbers_before_and_after(manager):
    client, _ = manager
    batch = Batch.objects.get(batch_number="BATCH202406")
    asked = client.post(BATCHES, {"action": "quarantine", "_selected_action": [batch.pk]}).content.decode()
    assert "Quarantine — confirm" in asked and 'name="reason"' in asked
    # batch, product, on hand, reserved, on hold now, available now, on hold after, available after
    assert re.search(r"<td>BATCH202406</td><td>HOTSAUCE789</td><td>500</td><td>50</td><td>0</td><td>450</td>"
                     r"<td>450</td><td>0</td>", asked)
    no_reason = client.post(BATCHES, {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes",
                                      "reason": " "})
    assert no_reason.status_code == 200 and "This field is required." in no_reason.content.decode()
    batch.refresh_from_db()
    assert batch.status == "released"
    client.post(BATCHES, {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes", "reason": "lab"})
    batch.refresh_from_db()
    assert (batch.status, batch.status_reason) == ("quarantined", "lab")


def test_a_write_off_needs_a_reason_and_a_confirmation(manager):
    client, user = manager
    item = InventoryItem.objects.get(product__sku="HOTSAUCE789", supplier__code="SUP123")
    form = {"supplier": item.supplier_id, "product": item.product_id, "type": "writeOff", "quantity": 7,
            "warehouse": item.supplier.warehouses.get(code="Warehouse_A").pk, "batch_number": "BATCH202406"}
    no_reason = client.post(MOVE, form).content.decode()
    assert "Say why these units leave stock" in no_reason
    asked = client.post(MOVE, {**form, "reason": "crushed pallet"}).content.decode()
    assert "Confirm writeOff" in asked and 'name="confirmed" value="on"' in asked
    assert not InventoryTransaction.objects.filter(actor_user=user).exists()
    assert client.post(MOVE, {**form, "reason": "crushed pallet", "confirmed": "on"}).status_code == 302
    row = InventoryTransaction.objects.get(actor_user=user)
    assert (row.type, row.on_hand_delta, row.reason) == ("writeOff", -7, "crushed pallet")
    assert reconcile() == []


# --- split returns --------------------------------------------------------------------


def test_a_return_line_is_split_across_dispositions_and_the_stock_follows(sandbox):
    client, user = staff(RETURNS_CLERK)
    ret = a_return(shipped_order(30), 10)
    line = ret.lines.get()
    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    url = f"/admin/orders/return/{ret.pk}/process/"
    bad = client.post(url, {f"restock_{line.pk}": 6, f"quarantine_{line.pk}": 3, f"writeoff_{line.pk}": 2})
    assert bad.status_code == 200 and "The split adds up to 11; the line has 10 units." in bad.content.decode()
    both = client.post(url, {f"disposition_{line.pk}": "restock", f"restock_{line.pk}": 10})
    assert "not both" in both.content.decode()
    assert client.post(url, {f"restock_{line.pk}": 6, f"quarantine_{line.pk}": 3,
                             f"writeoff_{line.pk}": 1}).status_code == 302
    parts = sorted(ReturnLine.objects.filter(ret=ret).values_list("code", "disposition", "quantity"))
    assert parts == [(line.code, "restock", 6), (f"{ret.code}-2", "quarantine", 3), (f"{ret.code}-3", "writeOff", 1)]
    after = StockLot.objects.get(pk=lot.pk)
    assert (after.on_hand - lot.on_hand, after.quarantined - lot.quarantined) == (9, 3)
    rows = InventoryTransaction.objects.filter(type="return", actor_user=user).order_by("id")
    assert [(r.quantity, r.on_hand_delta, r.quarantined_delta) for r in rows] == [(6, 6, 0), (3, 3, 3), (1, 0, 0)]
    ret.refresh_from_db()
    assert ret.status == "received"
    assert reconcile() == []


def test_a_split_through_the_service_must_add_up_and_name_known_dispositions(sandbox):
    from hotsauce.errors import ValidationFailed

    ret = a_return(shipped_order(30), 10)
    code = ret.lines.get().code
    for quantities, message in (({"restock": 4, "writeOff": 5}, "add up to 9"),
                                ({"restock": 10, "donate": 0}, "Unknown disposition"),
                                ({"restock": 11, "quarantine": -1}, "zero or more")):
        with pytest.raises(ValidationFailed) as refused:
            return_receive(ret=ret, lines=[ReceiveLineRequest(code, quantities=quantities)])
        assert message in refused.value.errors[0]["message"]
        assert refused.value.errors[0]["field"] == "lines[0].quantities"
    assert ReturnLine.objects.filter(ret=ret).count() == 1


# --- roles and labels -----------------------------------------------------------------

INTERNAL_LISTS = ("/admin/api/idempotencyrecord/", "/admin/oauth2_provider/accesstoken/",
                  "/admin/oauth2_provider/refreshtoken/", "/admin/partners/apiclient/",
                  "/admin/webhooks/eventaudience/", "/admin/webhooks/eventcounter/")


@pytest.mark.parametrize("role", [INVENTORY_MANAGER, RETURNS_CLERK, AUDITOR])
def test_staff_roles_do_not_see_developer_internals(sandbox, role):
    client, _ = staff(role)
    index = client.get("/admin/").content.decode()
    for url in INTERNAL_LISTS:
        assert f'href="{url}"' not in index, url
        assert client.get(url).status_code == 403, url


def test_a_superuser_sees_the_internals_with_labels_that_read_correctly(sandbox):
    client, _ = staff(superuser=True)
    index = client.get("/admin/").content.decode()
    assert "Deliveries" in index and "Deliverys" not in index
    assert ">API clients</a>" in index and "Api clients" not in index and ">API keys</a>" in index
    for url in INTERNAL_LISTS:
        assert f'href="{url}"' in index, url
        assert client.get(url).status_code == 200, url


# --- CSV exports ----------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_batch_export_applies_the_lists_filters(manager):
    client, _ = manager
    page = client.get(BATCHES, {"expiry": "30"}).content.decode()
    assert 'href="/admin/inventory/batch/export/?expiry=30"' in page
    rows = read_csv(client.get(f"{BATCHES}export/", {"expiry": "30"}))
    assert [r["batchNumber"] for r in rows] == ["B102-02"]
    row = rows[0]
    assert (row["productId"], row["supplierId"], row["status"]) == ("HOTSAUCE102", "SUP123", "released")
    assert int(row["onHand"]) == int(row["reserved"]) + int(row["onHold"]) + int(row["available"])
    assert int(row["available"]) == 240 and 0 <= int(row["daysLeft"]) < 30
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", row["expirationDate"])
    everything = read_csv(client.get(f"{BATCHES}export/"))
    assert len(everything) == Batch.objects.count() > 1


def test_the_ledger_and_recall_notices_export_as_csv(manager):
    client, _ = manager
    shipped_order(30)
    batch = Batch.objects.get(batch_number="BATCH202406")
    client.post(BATCHES, {"action": "recall", "_selected_action": [batch.pk], "apply": "yes", "reason": "mould"})
    ledger = read_csv(client.get("/admin/inventory/inventorytransaction/export/", {"type__exact": "shipment"}))
    assert ledger and {r["type"] for r in ledger} == {"shipment"}
    assert sum(int(r["quantity"]) for r in ledger) == sum(
        InventoryTransaction.objects.filter(type="shipment").values_list("quantity", flat=True))
    notices = read_csv(client.get("/admin/orders/recallnotice/export/"))
    assert [(n["batchNumber"], n["retailPartnerId"], n["shippedQuantity"], n["stillOut"], n["reason"])
            for n in notices] == [("BATCH202406", "RETAIL456", "30", "30", "mould")]
    assert notices[0]["recalledBy"] == "staff inventory_manager"


def test_an_auditor_may_export_but_a_clerk_cannot_export_the_ledger(sandbox):
    auditor, _ = staff(AUDITOR)
    assert auditor.get("/admin/inventory/inventorytransaction/export/").status_code == 200
    clerk, _ = staff(RETURNS_CLERK)
    assert clerk.get("/admin/inventory/inventorytransaction/export/").status_code == 403
