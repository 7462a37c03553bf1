"""Demand signals and policies written through the API: sell-through reports, replenishment policies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from hotsauce.errors import ValidationFailed
from inventory.forecasting.run import forecasts_recompute
from inventory.models import (
    InventoryItem,
    Product,
    ReplenishmentPolicy,
    SellThroughReport,
)
from partners.models import RetailPartner, Supplier
from partners.principal import Principal

# --- sell-through and policies ------------------------------------------------------------------------


def sell_through_report(*, retail_partner: RetailPartner, day: date, lines: list[dict],
                        actor: Principal | None = None) -> list[SellThroughReport]:
    """Record a retailer's sales for one day; a product reported again for that day replaces its row.

    ``lines``: ``[{"product_id": sku, "units_sold": int, "on_hand": int}]``. Every line is
    checked before anything is written, so a bad line changes nothing.
    """
    errors = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line["product_id"] in seen:
            errors.append({"field": f"lines[{index}].productId", "message": "Product reported twice for this day."})
        seen.add(line["product_id"])
    products = {p.sku: p for p in Product.objects.filter(sku__in=seen)}
    for index, line in enumerate(lines):
        if line["product_id"] not in products:
            errors.append({"field": f"lines[{index}].productId", "message": f"No product {line['product_id']}."})
    if errors:
        raise ValidationFailed("Some sell-through lines are invalid.", errors=errors)
    rows = [SellThroughReport(retail_partner=retail_partner, product=products[line["product_id"]], date=day,
                              units_sold=line["units_sold"], on_hand=line["on_hand"],
                              reported_by=getattr(actor, "client", None))
            for line in lines]
    with transaction.atomic():
        return SellThroughReport.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["retail_partner", "product", "date"],
            update_fields=["units_sold", "on_hand", "reported_by", "updated_at"])


def replenishment_policy_set(*, supplier: Supplier, product: Product, **fields) -> ReplenishmentPolicy:
    """Create or change a (supplier, product) policy and recompute that item's forecast now.

    Alerts follow at once too: a longer lead time can put the item below its new reorder point.
    """
    policy = ReplenishmentPolicy.objects.filter(supplier=supplier, product=product).first() \
        or ReplenishmentPolicy(supplier=supplier, product=product)
    for name, value in fields.items():
        # Floats go through str so 0.99 is stored as 0.99, not 0.98999999999999999112.
        setattr(policy, name, Decimal(str(value)) if isinstance(value, float) else value)
    with transaction.atomic():
        policy.full_clean()
        policy.save()
        forecast_refresh(supplier=supplier, product=product)
    return policy


def forecast_refresh(*, supplier: Supplier, product: Product) -> None:
    """Recompute one item's forecast (e.g. after its policy changed in the admin)."""
    item_id = InventoryItem.objects.filter(supplier=supplier, product=product).values_list("pk", flat=True).first()
    if item_id is not None:
        forecasts_recompute(item_ids=[item_id])
