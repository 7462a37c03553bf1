"""The only place that decides lock order for stock.

Every transaction that changes stock takes its locks in this order, each group in
primary-key order, so two transactions can never each hold a lock the other waits for:

1. inventory items (``FOR UPDATE``) — ``lock_stock``;
2. their lots (``FOR UPDATE``) — ``lock_stock``. Reservations and their holds change only
   while their item is locked, so they need no lock of their own;
3. batch rows (``FOR NO KEY UPDATE``) — ``lock_batches``: recall and returns;
4. orders (``FOR NO KEY UPDATE``) — ``orders.services.common.lock_orders``;
5. returns (``FOR NO KEY UPDATE``) — ``orders.services.returns``;
6. last, anything that emits an event (``webhooks.services.event_emit``), because the event
   sequence is serialised until commit.

NO KEY UPDATE on batches, orders and returns: rows that merely reference them (a ledger row
naming a batch, a shipment naming an order) take KEY SHARE on them when inserted and must
not wait for, or deadlock with, a status change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inventory.models import Batch, InventoryItem, StockLot


@dataclass
class LockedStock:
    """Items and their lots, locked until the transaction ends: what a service may change."""

    items: dict[int, InventoryItem]
    lots: dict[int, list[StockLot]]

    def item(self, item_id: int) -> InventoryItem:
        return self.items[item_id]

    def lots_of(self, item_id: int) -> list[StockLot]:
        return self.lots[item_id]

    def lot(self, lot_id: int) -> StockLot:
        for lots in self.lots.values():
            for lot in lots:
                if lot.pk == lot_id:
                    return lot
        raise KeyError(lot_id)

    def item_for_product(self, product_id: int) -> InventoryItem:
        return next(item for item in self.items.values() if item.product_id == product_id)


def lock_stock(item_ids: Iterable[int]) -> LockedStock:
    """Lock items, then all their lots, in primary-key order (the caller is in a transaction)."""
    ids = sorted(set(item_ids))
    items = {item.pk: item for item in (
        InventoryItem.objects.filter(pk__in=ids).select_related("supplier", "product")
        .order_by("pk").select_for_update(of=("self",)))}
    lots: dict[int, list[StockLot]] = {item_id: [] for item_id in items}
    for lot in (StockLot.objects.filter(item_id__in=ids).select_related("batch", "warehouse")
                .order_by("pk").select_for_update(of=("self",))):
        lots[lot.item_id].append(lot)
    return LockedStock(items=items, lots=lots)


def lock_batches(batch_ids: Iterable[int]) -> dict[int, Batch]:
    return {batch.pk: batch for batch in (
        Batch.objects.filter(pk__in=set(batch_ids)).select_related("product", "supplier")
        .order_by("pk").select_for_update(of=("self",), no_key=True))}
