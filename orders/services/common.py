"""What the order services share: the order state machine, order locks, and allocation of stock to lines.

A line's allocation is an inventory reservation (``OrderLine.reservation``, ``order_ref`` =
the order id) whose holds are exactly the line's ``allocated_quantity``. Allocations and
lines change only inside a ``stock_work`` that has locked the items they reserve on, so every
service that locks the items can trust what it reads about them; the order row lock
serialises status changes (cancel against ship, deliver against deliver). Lock order is
``inventory.locks``'s: items, lots, batches, orders (``lock_orders``), returns, then events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time

from django.utils import timezone

from hotsauce import metrics
from hotsauce.errors import InvalidState
from inventory import services as stock
from inventory.models import InventoryItem, InventoryTransaction, Reservation, StockLot
from inventory.selectors import shelf_life_cutoff
from orders.models import Order, OrderLine, Shipment
from orders.selectors import order_view
from partners.attributes.selectors import partner_data
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


def client_of(actor: Principal | None):
    return getattr(actor, "client", None)


def code_assign(obj, prefix: str) -> None:
    obj.code = f"{prefix}-{obj.pk:06d}"
    type(obj).objects.filter(pk=obj.pk).update(code=obj.code)


def lock_orders(order_ids: Iterable[int]) -> dict[int, Order]:
    """Lock orders after the stock they touch (``inventory.locks``); NO KEY UPDATE lets rows
    that merely reference an order (a return naming it) go on."""
    qs = (Order.objects.filter(pk__in=set(order_ids)).select_related("supplier", "retail_partner")
          .order_by("pk").select_for_update(of=("self",), no_key=True))
    return {order.pk: order for order in qs}


def order_item_ids(order: Order) -> dict[int, int]:
    """product id -> inventory item id of the order's lines (created with the order)."""
    product_ids = OrderLine.objects.filter(order=order).values_list("product_id", flat=True)
    return stock_item_ids(order, product_ids)


def stock_item_ids(order: Order, product_ids: Iterable[int]) -> dict[int, int]:
    return stock.item_ids_ensure(supplier=order.supplier, products=list(product_ids))


def min_expiry(order: Order, now: datetime) -> datetime:
    """Units must still have the retailer's minimum shelf life when they arrive."""
    arrival = now
    if order.requested_delivery_date:
        arrival = max(now, datetime.combine(order.requested_delivery_date, time.min, tzinfo=UTC))
    return shelf_life_cutoff(order.retail_partner.minimum_shelf_life_days, arrival)


def status_derive(order: Order, lines: list[OrderLine]) -> str:
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


def order_transition(order: Order, status: str) -> bool:
    """Move an order to ``status`` if that is a legal step; True when it changed."""
    if status == order.status:
        return False
    if status not in TRANSITIONS[order.status]:
        raise InvalidState(f"Order {order.code} is {order.status}; it cannot become {status}.",
                           extra={"orderStatus": order.status})
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(status=status, updated_at=now)
    metrics.order_status_changed(order.status, status)
    order.status, order.updated_at = status, now
    return True


def status_refresh(order: Order) -> bool:
    return order_transition(order, status_derive(order, list(OrderLine.objects.filter(order=order))))


def order_touch(order: Order) -> None:
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(updated_at=now)
    order.updated_at = now


def order_emit(order: Order, type: str = "order.updated", view: dict | None = None) -> dict:
    """Tell the order's supplier and retailer; returns the view sent (callers answer with it)."""
    view = view if view is not None else order_view(order)
    event_emit(type=type, data=view, partner_data=partner_data(view), supplier_ids=[order.supplier_id],
               retail_partner_ids=[order.retail_partner_id])
    return view


def line_reservation(line: OrderLine, order: Order, item: InventoryItem, actor: Principal | None) -> Reservation:
    """The line's reservation, opened the first time units are allocated to it."""
    if line.reservation_id is None:
        line.reservation = stock.reservation_open(item=item, actor=actor, retail_partner=order.retail_partner,
                                                  order_ref=order.code, reason=f"order {order.code}",
                                                  reference=order.reference)
        OrderLine.objects.filter(pk=line.pk).update(reservation=line.reservation)
    return line.reservation


def line_allocate(*, work: stock.StockWork, line: OrderLine, order: Order, item: InventoryItem,
                  lots: list[StockLot], quantity: int, actor: Principal | None, reason: str) -> int:
    """Reserve up to ``quantity`` for a line (FEFO, the retailer's shelf life kept); returns what was reserved."""
    if quantity <= 0:
        return 0
    reservation = line_reservation(line, order, item, actor)
    movement = work.movement(item=item, lots=lots, type=T.RESERVATION, reason=reason, reference=order.code,
                             retail_partner=order.retail_partner)
    plan = stock.reservation_hold(movement=movement, reservation=reservation, candidates=stock.lots_select(lots, None,
                                                                                                            None),
                                  quantity=quantity, min_expiry=min_expiry(order, work.now), partial=True)
    taken = sum(take for _, take in plan)
    if taken:
        line.allocated_quantity += taken
        OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity)
    return taken


def line_release(*, work: stock.StockWork, line: OrderLine, order: Order, locked, reason: str,
                 reference: str, only_batch_id: int | None = None) -> int:
    """Give a line's reserved units back to stock (only those of one batch, for a recall)."""
    if line.reservation_id is None or not line.allocated_quantity:
        return 0
    reservation = line.reservation
    item = locked.item(reservation.item_id)
    lots = locked.lots_of(item.pk)
    only = [lot for lot in lots if lot.batch_id == only_batch_id] if only_batch_id is not None else None
    movement = work.movement(item=item, lots=lots, type=T.RELEASE, reason=reason, reference=reference,
                             retail_partner=order.retail_partner)
    plan = stock.reservation_release(movement=movement, reservation=reservation, lots=lots, only=only)
    released = sum(take for _, take in plan)
    line.allocated_quantity -= released
    OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity)
    return released


def lines_of(order: Order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order=order).select_related("reservation", "product").order_by("pk"))
