"""Staff roles in the admin: the auditor sees everything and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from hotsauce.admin_tools import DEVELOPER_INTERNALS
from inventory.models import Batch, InventoryTransaction, StockLot
from partners.models import ApiClient
from partners.services import api_client_create
from partners.staff_roles import AUDITOR, INVENTORY_MANAGER, RETURNS_CLERK


def staff_client(role: str) -> Client:
    user = User.objects.create_user(role.replace(" ", "_"), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def _url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


@pytest.fixture
def auditor(sandbox):
    api_client_create(kind="brand", name="erp")
    return staff_client(AUDITOR)


def test_every_app_model_is_registered_in_the_admin(db):
    from django.apps import apps

    ours = [m for label in ("partners", "inventory", "orders", "feedback", "webhooks", "api")
            for m in apps.get_app_config(label).get_models()]
    missing = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    assert missing == []


def test_an_auditor_can_open_every_admin_list_and_record(auditor):
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in DEVELOPER_INTERNALS:
            assert auditor.get(_url(model, "changelist")).status_code == 403, model.__name__
            continue
        response = auditor.get(_url(model, "changelist"))
        assert response.status_code == 200, f"{model.__name__} list: {response.status_code}"
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            page = auditor.get(_url(model, "change", obj.pk))
            assert page.status_code == 200, f"{model.__name__} page: {page.status_code}"
            assert 'name="_save"' not in page.content.decode(), f"{model.__name__} offers Save to an auditor"


def test_an_auditor_cannot_add_change_or_delete_anything(auditor):
    for model, model_admin in admin.site._registry.items():
        assert auditor.post(_url(model, "add"), {}).status_code == 403, model.__name__
        obj = model_admin.get_queryset(auditor.get(_url(model, "changelist")).wsgi_request).first()
        if obj is not None:
            assert auditor.post(_url(model, "change", obj.pk), {}).status_code == 403, model.__name__
            assert auditor.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403, model.__name__


def test_an_auditor_cannot_run_stock_or_client_actions(auditor):
    batch = Batch.objects.get(batch_number="BATCH202406")
    ledger_before = InventoryTransaction.objects.count()
    auditor.post(_url(Batch, "changelist"), {"action": "quarantine", "_selected_action": [batch.pk], "apply": "yes",
                                               "reason": "not allowed"})
    client = ApiClient.objects.get(name="erp")
    auditor.post(_url(ApiClient, "changelist"), {"action": "deactivate", "_selected_action": [client.pk]})
    assert auditor.get("/admin/inventory/inventoryitem/move/").status_code == 403
    batch.refresh_from_db()
    client.refresh_from_db()
    assert batch.status == "released" and client.is_active
    assert InventoryTransaction.objects.count() == ledger_before
    assert StockLot.objects.get(batch=batch, warehouse__code="Warehouse_A").on_hand == 500


def test_the_batch_list_offers_stock_actions_only_to_those_who_may_change_stock(sandbox):
    manager_page = staff_client(INVENTORY_MANAGER).get(_url(Batch, "changelist")).content.decode()
    clerk_page = staff_client(RETURNS_CLERK).get(_url(Batch, "changelist")).content.decode()
    assert 'value="quarantine"' in manager_page and "Receive a batch" in manager_page
    assert 'value="quarantine"' not in clerk_page and "Receive a batch" not in clerk_page


def test_staff_roles_decide_the_scopes_of_a_signed_in_session_on_the_api(sandbox):
    from partners.scopes import SCOPES
    from partners.staff_roles import READ_SCOPES, WRITE_SCOPE_PERMISSIONS

    assert READ_SCOPES | set(WRITE_SCOPE_PERMISSIONS) == set(SCOPES)
    movement = {"type": "adjustment", "quantity": -5, "warehouseLocation": "Warehouse_A",
                "batchNumber": "BATCH202406", "reason": "through the API"}
    url = "/api/v1/inventory/SUP123/HOTSAUCE789"
    clerk = staff_client(RETURNS_CLERK)
    assert clerk.get(url).status_code == 200
    refused = clerk.post(url, movement, content_type="application/json", headers={"Idempotency-Key": "c1"})
    assert refused.status_code == 403
    manager = staff_client(INVENTORY_MANAGER)
    done = manager.post(url, movement, content_type="application/json", headers={"Idempotency-Key": "m1"})
    assert done.status_code == 201, done.content
    row = InventoryTransaction.objects.get(reason="through the API")
    assert row.actor_user.username == "inventory_manager"
    assert StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A").on_hand == 495
