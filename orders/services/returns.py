"""Returns: what a retailer may send back, and taking it back into stock."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hotsauce.errors import InvalidState, NotFound, ValidationFailed
from inventory import services as stock
from inventory.models import Batch, Product, Warehouse
from orders.models import (
    Order,
    Return,
    ReturnLine,
    ShipmentLine,
)
from orders.selectors import return_view
from orders.services.common import T, client_of, code_assign
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from webhooks.services import event_emit

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
        raise NotFound.for_field("orderId", f"No order {order.code} from {supplier.code}.")
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
                                created_by=client_of(actor))
    code_assign(ret, "RET")
    for number, (line, batch) in enumerate(zip(lines, batches, strict=True), start=1):
        ReturnLine.objects.create(code=f"{ret.code}-{number}", ret=ret, product=line.product, batch=batch,
                                  quantity=line.quantity, reason=line.reason)
    event_emit(type="return.created", data=return_view(ret), supplier_ids=[supplier.pk],
               retail_partner_ids=[retail_partner.pk])
    return ret


@dataclass
class ReceiveLineRequest:
    """One line to receive: one ``disposition`` for all its units, or ``quantities`` per disposition.

    ``quantities`` (e.g. ``{"restock": 6, "quarantine": 3, "writeOff": 1}``) splits the line; they
    must add up to the line's quantity. The line then becomes one line per disposition (the first
    keeps its id), so every return line still has one disposition and the ledger one row each.
    """

    line_id: str
    disposition: str = ""
    warehouse_code: str | None = None
    quantities: dict[str, int] | None = None


# (line, disposition, warehouse, units)
Plan = list[tuple[ReturnLine, str, Warehouse, int]]


def _split(line: ReturnLine, request: ReceiveLineRequest, index: int) -> list[tuple[str, int]]:
    """The (disposition, units) parts a request takes ``line`` back as."""
    if request.quantities is None:
        if request.disposition not in ReturnLine.Disposition.values:
            raise ValidationFailed.for_field(f"lines[{index}].disposition",
                                             f"Must be one of {', '.join(ReturnLine.Disposition.values)}.")
        return [(request.disposition, line.quantity)]
    field = f"lines[{index}].quantities"
    unknown = set(request.quantities) - set(ReturnLine.Disposition.values)
    if unknown:
        raise ValidationFailed.for_field(field, f"Unknown disposition {sorted(unknown)[0]!r}; use "
                                                f"{', '.join(ReturnLine.Disposition.values)}.")
    if any(not isinstance(q, int) or q < 0 for q in request.quantities.values()):
        raise ValidationFailed.for_field(field, "Quantities must be whole numbers, zero or more.")
    if sum(request.quantities.values()) != line.quantity:
        raise ValidationFailed.for_field(field, f"The parts add up to {sum(request.quantities.values())}; line "
                                                f"{line.code} has {line.quantity} units.")
    return [(d, request.quantities[d]) for d in ReturnLine.Disposition.values if request.quantities.get(d)]


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
        parts = _split(line, request, index)
        warehouse = _return_warehouse(ret, line, request.warehouse_code, f"lines[{index}].warehouseLocation")
        plan.extend((line, disposition, warehouse, units) for disposition, units in parts)

    item_by_product = stock.item_ids_ensure(supplier=ret.supplier, products={p[0].product_id for p in plan})
    with stock.stock_work(actor=actor) as work:
        locked = work.lock(item_by_product.values())
        ret = (Return.objects.select_for_update(of=("self",), no_key=True)
               .select_related("supplier", "retail_partner").get(pk=ret.pk))
        received = set(ReturnLine.objects.filter(ret=ret, received_at__isnull=False).values_list("code", flat=True))
        for index, request in enumerate(lines):
            if request.line_id in received:
                raise InvalidState(f"Line {request.line_id} of return {ret.code} was already received.",
                                   errors=[{"field": f"lines[{index}].lineId", "message": "Already received."}])
        _take_back(work, locked, ret, plan, item_by_product)
        _receive_finish(ret, plan)
    return ret


def _take_back(work: stock.StockWork, locked, ret: Return, plan: Plan, item_by_product: dict[int, int]) -> None:
    movements = {}
    for line, disposition, warehouse, q in plan:
        item_id = item_by_product[line.product_id]
        item, lots = locked.item(item_id), locked.lots_of(item_id)
        if item_id not in movements:
            movements[item_id] = work.movement(item=item, lots=lots, type=T.RETURN, reason=f"return {ret.code}",
                                               reference=ret.code, retail_partner=ret.retail_partner)
        lot = stock.lot_ensure(item=item, lots=lots, warehouse=warehouse, batch=line.batch)
        note = f"return {line.code} ({line.reason}): {disposition}"
        if disposition == ReturnLine.Disposition.WRITE_OFF:
            # Ledgered against the lot so the trace shows it came back, but never on hand.
            movements[item_id].change(lot, quantity=q, reason=note)
        else:
            held = q if disposition == ReturnLine.Disposition.QUARANTINE else 0
            movements[item_id].change(lot, quantity=q, on_hand=q, quarantined=held, reason=note)


def _receive_finish(ret: Return, plan: Plan) -> None:
    now = timezone.now()
    first = set()
    number = ReturnLine.objects.filter(ret=ret).count()  # the return is locked: numbers cannot collide
    for line, disposition, warehouse, units in plan:
        if line.pk not in first:
            first.add(line.pk)
            ReturnLine.objects.filter(pk=line.pk).update(disposition=disposition, warehouse=warehouse,
                                                         received_at=now, quantity=units)
            continue
        # A split line: each further part becomes a line of its own, received with its disposition.
        number += 1
        ReturnLine.objects.create(code=f"{ret.code}-{number}", ret=ret, product=line.product, batch=line.batch,
                                  quantity=units, reason=line.reason, disposition=disposition, warehouse=warehouse,
                                  received_at=now)
    pending = ReturnLine.objects.filter(ret=ret, received_at__isnull=True).exists()
    ret.status = Return.Status.PARTIALLY_RECEIVED if pending else Return.Status.RECEIVED
    ret.received_at = None if pending else now
    Return.objects.filter(pk=ret.pk).update(status=ret.status, received_at=ret.received_at)
    event_emit(type="return.processed", data=return_view(ret), supplier_ids=[ret.supplier_id],
               retail_partner_ids=[ret.retail_partner_id])
