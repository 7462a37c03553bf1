"""The one door from outside callers to the stock services for movements and counts.

The movement API (``POST inventory/{supplierId}/{productId}``, ``POST inventory/transactions``),
the count API (``PATCH``), the GS1 scan endpoint and the admin's scan page all record through
these two functions, so a scanned receipt is exactly the movement the JSON API records. When
the stock core changes how a movement type is dispatched, only this module follows it.
"""

from __future__ import annotations

from hotsauce.errors import ValidationFailed
from inventory import services
from inventory.models import Product
from partners.models import RetailPartner, Supplier
from partners.principal import Principal


def movement_record(*, principal: Principal | None, supplier: Supplier, product: Product, data: dict,
                    idempotency_key: str = "") -> services.MovementResult:
    """Record one movement of API-CONTRACT.md 4.1 from parsed request ``data`` (snake_case keys)."""
    retail_partner = None
    if data.get("retail_partner_id"):
        retail_partner = RetailPartner.objects.filter(code=data["retail_partner_id"]).first()
        if retail_partner is None:
            raise ValidationFailed.for_field("retailPartnerId", f"No retail partner {data['retail_partner_id']}.")
    return services.stock_move(
        supplier=supplier, product=product, type=data["type"], quantity=data["quantity"], actor=principal,
        warehouse_code=data.get("warehouse_location"), batch_number=data.get("batch_number"),
        expiration_date=data.get("expiration_date"), production_date=data.get("production_date"),
        to_warehouse_code=data.get("to_warehouse_location"), retail_partner=retail_partner,
        reason=data.get("reason", ""), reference=data.get("reference", ""), idempotency_key=idempotency_key)


def count_record(*, principal: Principal | None, supplier: Supplier, product: Product, counts: list[dict],
                 version: int | None = None, if_match: int | None = None, reason: str = "",
                 idempotency_key: str = "") -> services.MovementResult:
    """Set counted levels: ``counts`` are ``{"warehouse_code", "batch_number", "inventory_level"}``."""
    return services.stock_count(supplier=supplier, product=product, actor=principal, if_match=if_match,
                                version=version, reason=reason, idempotency_key=idempotency_key, counts=counts)
