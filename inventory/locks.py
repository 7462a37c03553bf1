"""The only place that decides lock order for stock.

Every service that changes stock locks inventory items first, in primary-key order, then
their lots, in primary-key order. Two movements can then never each hold a lock the other
waits for. Events are emitted only after all stock locks are held (see webhooks.services).
"""

from __future__ import annotations

from collections.abc import Iterable

from inventory.models import InventoryItem, StockLot


def lock_items(item_ids: Iterable[int]) -> dict[int, InventoryItem]:
    qs = (InventoryItem.objects.filter(pk__in=set(item_ids)).select_related("supplier", "product")
          .order_by("pk").select_for_update(of=("self",)))
    return {item.pk: item for item in qs}


def lock_lots(item_ids: Iterable[int]) -> list[StockLot]:
    return list(
        StockLot.objects.filter(item_id__in=set(item_ids)).select_related("batch", "warehouse")
        .order_by("pk").select_for_update(of=("self",))
    )
