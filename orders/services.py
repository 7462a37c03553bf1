"""Every write of the partner workflow: orders, shipments, returns, backorders and recalls.

Lock order (see ``inventory.locks``): inventory items, then their lots, then the batch row
(recall, returns), then orders (all in primary-key order), and only then anything that
emits an event (``event_emit`` holds the sequence lock to commit). Allocations and order
lines change only while the items they reserve on are locked, so every service that locks
the items can trust what it reads about them; the order row lock serialises status changes
(cancel against ship, deliver against deliver).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from hotsauce import metrics
from hotsauce.errors import InsufficientStock, InvalidState, ValidationFailed
from inventory import services as stock
from inventory.locks import lock_items, lock_lots
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, StockLot, Warehouse
from inventory.selectors import shelf_life_cutoff
from orders.models import (
    Allocation,
    Order,
    OrderLine,
    Recall,
    RecallNotice,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
)
from orders.selectors import notice_view, order_view, recall_view, return_view, shipment_view
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from partners.selectors import is_trading
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
    metrics.order_status_changed(order.status, status)
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
    event_emit(type=type, data=order_view(order), supplier_ids=[order.supplier_id],
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


# --- orders ---------------------------------------------------------------------------


@dataclass
class LineRequest:
    product: Product
    quantity: int


@transaction.atomic
def order_create(*, supplier: Supplier, retail_partner: RetailPartner, lines: list[LineRequest],
                 requested_delivery_date: date | None = None, delivery_address=None, reference: str = "",
                 actor: Principal | None = None) -> Order:
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
        reference=reference, created_by=_client(actor))
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
    metrics.order_status_changed("new", status)
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


# --- shipments ------------------------------------------------------------------------


@dataclass
class ShipLineRequest:
    product: Product
    quantity: int
    batch_number: str | None = None
    warehouse_code: str | None = None


@transaction.atomic
def shipment_create(*, order: Order, carrier: str = "", tracking_number: str = "",
                    lines: list[ShipLineRequest] | None = None, actor: Principal | None = None) -> Shipment:
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


# --- returns --------------------------------------------------------------------------


@dataclass
class ReturnLineRequest:
    product: Product
    batch_number: str
    quantity: int
    reason: str


def _shipped_and_returned(*, batch: Batch, retail_partner: RetailPartner, order: Order | None) -> tuple[int, int]:
    shipped = ShipmentLine.objects.filter(batch=batch, shipment__retail_partner=retail_partner)
    returned = ReturnLine.objects.filter(batch=batch, ret__retail_partner=retail_partner)
    if order is not None:
        shipped = shipped.filter(shipment__order=order)
        returned = returned.filter(ret__order=order)
    return (shipped.aggregate(n=Sum("quantity"))["n"] or 0, returned.aggregate(n=Sum("quantity"))["n"] or 0)


@transaction.atomic
def return_create(*, supplier: Supplier, retail_partner: RetailPartner, lines: list[ReturnLineRequest],
                  order: Order | None = None, actor: Principal | None = None) -> Return:
    """Ask to send back units the retailer received; never more of a batch than was shipped to it."""
    if not lines:
        raise ValidationFailed.for_field("lines", "A return needs at least one line.")
    if order is not None and (order.supplier_id != supplier.pk or order.retail_partner_id != retail_partner.pk):
        raise ValidationFailed.for_field("orderId", f"No order {order.code} from {supplier.code}.")
    batches: list[Batch] = []
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            raise ValidationFailed.for_field(f"lines[{index}].quantity", "Must be a positive whole number.")
        if line.reason not in ReturnLine.Reason.values:
            raise ValidationFailed.for_field(f"lines[{index}].reason",
                                             f"Must be one of {', '.join(ReturnLine.Reason.values)}.")
        batch = Batch.objects.filter(product=line.product, batch_number=line.batch_number, supplier=supplier).first()
        if batch is None:
            raise ValidationFailed.for_field(f"lines[{index}].batchNumber",
                                             f"{supplier.code} has no batch {line.batch_number!r} of "
                                             f"{line.product.sku}.")
        batches.append(batch)
    # Two returns racing for the same shipped units: the batch row serialises them. NO KEY
    # UPDATE, because every ledger or shipment row inserted elsewhere takes KEY SHARE on its
    # batch (foreign key), and a plain FOR UPDATE here would deadlock with one that has emitted.
    list(Batch.objects.filter(pk__in={b.pk for b in batches}).order_by("pk").select_for_update(no_key=True))
    requested: dict[int, int] = defaultdict(int)
    for index, (line, batch) in enumerate(zip(lines, batches, strict=True)):
        requested[batch.pk] += line.quantity
        shipped, returned = _shipped_and_returned(batch=batch, retail_partner=retail_partner, order=order)
        if order is not None:  # the order's units are also bounded by everything returned of the batch
            all_shipped, all_returned = _shipped_and_returned(batch=batch, retail_partner=retail_partner, order=None)
            returnable = min(shipped - returned, all_shipped - all_returned)
        else:
            returnable = shipped - returned
        if requested[batch.pk] > returnable:
            raise ValidationFailed.for_field(
                f"lines[{index}].quantity",
                f"{max(returnable, 0)} units of batch {batch.batch_number} were shipped to {retail_partner.code} "
                f"and not yet returned; {requested[batch.pk]} requested.")
    ret = Return.objects.create(supplier=supplier, retail_partner=retail_partner, order=order,
                                created_by=_client(actor))
    _assign_code(ret, "RET")
    for number, (line, batch) in enumerate(zip(lines, batches, strict=True), start=1):
        ReturnLine.objects.create(code=f"{ret.code}-{number}", ret=ret, product=line.product, batch=batch,
                                  quantity=line.quantity, reason=line.reason)
    event_emit(type="return.created", data=return_view(ret), supplier_ids=[supplier.pk],
               retail_partner_ids=[retail_partner.pk])
    return ret


@dataclass
class ReceiveLineRequest:
    line_id: str
    disposition: str
    warehouse_code: str | None = None


def _return_warehouse(ret: Return, line: ReturnLine, code: str | None, field: str) -> Warehouse:
    if code:
        warehouse = Warehouse.objects.filter(supplier_id=ret.supplier_id, code=code).first()
        if warehouse is None:
            raise ValidationFailed.for_field(field, f"{ret.supplier.code} has no warehouse {code!r}.")
        return warehouse
    # Default: where the batch was shipped from to this retailer most recently.
    shipped_from = (ShipmentLine.objects.filter(batch=line.batch, shipment__retail_partner_id=ret.retail_partner_id)
                    .order_by("-pk").values_list("warehouse_id", flat=True).first())
    if shipped_from:
        return Warehouse.objects.get(pk=shipped_from)
    only = list(Warehouse.objects.filter(supplier_id=ret.supplier_id, active=True)[:2])
    if len(only) == 1:
        return only[0]
    raise ValidationFailed.for_field(field, "This field is required.")


@transaction.atomic
def return_receive(*, ret: Return, lines: list[ReceiveLineRequest], actor: Principal | None = None) -> Return:
    """Take returned units back: restock (sellable), quarantine (on hold) or writeOff (never on hand)."""
    if not lines:
        raise ValidationFailed.for_field("lines", "Name at least one line to receive.")
    known = {line.code: line for line in ReturnLine.objects.filter(ret=ret).select_related("batch", "product")}
    plan: list[tuple[ReturnLine, str, Warehouse]] = []
    seen = set()
    for index, request in enumerate(lines):
        line = known.get(request.line_id)
        if line is None:
            raise ValidationFailed.for_field(f"lines[{index}].lineId", f"Return {ret.code} has no line "
                                                                       f"{request.line_id!r}.")
        if request.line_id in seen:
            raise ValidationFailed.for_field(f"lines[{index}].lineId", "The same line is named twice.")
        seen.add(request.line_id)
        if request.disposition not in ReturnLine.Disposition.values:
            raise ValidationFailed.for_field(f"lines[{index}].disposition",
                                             f"Must be one of {', '.join(ReturnLine.Disposition.values)}.")
        plan.append((line, request.disposition,
                     _return_warehouse(ret, line, request.warehouse_code, f"lines[{index}].warehouseLocation")))

    item_by_product = _item_ids(ret.supplier, {line.product_id for line, _, _ in plan}, create=True)
    locked = _lock_stock(item_by_product.values())
    ret = (Return.objects.select_for_update(of=("self",), no_key=True).select_related("supplier", "retail_partner")
           .get(pk=ret.pk))
    received = set(ReturnLine.objects.filter(ret=ret, received_at__isnull=False).values_list("code", flat=True))
    for index, (line, _, _) in enumerate(plan):
        if line.code in received:
            raise InvalidState(f"Line {line.code} of return {ret.code} was already received.",
                               errors=[{"field": f"lines[{index}].lineId", "message": "Already received."}])
    rows: dict[int, list[tuple[int, int, int, int, int, str]]] = defaultdict(list)
    for line, disposition, warehouse in plan:
        item_id = item_by_product[line.product_id]
        lot = stock.lot_ensure(item=locked.items[item_id], lots=locked.lots[item_id], warehouse=warehouse,
                               batch=line.batch)
        note = f"return {line.code} ({line.reason}): {disposition}"
        q = line.quantity
        if disposition == ReturnLine.Disposition.RESTOCK:
            rows[item_id].append((lot.pk, q, q, 0, 0, note))
        elif disposition == ReturnLine.Disposition.QUARANTINE:
            rows[item_id].append((lot.pk, q, q, 0, q, note))
        else:
            # Ledgered against the lot so the trace shows it came back, but never on hand.
            rows[item_id].append((lot.pk, q, 0, 0, 0, note))
    for item_id, item_rows in sorted(rows.items()):
        stock.lots_record(item=locked.items[item_id], lots=locked.lots[item_id], type=T.RETURN, rows=item_rows,
                          actor=actor, retail_partner=ret.retail_partner, reference=ret.code,
                          reason=f"return {ret.code}")
    now = timezone.now()
    for line, disposition, warehouse in plan:
        ReturnLine.objects.filter(pk=line.pk).update(disposition=disposition, warehouse=warehouse, received_at=now)
    pending = ReturnLine.objects.filter(ret=ret, received_at__isnull=True).exists()
    ret.status = Return.Status.PARTIALLY_RECEIVED if pending else Return.Status.RECEIVED
    ret.received_at = None if pending else now
    Return.objects.filter(pk=ret.pk).update(status=ret.status, received_at=ret.received_at)
    event_emit(type="return.processed", data=return_view(ret), supplier_ids=[ret.supplier_id],
               retail_partner_ids=[ret.retail_partner_id])
    restocked = {item_by_product[line.product_id] for line, disposition, _ in plan
                 if disposition == ReturnLine.Disposition.RESTOCK}
    _after_commit_allocate(restocked)
    return ret


# --- recall ---------------------------------------------------------------------------


@transaction.atomic
def batch_recall(*, batch: Batch, reason: str, actor: Principal | None = None) -> Recall:
    """Put every lot of a batch on hold, free its reservations, re-allocate from other batches, tell retailers."""
    if not reason or not reason.strip():
        raise ValidationFailed.for_field("reason", "This field is required.")
    item_ids = set(StockLot.objects.filter(batch=batch).values_list("item_id", flat=True))
    locked = _lock_stock(item_ids)
    # The batch row too, before any event: return_create locks it and then emits.
    batch = (Batch.objects.select_related("product", "supplier").select_for_update(of=("self",), no_key=True)
             .get(pk=batch.pk))
    if batch.status == Batch.Status.RECALLED:
        raise InvalidState(f"Batch {batch.batch_number} of {batch.product.sku} is already recalled.")
    batch_lot_ids = {lot.pk for lots in locked.lots.values() for lot in lots if lot.batch_id == batch.pk}
    # Allocations on these lots change only under the item locks we hold: this read is final.
    allocations = list(Allocation.objects.filter(lot_id__in=batch_lot_ids).select_related("lot", "line"))
    orders = _lock_orders({allocation.line.order_id for allocation in allocations})

    recall = Recall.objects.create(batch=batch, reason=reason[:500], created_by=_client(actor))
    released_by_line: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        released_by_line[allocation.line_id] += allocation.quantity
    for order in orders.values():
        mine = [a for a in allocations if a.line.order_id == order.pk]
        _release(locked=locked, allocations=mine, order=order, actor=actor, reference=f"RECALL-{recall.pk}",
                 reason=f"batch {batch.batch_number} recalled")
    # Reservations made directly on the stock (not by an order) go too: nothing of the batch may ship.
    loose = 0
    for item_id, lots in sorted(locked.lots.items()):
        changes = [(lot.pk, 0, -lot.reserved, 0) for lot in lots if lot.batch_id == batch.pk and lot.reserved > 0]
        if changes:
            loose += sum(-change[2] for change in changes)
            stock.lots_apply(item=locked.items[item_id], lots=lots, type=T.RELEASE, changes=changes, actor=actor,
                             retail_partner=None, reference=f"RECALL-{recall.pk}",
                             reason=f"batch {batch.batch_number} recalled")
    stock.batch_set_status(batch=batch, status=Batch.Status.RECALLED, reason=reason)
    for lots in locked.lots.values():
        for lot in lots:
            if lot.batch_id == batch.pk:
                lot.batch.status = Batch.Status.RECALLED  # our locked copies must see the hold too

    now = timezone.now()
    lines = OrderLine.objects.filter(pk__in=released_by_line).order_by("order_id", "pk")
    for line in lines:
        order = orders[line.order_id]
        item_id = next(i for i, item in locked.items.items() if item.product_id == line.product_id)
        _allocate(line=line, order=order, item=locked.items[item_id], lots=locked.lots[item_id],
                  quantity=released_by_line[line.pk], actor=actor, now=now,
                  reason=f"re-allocated after recall of {batch.batch_number}")
    for order in orders.values():
        _refresh_status(order)
        _touch(order)
        _emit_order(order)

    batch_lots = [lot for lots in locked.lots.values() for lot in lots if lot.batch_id == batch.pk]
    shipped = dict(ShipmentLine.objects.filter(batch=batch).values("shipment__retail_partner_id")
                   .annotate(n=Sum("quantity")).values_list("shipment__retail_partner_id", "n"))
    returned = dict(ReturnLine.objects.filter(batch=batch).values("ret__retail_partner_id")
                    .annotate(n=Sum("quantity")).values_list("ret__retail_partner_id", "n"))
    for retail_partner_id in sorted(shipped):
        RecallNotice.objects.create(recall=recall, retail_partner_id=retail_partner_id,
                                    shipped_quantity=shipped[retail_partner_id],
                                    returned_quantity=returned.get(retail_partner_id, 0))
    recall.units_on_hand = sum(lot.on_hand for lot in batch_lots)
    recall.units_released = sum(released_by_line.values()) + loose
    recall.save(update_fields=["units_on_hand", "units_released"])

    view = recall_view(recall)
    summary = {key: value for key, value in view.items() if key != "retail_partners"}
    for notice in recall.notices.select_related("retail_partner"):
        # Each retailer hears only about its own units.
        event_emit(type="batch.recalled", data={**summary, **notice_view(notice)},
                   retail_partner_ids=[notice.retail_partner_id])
    event_emit(type="batch.recalled", data=view, supplier_ids=[batch.supplier_id])
    return recall


__all__ = [
    "LineRequest", "ReceiveLineRequest", "ReturnLineRequest", "ShipLineRequest", "backorders_allocate",
    "batch_recall", "order_cancel", "order_create", "return_create", "return_receive", "shipment_create",
    "shipment_deliver",
]
