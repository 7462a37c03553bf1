"""Placing, cancelling and back-filling orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from inventory.models import InventoryItem, Product
from orders.models import (
    Allocation,
    Order,
    OrderLine,
)
from orders.services.common import (
    CANCELLABLE,
    OPEN_STATUSES,
    S,
    _after_commit_allocate,
    _allocate,
    _assign_code,
    _client,
    _derive_status,
    _emit_order,
    _item_ids,
    _lock_orders,
    _lock_stock,
    _order_item_ids,
    _order_transition,
    _refresh_status,
    _release,
    _touch,
)
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from partners.selectors import is_trading

# --- orders ---------------------------------------------------------------------------


@dataclass
class LineRequest:
    product: Product
    quantity: int


@transaction.atomic
def order_create(*, supplier: Supplier, retail_partner: RetailPartner, lines: list[LineRequest],
                 requested_delivery_date: date | None = None, delivery_address=None, reference: str = "",
                 actor: Principal | None = None, attributes: dict | None = None) -> Order:
    """Place an order and reserve what stock allows (FEFO, shelf life respected); backorder the rest."""
    if not is_trading(supplier_id=supplier.pk, retail_partner_id=retail_partner.pk):
        raise ValidationFailed.for_field("supplierId", f"{retail_partner.code} does not trade with {supplier.code}.")
    if not lines:
        raise ValidationFailed.for_field("lines", "An order needs at least one line.")
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            raise ValidationFailed.for_field(f"lines[{index}].quantity", "Must be a positive whole number.")
    now = timezone.now()
    if requested_delivery_date is not None and requested_delivery_date < now.date():
        raise ValidationFailed.for_field("requestedDeliveryDate", "Must not be in the past.")

    item_by_product = _item_ids(supplier, [line.product.pk for line in lines], create=True)
    locked = _lock_stock(item_by_product.values())
    order = Order.objects.create(
        supplier=supplier, retail_partner=retail_partner, status=S.BACKORDERED,
        requested_delivery_date=requested_delivery_date,
        delivery_address=delivery_address if delivery_address is not None else "",
        reference=reference, created_by=_client(actor), attributes=attributes or {})
    _assign_code(order, "ORD")
    created = []
    for request in lines:
        line = OrderLine.objects.create(order=order, product=request.product, quantity=request.quantity)
        item_id = item_by_product[request.product.pk]
        _allocate(line=line, order=order, item=locked.items[item_id], lots=locked.lots[item_id],
                  quantity=request.quantity, actor=actor, now=now, reason=f"order {order.code}")
        created.append(line)
    status = _derive_status(order, created)
    Order.objects.filter(pk=order.pk).update(status=status)
    order.status = status
    _emit_order(order, "order.created")
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor: Principal | None, reason: str = "") -> Order:
    """Cancel an order that has not shipped anything and release what it holds."""
    locked = _lock_stock(_order_item_ids(order).values())
    order = _lock_orders([order.pk])[order.pk]
    if order.status not in CANCELLABLE:
        raise InvalidState(f"Order {order.code} is {order.status}; only an order with nothing shipped can be "
                           f"cancelled.", extra={"orderStatus": order.status})
    allocations = list(Allocation.objects.filter(line__order=order).select_related("lot"))
    _release(locked=locked, allocations=allocations, order=order, actor=actor, reference=order.code,
             reason=f"order {order.code} cancelled")
    _order_transition(order, S.CANCELLED)
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(cancelled_at=now, cancel_reason=reason[:500])
    order.cancelled_at, order.cancel_reason = now, reason[:500]
    _emit_order(order)
    _after_commit_allocate(locked.items)
    return order


@transaction.atomic
def backorders_allocate(*, item_id: int) -> int:
    """Give newly free units of one item to backordered lines, oldest order first; returns units reserved."""
    item = InventoryItem.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    waiting = (OrderLine.objects.filter(order__supplier_id=item.supplier_id, product_id=item.product_id,
                                        order__status__in=OPEN_STATUSES)
               .values_list("order_id", flat=True).distinct())
    if not waiting:
        return 0
    locked = _lock_stock([item_id])
    orders = _lock_orders(waiting)
    lines = (OrderLine.objects.filter(order_id__in=orders, product_id=item.product_id)
             .order_by("order_id", "pk"))
    now = timezone.now()
    total = 0
    changed: list[Order] = []
    for line in lines:
        order = orders[line.order_id]
        if order.status not in OPEN_STATUSES:
            continue
        need = line.quantity - line.allocated_quantity - line.shipped_quantity
        taken = _allocate(line=line, order=order, item=locked.items[item_id], lots=locked.lots[item_id],
                          quantity=need, actor=None, now=now, reason=f"backorder of {order.code}")
        if taken:
            total += taken
            if order not in changed:
                changed.append(order)
    for order in changed:
        _refresh_status(order)
        _touch(order)
        _emit_order(order)
    return total


def items_with_backorders() -> list[int]:
    """Inventory items some open order still waits on."""
    pairs = set(OrderLine.objects.filter(order__status__in=(S.BACKORDERED, S.PARTIALLY_ALLOCATED,
                                                           S.PARTIALLY_SHIPPED))
                .values_list("order__supplier_id", "product_id"))
    ids = []
    for supplier_id, product_id in sorted(pairs):
        item_id = InventoryItem.objects.filter(supplier_id=supplier_id, product_id=product_id).values_list(
            "pk", flat=True).first()
        if item_id:
            ids.append(item_id)
    return ids
