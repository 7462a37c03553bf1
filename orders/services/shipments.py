"""Shipping allocated units and confirming delivery."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import InsufficientStock, InvalidState, ValidationFailed
from inventory import services as stock
from inventory.models import Product, Reservation, StockLot
from orders.edi import services as edi
from orders.models import Order, OrderLine, Shipment, ShipmentLine
from orders.selectors import shipment_view
from orders.services.common import (
    OPEN_STATUSES,
    T,
    client_of,
    code_assign,
    lines_of,
    lock_orders,
    order_emit,
    order_item_ids,
    order_touch,
    status_refresh,
)
from orders.services.fsma import shipment_trace_record
from partners.principal import Principal
from webhooks.services import event_emit


@dataclass
class ShipLineRequest:
    product: Product
    quantity: int
    batch_number: str | None = None
    warehouse_code: str | None = None


@dataclass
class _Held:
    """Units of one lot held for one order line: what a shipment can take."""

    line: OrderLine
    lot: StockLot
    quantity: int


def _held_units(lines: list[OrderLine], locked) -> list[_Held]:
    held = []
    for line in lines:
        if line.reservation_id is None:
            continue
        for lot_id, quantity in stock.holds_of(line.reservation).items():
            held.append(_Held(line=line, lot=locked.lot(lot_id), quantity=quantity))
    held.sort(key=lambda h: (h.line.pk, h.lot.batch.expiration_date, h.lot.batch.batch_number, h.lot.pk))
    return held


def _plan(order: Order, held: list[_Held], lines: list[OrderLine],
          requests: list[ShipLineRequest] | None) -> list[tuple[_Held, int]]:
    """Which held units leave: all of them by default, else each request's, first expired first."""
    if requests is None:
        if not held:
            raise InsufficientStock(f"Order {order.code} has no allocated units to ship.")
        return [(h, h.quantity) for h in held]
    ordered = {line.product_id for line in lines}
    left = {id(h): h.quantity for h in held}
    plan, errors = [], []
    for index, request in enumerate(requests):
        if request.product.pk not in ordered:
            errors.append({"field": f"lines[{index}].productId",
                           "message": f"Order {order.code} has no line for {request.product.sku}."})
            continue
        remaining = request.quantity
        for h in held:
            if (h.line.product_id != request.product.pk or not left[id(h)]
                    or (request.batch_number and h.lot.batch.batch_number != request.batch_number)
                    or (request.warehouse_code and h.lot.warehouse.code != request.warehouse_code)):
                continue
            take = min(left[id(h)], remaining)
            left[id(h)] -= take
            remaining -= take
            plan.append((h, take))
            if not remaining:
                break
        if remaining:
            where = " ".join(filter(None, [request.batch_number, request.warehouse_code]))
            raise InsufficientStock(
                f"Order {order.code} has {request.quantity - remaining} units of {request.product.sku}"
                f"{' in ' + where if where else ''} allocated; {request.quantity} requested.",
                errors=[{"field": f"lines[{index}].quantity",
                         "message": f"Only {request.quantity - remaining} units are allocated."}])
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return plan


def shipment_create(*, order: Order, carrier: str = "", tracking_number: str = "",
                    lines: list[ShipLineRequest] | None = None, actor: Principal | None = None,
                    packages: list | None = None) -> Shipment:
    """Ship allocated units of an order (all of them by default): on hand and reserved both fall."""
    with stock.stock_work(actor=actor) as work:
        locked = work.lock(order_item_ids(order).values())
        order = lock_orders([order.pk])[order.pk]
        if order.status not in OPEN_STATUSES:
            raise InvalidState(f"Order {order.code} is {order.status}; it has nothing left to ship.",
                               extra={"orderStatus": order.status})
        order_lines = lines_of(order)
        plan = _plan(order, _held_units(order_lines, locked), order_lines, lines)
        shipment = Shipment.objects.create(order=order, supplier_id=order.supplier_id,
                                           retail_partner_id=order.retail_partner_id, carrier=carrier,
                                           tracking_number=tracking_number, shipped_at=timezone.now(),
                                           created_by=client_of(actor))
        code_assign(shipment, "SHP")
        _consume(work, locked, order, shipment, plan)
        # Supply-side hook (issue 18): the FSMA 204 shipping record of every lot that left.
        shipment_trace_record(order=order, shipment=shipment, plan=plan, occurred_at=work.now)
        status_refresh(order)
        edi.shipment_paperwork_issue(shipment=shipment, packages=packages, actor=actor)  # SSCC packages and the 856
        _shipment_emit(order, shipment, "shipment.created")
    return shipment


def _shipment_emit(order: Order, shipment: Shipment, type: str) -> None:
    """The shipment event, then the order as it now stands, to the order's two parties."""
    order_touch(order)
    event_emit(type=type, data=shipment_view(shipment), supplier_ids=[order.supplier_id],
               retail_partner_ids=[order.retail_partner_id])
    order_emit(order)


def _consume(work: stock.StockWork, locked, order: Order, shipment: Shipment, plan: list[tuple[_Held, int]]) -> None:
    per_line: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lines = {}
    for held, take in plan:
        per_line[held.line.pk][held.lot.pk] += take
        lines[held.line.pk] = held.line
    for line_id, per_lot in sorted(per_line.items()):
        line = lines[line_id]
        reservation: Reservation = line.reservation
        item = locked.item(reservation.item_id)
        movement = work.movement(item=item, lots=locked.lots_of(item.pk), type=T.SHIPMENT,
                                 reason=f"order {order.code} shipped", reference=shipment.code,
                                 retail_partner=order.retail_partner)
        stock.reservation_consume(movement=movement, reservation=reservation, lots=locked.lots_of(item.pk),
                                  per_lot=dict(per_lot), type=T.SHIPMENT)
        taken = sum(per_lot.values())
        for lot_id, quantity in sorted(per_lot.items()):
            lot = locked.lot(lot_id)
            ShipmentLine.objects.create(shipment=shipment, order_line=line, product_id=line.product_id,
                                        batch_id=lot.batch_id, warehouse_id=lot.warehouse_id, lot=lot,
                                        quantity=quantity)
        line.allocated_quantity -= taken
        line.shipped_quantity += taken
        OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity,
                                                    shipped_quantity=line.shipped_quantity)
        if line.shipped_quantity >= line.quantity:
            stock.reservation_close(reservation, Reservation.Status.CONSUMED)


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, actor: Principal | None = None) -> Shipment:
    """Mark a shipment delivered; the order is delivered once everything it shipped has arrived."""
    order = lock_orders([shipment.order_id])[shipment.order_id]
    shipment = Shipment.objects.select_for_update(no_key=True).get(pk=shipment.pk)
    if shipment.status == Shipment.Status.DELIVERED:
        raise InvalidState(f"Shipment {shipment.code} was already delivered.",
                           extra={"shipmentStatus": shipment.status})
    now = timezone.now()
    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.DELIVERED, delivered_at=now)
    shipment.status, shipment.delivered_at = Shipment.Status.DELIVERED, now
    if order.status == Order.Status.SHIPPED:
        status_refresh(order)
    _shipment_emit(order, shipment, "shipment.delivered")
    return shipment
