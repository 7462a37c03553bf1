"""The supply side in the admin: every page renders, and staff act through the services."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from inventory.replenishment.models import SellThroughSignal
from orders.purchasing.models import PurchaseOrder
from partners.models import RetailPartner
from tests.supply_support import day, key, ok, produce, purchase_lot, supply_world

PAGES = ["purchasing/purchaseorder", "purchasing/inboundshipment", "purchasing/purchasereceipt",
         "production/productionrun", "traceability/criticaltrackingevent", "replenishment/demandhistory",
         "replenishment/sellthroughsignal", "inventory/restockalert"]


@pytest.fixture
def supplied(db, make_caller):
    world = supply_world(make_caller)
    purchase_lot(world, product="PEPPER", lot="PEP-1", quantity=40)
    purchase_lot(world, product="BOTTLE", lot="BTL-1", quantity=40)
    produce(world, inputs=[("PEPPER", "PEP-1", 4), ("BOTTLE", "BTL-1", 10)], batch="S1", quantity=10, expires=90)
    return world


@pytest.mark.parametrize("page", PAGES)
def test_every_supply_page_renders(supplied, admin_client, page):
    listing = admin_client.get(f"/admin/{page}/")
    assert listing.status_code == 200, page
    model = {"purchasing/purchaseorder": PurchaseOrder}.get(page)
    if model is not None:
        assert admin_client.get(f"/admin/{page}/{model.objects.first().pk}/change/").status_code == 200


def test_staff_submit_and_cancel_purchase_orders_through_the_services(supplied, admin_client):
    draft = ok(supplied["brand"].post("/api/v1/purchaseOrders", {"supplierId": "SUPX", "draft": True, "lines": [
        {"productId": "SAUCE", "quantity": 5, "requestedDate": day(5)}]}, key=key()), 201)
    po = PurchaseOrder.objects.get(code=draft["purchaseOrderId"])
    admin_client.post("/admin/purchasing/purchaseorder/", {"action": "submit", ACTION_CHECKBOX_NAME: [po.pk]})
    po.refresh_from_db()
    assert po.status == "submitted" and po.submitted_at
    admin_client.post("/admin/purchasing/purchaseorder/", {"action": "cancel", ACTION_CHECKBOX_NAME: [po.pk]})
    po.refresh_from_db()
    assert po.status == "cancelled"


def test_staff_choose_a_retailer_s_sell_through_as_its_demand(supplied, admin_client):
    r1 = RetailPartner.objects.get(code="R1")
    refused = admin_client.post("/admin/replenishment/sellthroughsignal/add/", {
        "retail_partner": r1.pk, "supplier": supplied["grower"].pk, "effective_from": day(-10)})
    assert refused.status_code == 200 and b"no active trading relationship" in refused.content
    added = admin_client.post("/admin/replenishment/sellthroughsignal/add/", {
        "retail_partner": r1.pk, "supplier": supplied["packer"].pk, "effective_from": day(-10)})
    assert added.status_code == 302
    signal = SellThroughSignal.objects.get(retail_partner=r1)
    assert signal.supplier == supplied["packer"]
    admin_client.post(f"/admin/replenishment/sellthroughsignal/{signal.pk}/delete/", {"post": "yes"})
    assert not SellThroughSignal.objects.exists()
