"""Shipping allocated units and confirming delivery."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import InsufficientStock, InvalidState, ValidationFailed
from inventory import services as stock
from inventory.models import Product
from orders.edi import services as edi
from orders.models import (
    Allocation,
    Order,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from orders.selectors import shipment_view
from orders.services.common import (
    OPEN_STATUSES,
    S,
    T,
    _assign_code,
    _client,
    _emit_order,
    _lock_orders,
    _lock_stock,
    _order_item_ids,
    _refresh_status,
    _touch,
)
from partners.principal import Principal
from webhooks.services import event_emit

# --- shipments ------------------------------------------------------------------------


@dataclass
class ShipLineRequest:
    product: Product
    quantity: int
    batch_number: str | None = None
    warehouse_code: str | None = None


@transaction.atomic
def shipment_create(*, order: Order, carrier: str = "", tracking_number: str = "",
                    lines: list[ShipLineRequest] | None = None, actor: Principal | None = None,
                    packages: list | None = None) -> Shipment:
    """Ship allocated units of an order (all of them by default): on hand and reserved both fall."""
    locked = _lock_stock(_order_item_ids(order).values())
    order = _lock_orders([order.pk])[order.pk]
    if order.status not in OPEN_STATUSES:
        raise InvalidState(f"Order {order.code} is {order.status}; it has nothing left to ship.",
                           extra={"orderStatus": order.status})
    lots_by_id = {lot.pk: lot for lots in locked.lots.values() for lot in lots}
    allocations = list(Allocation.objects.filter(line__order=order).select_related("line"))
    for allocation in allocations:
        allocation.lot = lots_by_id[allocation.lot_id]
    allocations.sort(key=lambda a: (a.line_id, a.lot.batch.expiration_date, a.lot.batch.batch_number, a.lot_id))

    plan: list[tuple[Allocation, int]] = []
    if lines is None:
        plan = [(allocation, allocation.quantity) for allocation in allocations]
        if not plan:
            raise InsufficientStock(f"Order {order.code} has no allocated units to ship.")
    else:
        left = {allocation.pk: allocation.quantity for allocation in allocations}
        ordered_products = {allocation.line.product_id for allocation in allocations} | set(
            OrderLine.objects.filter(order=order).values_list("product_id", flat=True))
        for index, request in enumerate(lines):
            if request.product.pk not in ordered_products:
                raise ValidationFailed.for_field(f"lines[{index}].productId",
                                                 f"Order {order.code} has no line for {request.product.sku}.")
            remaining = request.quantity
            for allocation in allocations:
                lot = allocation.lot
                if (allocation.line.product_id != request.product.pk or not left[allocation.pk]
                        or (request.batch_number and lot.batch.batch_number != request.batch_number)
                        or (request.warehouse_code and lot.warehouse.code != request.warehouse_code)):
                    continue
                take = min(left[allocation.pk], remaining)
                left[allocation.pk] -= take
                remaining -= take
                plan.append((allocation, take))
                if not remaining:
                    break
            if remaining:
                where = " ".join(filter(None, [request.batch_number, request.warehouse_code]))
                raise InsufficientStock(
                    f"Order {order.code} has {request.quantity - remaining} units of {request.product.sku}"
                    f"{' in ' + where if where else ''} allocated; {request.quantity} requested.",
                    errors=[{"field": f"lines[{index}].quantity",
                             "message": f"Only {request.quantity - remaining} units are allocated."}])

    now = timezone.now()
    shipment = Shipment.objects.create(order=order, supplier_id=order.supplier_id,
                                       retail_partner_id=order.retail_partner_id, carrier=carrier,
                                       tracking_number=tracking_number, shipped_at=now, created_by=_client(actor))
    _assign_code(shipment, "SHP")
    by_item: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    per_line_lot: dict[tuple[int, int], int] = defaultdict(int)
    per_allocation: dict[int, int] = defaultdict(int)
    for allocation, take in plan:
        by_item[allocation.lot.item_id][allocation.lot_id] += take
        per_line_lot[(allocation.line_id, allocation.lot_id)] += take
        per_allocation[allocation.pk] += take
    for item_id, per_lot in sorted(by_item.items()):
        stock.lots_apply(item=locked.items[item_id], lots=locked.lots[item_id], type=T.SHIPMENT,
                         changes=[(lot_id, -qty, -qty, 0) for lot_id, qty in per_lot.items()], actor=actor,
                         retail_partner=order.retail_partner, reference=shipment.code,
                         reason=f"order {order.code} shipped")
    lines_by_id = {allocation.line_id: allocation.line for allocation in allocations}
    for (line_id, lot_id), take in per_line_lot.items():
        lot = lots_by_id[lot_id]
        ShipmentLine.objects.create(shipment=shipment, order_line_id=line_id,
                                    product_id=lines_by_id[line_id].product_id, batch_id=lot.batch_id,
                                    warehouse_id=lot.warehouse_id, lot_id=lot_id, quantity=take)
        line = lines_by_id[line_id]
        line.allocated_quantity -= take
        line.shipped_quantity += take
    for line in lines_by_id.values():
        OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity,
                                                    shipped_quantity=line.shipped_quantity)
    for allocation in allocations:
        taken = per_allocation.get(allocation.pk, 0)
        if taken == allocation.quantity:
            allocation.delete()
        elif taken:
            Allocation.objects.filter(pk=allocation.pk).update(quantity=allocation.quantity - taken)
    _refresh_status(order)
    _touch(order)
    edi.shipment_packed(shipment=shipment, packages=packages, actor=actor)  # SSCC packages and the 856
    event_emit(type="shipment.created", data=shipment_view(shipment), supplier_ids=[order.supplier_id],
               retail_partner_ids=[order.retail_partner_id])
    _emit_order(order)
    return shipment


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, actor: Principal | None = None) -> Shipment:
    """Mark a shipment delivered; the order is delivered once everything it shipped has arrived."""
    order = _lock_orders([shipment.order_id])[shipment.order_id]
    shipment = Shipment.objects.select_for_update(no_key=True).get(pk=shipment.pk)
    if shipment.status == Shipment.Status.DELIVERED:
        raise InvalidState(f"Shipment {shipment.code} was already delivered.",
                           extra={"shipmentStatus": shipment.status})
    now = timezone.now()
    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.DELIVERED, delivered_at=now)
    shipment.status, shipment.delivered_at = Shipment.Status.DELIVERED, now
    if order.status == S.SHIPPED:
        _refresh_status(order)
    _touch(order)
    event_emit(type="shipment.delivered", data=shipment_view(shipment), supplier_ids=[order.supplier_id],
               retail_partner_ids=[order.retail_partner_id])
    _emit_order(order)
    return shipment
