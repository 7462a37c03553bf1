"""What the order services share: lock helpers, the order state machine, allocation of stock to lines.

Lock order (see ``inventory.locks``): inventory items, then their lots, then the batch row
(recall, returns), then orders (all in primary-key order), and only then anything that
emits an event. Allocations and order lines change only while the items they reserve on are
locked, so every service that locks the items can trust what it reads about them; the order
row lock serialises status changes (cancel against ship, deliver against deliver)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotsauce.errors import InvalidState
from inventory import services as stock
from inventory.locks import lock_items, lock_lots
from inventory.models import InventoryItem, InventoryTransaction, StockLot
from inventory.selectors import shelf_life_cutoff
from orders.models import (
    Allocation,
    Order,
    OrderLine,
    Shipment,
)
from orders.selectors import order_view
from partners.attributes.selectors import partner_data
from partners.models import Supplier
from partners.principal import Principal
from webhooks.services import event_emit

logger = logging.getLogger("hotsauce.orders")

T = InventoryTransaction.Type
S = Order.Status

# Statuses a service may move an order to from each status; anything else is 409 invalid_state.
TRANSITIONS: dict[str, set[str]] = {
    S.BACKORDERED: {S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.CANCELLED},
    S.PARTIALLY_ALLOCATED: {S.ALLOCATED, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED},
    S.ALLOCATED: {S.PARTIALLY_ALLOCATED, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED},
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: set(),
    S.CANCELLED: set(),
}
# Orders that still wait for stock or for a shipment.
OPEN_STATUSES = (S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.BACKORDERED, S.PARTIALLY_SHIPPED)
# Cancelling is refused once anything has left the warehouse: the retailer returns goods instead.
CANCELLABLE = (S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.BACKORDERED)


# --- shared helpers -------------------------------------------------------------------


def _client(actor: Principal | None):
    return getattr(actor, "client", None)


def _assign_code(obj, prefix: str) -> None:
    obj.code = f"{prefix}-{obj.pk:06d}"
    type(obj).objects.filter(pk=obj.pk).update(code=obj.code)


def _min_expiry(order: Order, now: datetime) -> datetime:
    """Units must still have the retailer's minimum shelf life when they arrive."""
    arrival = now
    if order.requested_delivery_date:
        arrival = max(now, datetime.combine(order.requested_delivery_date, time.min, tzinfo=UTC))
    return shelf_life_cutoff(order.retail_partner.minimum_shelf_life_days, arrival)


def _item_ids(supplier: Supplier, product_ids: Iterable[int], create: bool) -> dict[int, int]:
    """product id -> inventory item id; a missing item is created so backorders have a row to wait on."""
    product_ids = set(product_ids)
    found = dict(InventoryItem.objects.filter(supplier=supplier, product_id__in=product_ids)
                 .values_list("product_id", "pk"))
    for product_id in product_ids - set(found):
        if not create:
            continue
        try:
            with transaction.atomic():
                found[product_id] = InventoryItem.objects.create(supplier=supplier, product_id=product_id).pk
        except IntegrityError:  # created concurrently
            found[product_id] = InventoryItem.objects.get(supplier=supplier, product_id=product_id).pk
    return found


@dataclass
class _Locked:
    items: dict[int, InventoryItem]
    lots: dict[int, list[StockLot]]


def _lock_stock(item_ids: Iterable[int]) -> _Locked:
    item_ids = set(item_ids)
    items = lock_items(item_ids)
    lots: dict[int, list[StockLot]] = {item_id: [] for item_id in items}
    for lot in lock_lots(item_ids):
        lots[lot.item_id].append(lot)
    return _Locked(items=items, lots=lots)


def _lock_orders(order_ids: Iterable[int]) -> dict[int, Order]:
    # NO KEY UPDATE: rows that merely reference an order (a return naming it) need not wait.
    qs = (Order.objects.filter(pk__in=set(order_ids)).select_related("supplier", "retail_partner")
          .order_by("pk").select_for_update(of=("self",), no_key=True))
    return {order.pk: order for order in qs}


