"""Products and warehouses: the catalogue the stock refers to."""

from __future__ import annotations

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from hotsauce.errors import InvalidState, ValidationFailed
from inventory.models import Product, Warehouse
from partners.models import Supplier

# --- catalogue ------------------------------------------------------------------------


def gtin_validate(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return ean.validate(value)
    except StdnumError as exc:
        raise ValidationFailed.for_field("gtin", f"{value!r} is not a valid GTIN: {str(exc).rstrip('.')}.") from None


def product_create(*, sku: str, name: str, gtin: str = "", **fields) -> Product:
    gtin = gtin_validate(gtin)
    if Product.objects.filter(sku=sku).exists():
        raise InvalidState.for_field("productId", f"Product {sku} already exists.")
    if gtin and Product.objects.filter(gtin=gtin).exists():
        raise ValidationFailed.for_field("gtin", f"GTIN {gtin} is already used by another product.")
    product = Product(sku=sku, name=name, gtin=gtin, **fields)
    product.full_clean()
    product.save()
    return product


def product_update(*, product: Product, name: str, gtin: str = "", **fields) -> Product:
    gtin = gtin_validate(gtin)
    if gtin and Product.objects.filter(gtin=gtin).exclude(pk=product.pk).exists():
        raise ValidationFailed.for_field("gtin", f"GTIN {gtin} is already used by another product.")
    product.name = name
    product.gtin = gtin
    for name_, value in fields.items():
        setattr(product, name_, value)
    product.full_clean()
    product.save()
    return product


def warehouse_create(*, supplier: Supplier, code: str, name: str, **fields) -> Warehouse:
    if Warehouse.objects.filter(supplier=supplier, code=code).exists():
        raise InvalidState.for_field("warehouseLocation", f"{supplier.code} already has warehouse {code}.")
    warehouse = Warehouse(supplier=supplier, code=code, name=name, **fields)
    warehouse.full_clean()
    warehouse.save()
    return warehouse
