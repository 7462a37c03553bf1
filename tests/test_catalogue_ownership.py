"""The brand owns the catalogue (API-CONTRACT.md section 7).

Products, suppliers, retail partners and trading relationships are written by brand clients
and staff only; a supplier writes only its own warehouses. The tenancy matrix
(tests/test_tenancy_matrix.py, CATALOGUE_WRITERS) covers every route and caller; these tests
pin what a refusal leaves behind and the staff side.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from inventory.models import Product, Warehouse
from partners.models import Supplier
from tests.conftest import problem


def test_a_supplier_cannot_rename_a_brand_product(supplier_caller):
    before = Product.objects.get(sku="HOTSAUCE789")
    response = supplier_caller.http.put("/api/v1/products/HOTSAUCE789", {"name": "Renamed by a supplier"},
                                        format="json")
    assert response.status_code == 403
    assert problem(response)["code"] == "permission_denied"
    after = Product.objects.get(sku="HOTSAUCE789")
    assert (after.name, after.updated_at) == (before.name, before.updated_at)


@pytest.mark.parametrize("path,body", [
    ("/api/v1/products", {"productId": "SUPSAUCE", "name": "Supplier's own"}),
    ("/api/v1/suppliers", {"supplierId": "SUP901", "name": "Sock puppet"}),
    ("/api/v1/retailPartners", {"retailPartnerId": "RETAIL901", "name": "Sock puppet"}),
    ("/api/v1/tradingRelationships", {"supplierId": "SUP123", "retailPartnerId": "RETAIL700"}),
])
def test_a_supplier_creates_nothing_in_the_catalogue(supplier_caller, path, body):
    response = supplier_caller.post(path, body, key=f"cat-{path}")
    assert response.status_code == 403
    assert problem(response)["code"] == "permission_denied"
    assert not Product.objects.filter(sku="SUPSAUCE").exists()
    assert not Supplier.objects.filter(code="SUP901").exists()


def test_a_retailer_lacks_the_scope_to_write_the_catalogue(retailer_caller):
    response = retailer_caller.http.put("/api/v1/products/HOTSAUCE789", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert problem(response)["code"] == "insufficient_scope"


def test_the_brand_changes_a_product(brand_caller):
    response = brand_caller.http.put("/api/v1/products/HOTSAUCE789", {"name": "Classic v2"}, format="json")
    assert response.status_code == 200, response.content
    assert Product.objects.get(sku="HOTSAUCE789").name == "Classic v2"


def test_staff_with_the_product_permission_write_the_catalogue_and_others_do_not(sandbox):
    user_model = get_user_model()
    editor = user_model.objects.create_user("editor", "e@example.com", "pw-long-enough-1", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_product"))
    reader = user_model.objects.create_user("reader", "r@example.com", "pw-long-enough-1", is_staff=True)
    http = APIClient()
    http.force_login(editor)
    assert http.put("/api/v1/products/HOTSAUCE789", {"name": "Staff edit"}, format="json").status_code == 200
    http.force_login(reader)
    refused = http.put("/api/v1/products/HOTSAUCE789", {"name": "Reader edit"}, format="json")
    assert refused.status_code == 403 and problem(refused)["code"] == "insufficient_scope"
    assert Product.objects.get(sku="HOTSAUCE789").name == "Staff edit"


def test_a_supplier_writes_its_own_warehouses_only(supplier_caller):
    own = supplier_caller.post("/api/v1/warehouses", {"warehouseLocation": "WH_OWN", "name": "Own"}, key="wh-1")
    assert own.status_code == 201, own.content
    assert Warehouse.objects.get(code="WH_OWN").supplier.code == "SUP123"
    foreign = supplier_caller.post("/api/v1/warehouses", {"warehouseLocation": "WH_X", "name": "X",
                                                          "supplierId": "SUP400"}, key="wh-2")
    assert foreign.status_code == 404
    assert not Warehouse.objects.filter(code="WH_X").exists()
