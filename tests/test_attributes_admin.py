"""Custom attributes in the admin: definitions through the services, a widget per type on the resources."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from inventory.models import Batch, Product
from orders.models import Order
from partners.attributes import services
from partners.attributes.models import AttributeDefinition
from partners.models import RetailPartner


@pytest.fixture
def staff(sandbox):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def definitions(db):
    services.definition_create(key="limitedEdition", label="Limited edition", type="boolean",
                               applies_to=["product", "batch", "order", "retailPartner"])
    services.definition_create(key="tier", label="Tier", type="enum", values=["gold", "silver"],
                               applies_to=["product", "retailPartner"])
    services.definition_create(key="launchDate", label="Launch date", type="date", applies_to=["product"])
    services.definition_create(key="shelfPrice", label="Shelf price", type="decimal", applies_to=["product"])


def product_form(product: Product, **attributes) -> dict:
    data = {"sku": product.sku, "gtin": product.gtin, "name": product.name, "flavor": product.flavor,
            "heat_level_shu": product.heat_level_shu or "", "bottle_size_ml": product.bottle_size_ml or "",
            "ingredients": json.dumps(product.ingredients), "kind": product.kind,
            "expiry_warning_days": product.expiry_warning_days}
    return {**data, **{f"attribute__{key}": value for key, value in attributes.items()}}


def test_a_product_page_edits_attributes_with_a_widget_per_type(staff, definitions):
    product = Product.objects.get(sku="HOTSAUCE789")
    url = f"/admin/inventory/product/{product.pk}/change/"
    page = staff.get(url).content.decode()
    assert 'name="attribute__limitedEdition"' in page and '<option value="unknown"' in page  # yes / no / unset
    assert '<select name="attribute__tier"' in page and '<option value="gold">' in page
    assert 'name="attribute__launchDate"' in page and "vDateField" in page
    assert 'name="attribute__shelfPrice"' in page and 'type="number"' in page
    assert 'name="attributes"' not in page  # no raw JSON box

    response = staff.post(url, product_form(product, limitedEdition="true", tier="gold", launchDate="2026-11-01",
                                            shelfPrice="7.50"))
    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.attributes == {"limitedEdition": True, "tier": "gold", "launchDate": "2026-11-01",
                                  "shelfPrice": 7.5}
    page = staff.get(url).content.decode()
    assert '<option value="gold" selected>' in page

    # Unsetting a field removes the value; the others stay.
    staff.post(url, product_form(product, limitedEdition="unknown", tier="gold", launchDate="", shelfPrice="7.5"))
    product.refresh_from_db()
    assert product.attributes == {"tier": "gold", "shelfPrice": 7.5}


def test_the_admin_refuses_what_the_api_refuses(staff, definitions):
    product = Product.objects.get(sku="HOTSAUCE789")
    services.definition_update(definition=AttributeDefinition.objects.get(key="tier"), deprecated=True)
    response = staff.post(f"/admin/inventory/product/{product.pk}/change/", product_form(product, tier="silver"))
    assert response.status_code == 200
    assert "Deprecated since" in response.content.decode()
    product.refresh_from_db()
    assert product.attributes == {}


def test_a_retail_partner_page_edits_its_attributes(staff, definitions):
    partner = RetailPartner.objects.get(code="RETAIL456")
    url = f"/admin/partners/retailpartner/{partner.pk}/change/"
    page = staff.get(url).content.decode()
    assert 'name="attribute__tier"' in page and 'name="attribute__launchDate"' not in page  # product-only key
    form = {"code": partner.code, "name": partner.name, "channel": partner.channel,
            "minimum_shelf_life_days": partner.minimum_shelf_life_days, "contact_email": partner.contact_email,
            "attribute__tier": "silver", "attribute__limitedEdition": "false"}
    for prefix in ("relationships",):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    partner.refresh_from_db()
    assert partner.attributes == {"tier": "silver", "limitedEdition": False}


def test_batch_and_order_pages_show_their_attributes(staff, definitions):
    batch = Batch.objects.get(batch_number="BATCH202406")
    Batch.objects.filter(pk=batch.pk).update(attributes={"limitedEdition": True})
    page = staff.get(f"/admin/inventory/batch/{batch.pk}/change/").content.decode()
    assert "<code>limitedEdition</code>" in page and "<dd>True</dd>" in page
    order = Order.objects.first()
    if order is not None:
        Order.objects.filter(pk=order.pk).update(attributes={"limitedEdition": False})
        assert "<code>limitedEdition</code>" in staff.get(f"/admin/orders/order/{order.pk}/change/").content.decode()


def test_definitions_are_added_and_changed_through_the_services(staff, definitions):
    response = staff.post("/admin/attributes/attributedefinition/add/", {
        "key": "channelTier", "label": "Channel tier", "description": "", "type": "enum",
        "values": "gold\nsilver", "applies_to": ["retailPartner"], "partner_readable": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    created = AttributeDefinition.objects.get(key="channelTier")
    assert created.values == ["gold", "silver"] and created.partner_readable

    bad = staff.post("/admin/attributes/attributedefinition/add/", {
        "key": "Bad_Key", "label": "x", "type": "boolean", "applies_to": ["product"]})
    assert bad.status_code == 200 and not AttributeDefinition.objects.filter(key="Bad_Key").exists()

    Product.objects.filter(sku="HOTSAUCE789").update(attributes={"tier": "gold"})
    tier = AttributeDefinition.objects.get(key="tier")
    in_use = staff.post(f"/admin/attributes/attributedefinition/{tier.pk}/change/", {
        "label": "Tier", "description": "", "values": "silver", "applies_to": ["product", "retailPartner"]})
    assert in_use.status_code == 200 and "gold" in in_use.content.decode()
    assert AttributeDefinition.objects.get(key="tier").values == ["gold", "silver"]
    deprecate = staff.post(f"/admin/attributes/attributedefinition/{tier.pk}/change/", {
        "label": "Tier", "description": "", "values": "gold\nsilver\nbronze", "applies_to": ["product",
                                                                                          "retailPartner"],
        "deprecated": "on"})
    assert deprecate.status_code == 302
    tier.refresh_from_db()
    assert tier.values == ["gold", "silver", "bronze"] and tier.deprecated_at is not None and tier.type == "enum"
