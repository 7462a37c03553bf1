"""Backordered units for the forecast (``inventory.forecasting.sources``): what open orders still wait for.

A backordered unit is demand that the supplier's shipments cannot show while it is out of stock. It
counts on the day it was ordered until it ships; then it counts as a shipment on its ship day instead
(and a cancelled order stops counting), so each ordered unit counts once.
"""

from __future__ import annotations

from datetime import UTC, date

from django.db.models import F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate

from inventory.models import InventoryItem
from orders.models import OrderLine
from orders.services import OPEN_STATUSES


def backorder_demand(*, item_ids: list[int] | None = None) -> list[tuple[int, date, int]]:
    """(inventory item id, UTC day ordered, units still waiting) for every open order line short of stock."""
    waiting = F("quantity") - F("allocated_quantity") - F("shipped_quantity")
    item = InventoryItem.objects.filter(supplier_id=OuterRef("order__supplier_id"),
                                        product_id=OuterRef("product_id")).values("pk")[:1]
    qs = (OrderLine.objects.filter(order__status__in=OPEN_STATUSES,
                                   quantity__gt=F("allocated_quantity") + F("shipped_quantity"))
          .annotate(item_id=Subquery(item, output_field=IntegerField()),
                    day=TruncDate("order__created_at", tzinfo=UTC)))
    if item_ids is not None:
        qs = qs.filter(item_id__in=item_ids)
    return [(item_id, day, units) for item_id, day, units in (
        qs.order_by().values("item_id", "day").annotate(units=Sum(waiting)).values_list("item_id", "day", "units"))
        if item_id is not None]
