"""Staff change stock in the admin only through forms and actions that call the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from inventory.models import Batch, InventoryItem, InventoryTransaction, StockLot
from inventory.services.reconcile import reconcile
from partners.models import AuthAuditLog
from partners.staff_roles import AUDITOR, INVENTORY_MANAGER, RETURNS_CLERK

MOVE_URL = "/admin/inventory/inventoryitem/move/"
BATCHES_URL = "/admin/inventory/batch/"


def staff_client(role: str | None, username: str | None = None) -> tuple[Client, User]:
    user = User.objects.create_user(username or (role or "nobody").replace(" ", "_"), password="pw", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def manager(sandbox):
    return staff_client(INVENTORY_MANAGER)


def item_of(sku: str, supplier: str = "SUP123") -> InventoryItem:
    return InventoryItem.objects.get(product__sku=sku, supplier__code=supplier)


def lot_of(batch_number: str, warehouse: str = "Warehouse_A") -> StockLot:
    return StockLot.objects.get(batch__batch_number=batch_number, warehouse__code=warehouse)


def move(client, **data):
    item = item_of(data.pop("sku", "HOTSAUCE789"))
    form = {"supplier": item.supplier_id, "product": item.product_id, **data}
    if "warehouse" in form:
        form["warehouse"] = item.supplier.warehouses.get(code=form["warehouse"]).pk
    if "to_warehouse" in form:
        form["to_warehouse"] = item.supplier.warehouses.get(code=form["to_warehouse"]).pk
    return client.post(MOVE_URL, form)


def test_the_staff_groups_exist_with_their_powers(db):
    manager = Group.objects.get(name=INVENTORY_MANAGER).permissions.values_list("codename", flat=True)
    clerk = Group.objects.get(name=RETURNS_CLERK).permissions.values_list("codename", flat=True)
    auditor = Group.objects.get(name=AUDITOR).permissions.values_list("codename", flat=True)
    assert "can_change_stock" in manager
    assert "can_change_stock" not in clerk and "can_change_stock" not in auditor
    assert auditor and all(code.startswith("view_") for code in auditor)
    assert {"view_batch", "view_inventorytransaction", "view_event"} <= set(auditor)
    # Developer internals are for superusers only (hotsauce.admin_tools.DEVELOPER_INTERNALS).
    assert not {"view_apiclient", "view_idempotencyrecord", "view_accesstoken"} & set(auditor) & set(manager)


def test_a_receipt_through_the_form_is_ledgered_with_the_staff_user_as_actor(manager):
    client, user = manager
    response = move(client, sku="HOTSAUCE789", type="receipt", quantity=120, warehouse="Warehouse_B",
                    batch_number="BATCH-ADMIN-1", expiration_date=(timezone.now() + timedelta(days=300)).strftime(
                        "%Y-%m-%d"), reason="inbound PO-1", reference="PO-1")
    assert response.status_code == 302, response.content.decode()[:2000]
    row = InventoryTransaction.objects.get(batch__batch_number="BATCH-ADMIN-1")
    assert (row.type, row.quantity, row.on_hand_delta, row.actor_user_id) == ("receipt", 120, 120, user.pk)
    assert lot_of("BATCH-ADMIN-1", "Warehouse_B").on_hand == 120
    audit = AuthAuditLog.objects.get(event="staff_stock_change")
    assert audit.success and audit.user_id == user.pk and "BATCH-ADMIN-1" in audit.detail
    assert reconcile() == []


def test_a_refused_adjustment_shows_the_services_reason_and_changes_nothing(manager):
    client, _ = manager
    before = InventoryTransaction.objects.count()
    response = move(client, type="adjustment", quantity=-451, warehouse="Warehouse_A", batch_number="BATCH202406",
                    reason="shrinkage")
    assert response.status_code == 200
    assert "Only 450 units unreserved in that lot" in response.content.decode()
    assert InventoryTransaction.objects.count() == before
    assert lot_of("BATCH202406").on_hand == 500


def test_adjust_damage_and_transfer_all_land_in_the_ledger_as_the_staff_user(manager):
    client, user = manager
    assert move(client, type="adjustment", quantity=-5, warehouse="Warehouse_A", batch_number="BATCH202406",
                reason="broken seal found").status_code == 302
    asked = move(client, type="damage", quantity=10, warehouse="Warehouse_A", batch_number="BATCH202406",
                 reason="forklift")
    assert asked.status_code == 200 and "Confirm damage" in asked.content.decode()
    assert lot_of("BATCH202406").on_hand == 495
    assert move(client, type="damage", quantity=10, warehouse="Warehouse_A", batch_number="BATCH202406",
                reason="forklift", confirmed="on").status_code == 302
    assert move(client, type="transfer", quantity=30, warehouse="Warehouse_A", to_warehouse="Warehouse_B",
                batch_number="BATCH202406", reason="rebalance").status_code == 302
    assert lot_of("BATCH202406").on_hand == 500 - 5 - 10 - 30
    assert lot_of("BATCH202406", "Warehouse_B").on_hand == 30
    staff_rows = InventoryTransaction.objects.filter(actor_user=user)
    assert sorted(staff_rows.values_list("type", flat=True)) == ["adjustment", "damage", "transfer", "transfer"]
    assert AuthAuditLog.objects.filter(event="staff_stock_change", user=user, success=True).count() == 3
    assert reconcile() == []


def test_a_refused_movement_shows_the_service_error_on_the_form_and_changes_nothing(manager):
    client, user = manager
    response = move(client, type="damage", quantity=10_000, warehouse="Warehouse_A", reason="flood",
                    confirmed="on")
    assert response.status_code == 200
    assert "unreserved" in response.content.decode()
    assert not InventoryTransaction.objects.filter(actor_user=user).exists()
    assert AuthAuditLog.objects.filter(event="staff_stock_change", success=False, user=user).exists()


def test_a_count_sets_absolute_levels_and_refuses_a_stale_version(manager):
    client, user = manager
    item = item_of("HOTSAUCE789")
    lot = lot_of("BATCH202406")
    url = f"/admin/inventory/inventoryitem/{item.pk}/count/"
    assert client.get(url).status_code == 200
    stale = client.post(url, {"version": item.version - 1, "reason": "cycle count", f"lot_{lot.pk}": 480})
    assert stale.status_code == 200 and "stale" in stale.content.decode()
    assert lot_of("BATCH202406").on_hand == 500
    done = client.post(url, {"version": item.version, "reason": "cycle count", f"lot_{lot.pk}": 480})
    assert done.status_code == 302
    row = InventoryTransaction.objects.get(type="count", actor_user=user)
    assert (row.on_hand_delta, row.on_hand_after) == (-20, 480)
    assert reconcile() == []


def test_quarantine_and_release_actions_go_through_the_service(manager, brand_caller):
    client, user = manager
    batch = Batch.objects.get(batch_number="BATCH202406")
    asked = client.post(BATCHES_URL, {"action": "quarantine", "_selected_action": [batch.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    done = client.post(BATCHES_URL, {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes",
                                     "reason": "seal check"})
    assert done.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "quarantined" and batch.status_reason == "seal check"
    body = brand_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").json()
    assert body["availableQuantity"] == 0 and body["onHoldQuantity"] == 450
    client.post(BATCHES_URL, {"action": "release", "_selected_action": [batch.pk]})
    assert brand_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").json()["availableQuantity"] == 450
    assert AuthAuditLog.objects.filter(event="staff_stock_change", user=user, success=True).count() == 2
    assert reconcile() == []


def test_a_recalled_batch_cannot_be_released_from_the_admin(manager):
    client, _ = manager
    batch = Batch.objects.get(batch_number="B102-02")
    Batch.objects.filter(pk=batch.pk).update(status="recalled")
    response = client.post(BATCHES_URL, {"action": "release", "_selected_action": [batch.pk]}, follow=True)
    assert "a recall is final" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "recalled"


def test_the_batch_list_filters_by_expiry_and_finds_batches_by_gtin(manager):
    client, _ = manager
    page = client.get(BATCHES_URL, {"expiry": "30"}).content.decode()
    assert "B102-02" in page and "BATCH202406" not in page and "B101-00" not in page
    assert "days-left-under30" in page
    sixty = client.get(BATCHES_URL, {"expiry": "60"}).content.decode()
    assert "B101-00" in sixty and "B102-02" in sixty and "B103-03" not in sixty
    gtin = Batch.objects.get(batch_number="BATCH202406").product.gtin
    found = client.get(BATCHES_URL, {"q": gtin}).content.decode()
    assert "BATCH202406" in found and "B102-02" not in found
    listed = client.get(BATCHES_URL, {"q": "BATCH202406"}).content.decode()
    assert ">450<" in listed and ">50<" in listed and ">500<" in listed


def test_the_batch_list_filters_quarantined_and_expired_batches(manager):
    client, _ = manager
    Batch.objects.filter(batch_number="B103-03").update(status="quarantined")
    Batch.objects.filter(batch_number="B104-04").update(expiration_date=timezone.now() - timedelta(days=1))
    held = client.get(BATCHES_URL, {"status__exact": "quarantined"}).content.decode()
    assert "B103-03" in held and "B102-02" not in held
    expired = client.get(BATCHES_URL, {"expiry": "expired"}).content.decode()
    assert "B104-04" in expired and "B103-03" not in expired and "days-left-expired" in expired


def test_the_batch_page_shows_lots_and_ledger_read_only(manager):
    client, user = manager
    move(client, type="transfer", quantity=30, warehouse="Warehouse_A", to_warehouse="Warehouse_B",
         batch_number="BATCH202406", reason="rebalance")
    batch = Batch.objects.get(batch_number="BATCH202406")
    page = client.get(f"{BATCHES_URL}{batch.pk}/change/").content.decode()
    assert "Warehouse_A" in page and "Warehouse_B" in page
    assert "rebalance" in page and f"staff {user.username}" in page
    assert 'name="lots-0-on_hand"' not in page and 'name="on_hand"' not in page
    assert 'type="submit" value="Save"' not in page


def test_stock_quantities_cannot_be_posted_as_fields(manager):
    client, _ = manager
    lot = lot_of("BATCH202406")
    response = client.post(f"/admin/inventory/stocklot/{lot.pk}/change/", {"on_hand": 9999, "reserved": 0})
    assert response.status_code == 403
    response = client.post(f"/admin/inventory/inventorytransaction/{InventoryTransaction.objects.first().pk}/change/",
                           {"quantity": 1})
    assert response.status_code == 403
    assert lot_of("BATCH202406").on_hand == 500
    assert client.post("/admin/inventory/inventorytransaction/add/", {}).status_code == 403


def test_a_returns_clerk_cannot_adjust_stock(sandbox):
    client, user = staff_client(RETURNS_CLERK)
    assert client.get(MOVE_URL).status_code == 403
    assert move(client, type="adjustment", quantity=-5, warehouse="Warehouse_A", batch_number="BATCH202406",
                reason="try").status_code == 403
    item = item_of("HOTSAUCE789")
    assert client.post(f"/admin/inventory/inventoryitem/{item.pk}/count/", {"version": item.version}).status_code \
        == 403
    batch = Batch.objects.get(batch_number="BATCH202406")
    client.post(BATCHES_URL, {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes"})
    batch.refresh_from_db()
    assert batch.status == "released"
    assert not InventoryTransaction.objects.filter(actor_user=user).exists()
    assert lot_of("BATCH202406").on_hand == 500


def test_the_product_form_checks_the_gtin_like_the_catalogue_service(manager):
    client, _ = manager
    data = {"sku": "NEWSAUCE9", "name": "Test Sauce", "kind": "finished_sauce", "expiry_warning_days": 30,
            "ingredients": "[]"}
    refused = client.post("/admin/inventory/product/add/", {**data, "gtin": "0860001000019"})
    assert refused.status_code == 200 and "not a valid GTIN" in refused.content.decode()
    assert client.post("/admin/inventory/product/add/", {**data, "gtin": "0860001000993"}).status_code == 302


def test_the_item_list_shows_sellable_units_only(manager):
    client, _ = manager
    Batch.objects.filter(batch_number="B101-00").update(status="quarantined")
    page = client.get("/admin/inventory/inventoryitem/", {"q": "HOTSAUCE101"}).content.decode()
    # 320 held in B101-00, 120 sellable in B101-01.
    assert '<td class="field-on_hand">440</td>' in page and '<td class="field-available">120</td>' in page