def _order_item_ids(order: Order) -> dict[int, int]:
    # An order's products never change after creation, so this read needs no lock.
    product_ids = OrderLine.objects.filter(order=order).values_list("product_id", flat=True)
    return _item_ids(order.supplier, product_ids, create=True)


def _derive_status(order: Order, lines: list[OrderLine]) -> str:
    if order.status == S.CANCELLED:
        return S.CANCELLED
    ordered = sum(line.quantity for line in lines)
    shipped = sum(line.shipped_quantity for line in lines)
    allocated = sum(line.allocated_quantity for line in lines)
    if shipped and shipped >= ordered:
        undelivered = Shipment.objects.filter(order=order).exclude(status=Shipment.Status.DELIVERED).exists()
        return S.SHIPPED if undelivered else S.DELIVERED
    if shipped:
        return S.PARTIALLY_SHIPPED
    if allocated >= ordered:
        return S.ALLOCATED
    return S.PARTIALLY_ALLOCATED if allocated else S.BACKORDERED


def _order_transition(order: Order, status: str) -> bool:
    """Move an order to ``status`` if that is a legal step; True when it changed."""
    if status == order.status:
        return False
    if status not in TRANSITIONS[order.status]:
        raise InvalidState(f"Order {order.code} is {order.status}; it cannot become {status}.",
                           extra={"orderStatus": order.status})
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(status=status, updated_at=now)
    order.status, order.updated_at = status, now
    return True


def _refresh_status(order: Order) -> bool:
    lines = list(OrderLine.objects.filter(order=order))
    return _order_transition(order, _derive_status(order, lines))


def _touch(order: Order) -> None:
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(updated_at=now)
    order.updated_at = now


def _emit_order(order: Order, type: str = "order.updated") -> None:
    data = order_view(order)
    event_emit(type=type, data=data, partner_data=partner_data(data), supplier_ids=[order.supplier_id],
               retail_partner_ids=[order.retail_partner_id])


def _allocate(*, line: OrderLine, order: Order, item: InventoryItem, lots: list[StockLot], quantity: int,
              actor: Principal | None, now: datetime, reason: str) -> int:
    """Reserve up to ``quantity`` for a line, first-expired-first-out; returns what was reserved."""
    if quantity <= 0:
        return 0
    result = stock.lots_reserve(item=item, lots=lots, quantity=quantity, min_expiry=_min_expiry(order, now),
                                retail_partner=order.retail_partner, actor=actor, reference=order.code,
                                reason=reason)
    taken = 0
    for lot, take in result.allocations:
        allocation, created = Allocation.objects.get_or_create(line=line, lot=lot, defaults={"quantity": take})
        if not created:
            allocation.quantity += take
            allocation.save(update_fields=["quantity"])
        taken += take
    if taken:
        line.allocated_quantity += taken
        OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity)
    return taken


def _release(*, locked: _Locked, allocations: list[Allocation], order: Order, actor: Principal | None,
             reference: str, reason: str) -> None:
    """Give reserved units of ``allocations`` back to stock and forget them."""
    by_item: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for allocation in allocations:
        by_item[allocation.lot.item_id].append((allocation.lot_id, 0, -allocation.quantity, 0))
    for item_id, changes in sorted(by_item.items()):
        stock.lots_apply(item=locked.items[item_id], lots=locked.lots[item_id], type=T.RELEASE, changes=changes,
                         actor=actor, retail_partner=order.retail_partner, reference=reference, reason=reason)
    released: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        released[allocation.line_id] += allocation.quantity
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    for line in OrderLine.objects.filter(pk__in=released):
        OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity - released[line.pk])


def _after_commit_allocate(item_ids: Iterable[int]) -> None:
    """Units became free on these items: let waiting backorders have them once we commit."""
    from orders.tasks import enqueue_backorder_allocation

    for item_id in sorted(set(item_ids)):
        transaction.on_commit(partial(enqueue_backorder_allocation, item_id))
