"""Placing, cancelling and back-filling orders, and the supplier's reservation for an order (brief step 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from django.db import transaction
from django.utils import timezone

from hotsauce import metrics
from hotsauce.errors import InsufficientStock, InvalidState, ValidationFailed
from inventory import services as stock
from inventory.models import InventoryItem, Product
from inventory.tasks import forecasts_refresh_enqueue
from orders.models import Order, OrderLine
from orders.services.common import (
    CANCELLABLE,
    OPEN_STATUSES,
    S,
    client_of,
    code_assign,
    line_allocate,
    lines_of,
    lock_orders,
    min_expiry,
    order_emit,
    order_item_ids,
    order_touch,
    order_transition,
    status_derive,
    status_refresh,
    stock_item_ids,
)
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from partners.selectors import is_trading


@dataclass
class LineRequest:
    product: Product
    quantity: int


def _order_validate(*, supplier: Supplier, retail_partner: RetailPartner, lines: list[LineRequest],
                    requested_delivery_date: date | None) -> None:
    errors = []
    if not is_trading(supplier_id=supplier.pk, retail_partner_id=retail_partner.pk):
        errors.append({"field": "supplierId", "message": f"{retail_partner.code} does not trade with {supplier.code}."})
    if not lines:
        errors.append({"field": "lines", "message": "An order needs at least one line."})
    seen = set()
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            errors.append({"field": f"lines[{index}].quantity", "message": "Must be a positive whole number."})
        if line.product.pk in seen:
            errors.append({"field": f"lines[{index}].productId", "message": "One line per product."})
        seen.add(line.product.pk)
    if requested_delivery_date is not None and requested_delivery_date < timezone.now().date():
        errors.append({"field": "requestedDeliveryDate", "message": "Must not be in the past."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)


def order_create(*, supplier: Supplier, retail_partner: RetailPartner, lines: list[LineRequest],
                 requested_delivery_date: date | None = None, delivery_address=None, reference: str = "",
                 actor: Principal | None = None, attributes: dict | None = None) -> Order:
    """Place an order and reserve what stock allows (FEFO, shelf life respected); backorder the rest."""
    _order_validate(supplier=supplier, retail_partner=retail_partner, lines=lines,
                    requested_delivery_date=requested_delivery_date)
    item_by_product = stock.item_ids_ensure(supplier=supplier, products=[line.product for line in lines])
    with stock.stock_work(actor=actor) as work:
        locked = work.lock(item_by_product.values())
        order = Order.objects.create(
            supplier=supplier, retail_partner=retail_partner, status=S.BACKORDERED,
            requested_delivery_date=requested_delivery_date,
            delivery_address=delivery_address if delivery_address is not None else "",
            reference=reference, created_by=client_of(actor), attributes=attributes or {})
        code_assign(order, "ORD")
        # Every line in a fixed number of statements (issue 19): what ``line_allocate`` does for each.
        cutoff = min_expiry(order, work.now)
        reservations = stock.reservations_open_partial(work=work, requests=[stock.HoldRequest(
            item=locked.item(item_by_product[request.product.pk]),
            lots=locked.lots_of(item_by_product[request.product.pk]), quantity=request.quantity, min_expiry=cutoff,
            retail_partner=retail_partner, order_ref=order.code, reason=f"order {order.code}",
            reference=order.reference, ledger_reason=f"order {order.code}", ledger_reference=order.code)
            for request in lines])
        created = OrderLine.objects.bulk_create([
            OrderLine(order=order, product=request.product, quantity=request.quantity, reservation=reservation,
                      allocated_quantity=reservation.quantity)
            for request, reservation in zip(lines, reservations, strict=True)])
        order.status = status_derive(order, created)
        Order.objects.filter(pk=order.pk).update(status=order.status)
        metrics.order_status_changed("new", order.status)
        order.view = order_emit(order, "order.created")
        # Supply-side hook (issue 18): an item an order now waits for gets its restock alert at once.
        waiting = [item_by_product[line.product_id] for line in created if line.allocated_quantity < line.quantity]
        if waiting:
            transaction.on_commit(partial(forecasts_refresh_enqueue, waiting))
    return order


def order_cancel(*, order: Order, actor: Principal | None, reason: str = "") -> Order:
    """Cancel an order that has not shipped anything and release what it holds."""
    with stock.stock_work(actor=actor) as work:
        locked = work.lock(order_item_ids(order).values())
        order = lock_orders([order.pk])[order.pk]
        if order.status not in CANCELLABLE:
            raise InvalidState(f"Order {order.code} is {order.status}; only an order with nothing shipped can be "
                               f"cancelled.", extra={"orderStatus": order.status})
        # Every line in a fixed number of statements (issue 19): what ``line_release`` then
        # ``reservation_close`` do for each.
        lines = [line for line in lines_of(order) if line.reservation_id]
        released = stock.reservations_release_close(work=work, requests=[stock.ReleaseRequest(
            reservation=line.reservation, item=locked.item(line.reservation.item_id),
            lots=locked.lots_of(line.reservation.item_id), retail_partner=order.retail_partner,
            ledger_reason=f"order {order.code} cancelled", ledger_reference=order.code) for line in lines])
        for line, units in zip(lines, released, strict=True):
            line.allocated_quantity -= units
        OrderLine.objects.bulk_update([line for line, units in zip(lines, released, strict=True) if units],
                                      ["allocated_quantity"])
        order_transition(order, S.CANCELLED)
        now = timezone.now()
        Order.objects.filter(pk=order.pk).update(cancelled_at=now, cancel_reason=reason[:500])
        order.cancelled_at, order.cancel_reason = now, reason[:500]
        order.view = order_emit(order)
    return order


def _open_lines(orders: dict[int, Order], product_id: int) -> list[OrderLine]:
    return [line for line in (OrderLine.objects.filter(order_id__in=orders, product_id=product_id)
                              .select_related("reservation").order_by("order_id", "pk"))
            if orders[line.order_id].status in OPEN_STATUSES]


def backorders_allocate(*, item_id: int) -> int:
    """Give newly free units of one item to backordered lines, oldest order first; returns units reserved."""
    item = InventoryItem.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    waiting = list(OrderLine.objects.filter(order__supplier_id=item.supplier_id, product_id=item.product_id,
                                            order__status__in=OPEN_STATUSES)
                   .values_list("order_id", flat=True).distinct())
    if not waiting:
        return 0
    with stock.stock_work(actor=None) as work:
        locked = work.lock([item_id])
        orders = lock_orders(waiting)
        total = 0
        changed: dict[int, Order] = {}
        for line in _open_lines(orders, item.product_id):
            order = orders[line.order_id]
            need = line.quantity - line.allocated_quantity - line.shipped_quantity
            taken = line_allocate(work=work, line=line, order=order, item=locked.item(item_id),
                                  lots=locked.lots_of(item_id), quantity=need, actor=None,
                                  reason=f"backorder of {order.code}")
            if taken:
                total += taken
                changed[order.pk] = order
        for order in changed.values():
            status_refresh(order)
            order_touch(order)
            order_emit(order)
    return total


def order_allocate_remainder(*, order: Order, product: Product, actor: Principal | None,
                             quantity: int | None = None, idempotency_key: str = "") -> stock.MovementResult:
    """The supplier's reservation for an order (the brief's step 4): allocate what the order still lacks.

    Never more than the line's not-yet-allocated remainder (``quantity`` caps it further); the
    line and the order's status change in the same transaction. Nothing left to allocate is
    409 invalid_state; nothing available for the remainder is 409 insufficient_stock.
    """
    item_id = stock_item_ids(order, [product.pk])[product.pk]
    with stock.stock_work(actor=actor) as work:
        locked = work.lock([item_id])
        order = lock_orders([order.pk])[order.pk]
        line = next((line for line in lines_of(order) if line.product_id == product.pk), None)
        if line is None:
            raise ValidationFailed.for_field("orderId", f"Order {order.code} has no line for {product.sku}.")
        remainder = line.quantity - line.allocated_quantity - line.shipped_quantity
        if order.status not in OPEN_STATUSES or remainder <= 0:
            raise InvalidState(f"Order {order.code} has nothing of {product.sku} left to allocate "
                               f"({line.allocated_quantity} allocated, {line.shipped_quantity} shipped of "
                               f"{line.quantity}).", extra={"orderStatus": order.status})
        item, lots = locked.item(item_id), locked.lots_of(item_id)
        rows_before = len(work.rows)
        taken = line_allocate(work=work, line=line, order=order, item=item, lots=lots,
                              quantity=min(remainder, quantity or remainder), actor=actor,
                              reason=f"reserved for order {order.code}")
        if not taken:
            raise InsufficientStock(
                f"Order {order.code} lacks {remainder} units of {product.sku}; none can be promised to "
                f"{order.retail_partner.code} now.", errors=[{"field": "quantity", "message": "0 units available."}])
        for row in work.rows[rows_before:]:
            row.idempotency_key = idempotency_key[:255]
        status_refresh(order)
        order_touch(order)
        order.view = order_emit(order)
        rows = work.rows[rows_before:]
    return stock.MovementResult(item=item, lots=lots, transactions=rows, reservation=line.reservation)


def order_reserve(*, supplier: Supplier, product: Product, quantity: int | None, actor: Principal | None,
                  order_code: str | None = None, **hold) -> stock.MovementResult:
    """The ``reservation`` movement as the API offers it: naming an order, that order's remainder
    (the brief's step 4); otherwise a standalone hold (``inventory.services.stock_reserve``)."""
    if not order_code:
        return stock.stock_reserve(supplier=supplier, product=product, quantity=quantity, actor=actor, **hold)
    order = (Order.objects.filter(code=order_code, supplier=supplier).select_related("supplier", "retail_partner")
             .first())
    if order is None:
        raise ValidationFailed.for_field("orderId", f"{supplier.code} has no order {order_code}.")
    return order_allocate_remainder(order=order, product=product, actor=actor, quantity=quantity,
                                    idempotency_key=hold.get("idempotency_key", ""))


# The movement table the API dispatches by: inventory's, with an order-aware reservation.
MOVEMENTS = {**stock.MOVEMENTS, "reservation": stock.MovementSpec(
    order_reserve, (*stock.MOVEMENTS["reservation"].fields, "order_code"))}


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
