"""Test data builders. Stock is always created through the services, never by hand."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from inventory import services
from inventory.models import Product, Warehouse
from partners.models import RetailPartner, Supplier, TradingRelationship

_seq = itertools.count(1)


def supplier(code: str | None = None, **kw) -> Supplier:
    code = code or f"SUPT{next(_seq)}"
    return Supplier.objects.create(code=code, name=kw.pop("name", f"Supplier {code}"), **kw)


def retailer(code: str | None = None, shelf_days: int = 0, **kw) -> RetailPartner:
    code = code or f"RETT{next(_seq)}"
    return RetailPartner.objects.create(code=code, name=kw.pop("name", f"Retailer {code}"),
                                        minimum_shelf_life_days=shelf_days, **kw)


def trade(sup: Supplier, ret: RetailPartner, active: bool = True) -> TradingRelationship:
    return TradingRelationship.objects.create(supplier=sup, retail_partner=ret, active=active)


def product(sku: str | None = None, **kw) -> Product:
    sku = sku or f"SKU{next(_seq)}"
    return Product.objects.create(sku=sku, name=kw.pop("name", f"Sauce {sku}"), **kw)


def warehouse(sup: Supplier, code: str = "WH1") -> Warehouse:
    return Warehouse.objects.create(supplier=sup, code=code, name=f"Warehouse {code}")


def receive(sup: Supplier, prod: Product, quantity: int, *, warehouse_code: str = "WH1", batch: str | None = None,
            days: int = 200):
    return services.stock_receive(
        supplier=sup, product=prod, quantity=quantity, actor=None, warehouse_code=warehouse_code,
        batch_number=batch or f"B{next(_seq)}", expiration_date=timezone.now() + timedelta(days=days))
