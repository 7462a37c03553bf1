"""Discrepancies between partners: opening, the thread, and the state machine with its resolutions.

open → acknowledged → resolved | rejected; rejected → open (the retailer disputes the
rejection). The supplier (or the brand) acknowledges, resolves and rejects; its first
message in the thread acknowledges an open discrepancy. Every change is one transaction
with its event (``discrepancy.opened``, ``.updated``, ``.resolved``) to the two parties.

Lock order: the discrepancy row first (NO KEY UPDATE, so messages referencing it are not
blocked), then whatever a resolution locks through the public services (stock, orders).
Nothing locks stock first and a discrepancy second.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import InvalidState, NotFound, ValidationFailed
from inventory import services as stock
from inventory.models import Batch, Product, StockLot
from orders import services as orders
from orders.feedback.models import AuthorKind, Discrepancy, DiscrepancyMessage
from orders.feedback.services.common import author_of, discrepancy_emit, discrepancy_insert, due_at
from orders.models import Order, Shipment, ShipmentLine
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from partners.selectors import is_trading

K, S, R = Discrepancy.Kind, Discrepancy.Status, Discrepancy.Resolution
MAX_BODY = 5000


def _lock(discrepancy: Discrepancy) -> Discrepancy:
    return (Discrepancy.objects.select_for_update(of=("self",), no_key=True)
            .select_related("supplier", "retail_partner", "product", "batch", "order")
            .get(pk=discrepancy.pk))


def _save(discrepancy: Discrepancy, **fields) -> None:
    fields["updated_at"] = timezone.now()
    Discrepancy.objects.filter(pk=discrepancy.pk).update(**fields)
    for name, value in fields.items():
        setattr(discrepancy, name, value)


def _message_add(discrepancy: Discrepancy, body: str, actor: Principal | None) -> DiscrepancyMessage:
    author = author_of(actor)
    return DiscrepancyMessage.objects.create(discrepancy=discrepancy, author_kind=author.kind,
                                             author_client=author.client, author_user=author.user, body=body)


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed.for_field(field, "This field is required.")
    if len(value) > MAX_BODY:
        raise ValidationFailed.for_field(field, f"At most {MAX_BODY} characters.")
    return value


# --- opening --------------------------------------------------------------------------


@dataclass
class DiscrepancyRequest:
    kind: str
    retail_partner: RetailPartner
    supplier: Supplier | None = None
    order: Order | None = None
    shipment: Shipment | None = None
    product: Product | None = None
    batch_number: str = ""
    expected_quantity: int | None = None
    actual_quantity: int | None = None
    quantity: int | None = None
    description: str = ""


def _check_parties(request: DiscrepancyRequest) -> None:
    if request.shipment is not None:
        if request.order is not None and request.order.pk != request.shipment.order_id:
            raise ValidationFailed.for_field("shipmentId", f"Shipment {request.shipment.code} belongs to another "
                                                           f"order.")
        request.order = request.shipment.order
    if request.order is not None:
        if request.supplier is not None and request.supplier.pk != request.order.supplier_id:
            raise ValidationFailed.for_field("supplierId", f"Order {request.order.code} is addressed to another "
                                                           f"supplier.")
        if request.order.retail_partner_id != request.retail_partner.pk:
            raise NotFound.for_field("orderId", f"No order {request.order.code} of "
                                                        f"{request.retail_partner.code}.")
        request.supplier = request.order.supplier
    if request.supplier is None:
        raise ValidationFailed.for_field("supplierId", "Name the supplier (or the orderId or shipmentId).")
    if not is_trading(supplier_id=request.supplier.pk, retail_partner_id=request.retail_partner.pk) \
            and request.order is None:
        raise ValidationFailed.for_field("supplierId", f"{request.retail_partner.code} does not trade with "
                                                       f"{request.supplier.code}.")


def _batch_of(request: DiscrepancyRequest) -> Batch | None:
    if not request.batch_number:
        return None
    if request.product is None:
        raise ValidationFailed.for_field("productId", "Name the product of the batch.")
    return Batch.objects.filter(product=request.product, batch_number=request.batch_number).first()


@transaction.atomic
def discrepancy_open(*, request: DiscrepancyRequest, actor: Principal | None) -> Discrepancy:
    """A partner (or the brand) reports a problem; it opens with its due time and tells both parties."""
    if request.kind not in K.values:
        raise ValidationFailed.for_field("kind", f"Must be one of {', '.join(K.values)}.")
    if request.kind == K.STOCK_MISMATCH:
        raise ValidationFailed.for_field("kind", "stockMismatch discrepancies are opened by the stock "
                                                 "reconciliation from stockReports; report another kind.")
    for field, value in (("quantity", request.quantity), ("expectedQuantity", request.expected_quantity),
                         ("actualQuantity", request.actual_quantity)):
        if value is not None and value < 0:
            raise ValidationFailed.for_field(field, "Must not be negative.")
    _check_parties(request)
    description = _text(request.description, "description", required=False) or (
        f"{K(request.kind).label} reported" + (f" on order {request.order.code}." if request.order else "."))
    return discrepancy_insert(
        actor=actor, kind=request.kind, supplier=request.supplier, retail_partner=request.retail_partner,
        order=request.order, shipment=request.shipment, product=request.product, batch=_batch_of(request),
        batch_number=request.batch_number, expected_quantity=request.expected_quantity,
        actual_quantity=request.actual_quantity, quantity=request.quantity, description=description)


# --- the thread and the state machine -------------------------------------------------


def _acknowledge(discrepancy: Discrepancy, now) -> None:
    _save(discrepancy, status=S.ACKNOWLEDGED, acknowledged_at=discrepancy.acknowledged_at or now)


@transaction.atomic
def discrepancy_message_post(*, discrepancy: Discrepancy, body: str, actor: Principal | None) -> Discrepancy:
    """Add a message to the thread; the supplier answering an open discrepancy acknowledges it."""
    body = _text(body, "body", required=True)
    discrepancy = _lock(discrepancy)
    message = _message_add(discrepancy, body, actor)
    if discrepancy.status == S.OPEN and message.author_kind in (AuthorKind.SUPPLIER, AuthorKind.BRAND):
        _acknowledge(discrepancy, message.created_at)
    else:
        _save(discrepancy)
    discrepancy_emit(discrepancy, "discrepancy.updated")
    return discrepancy


@transaction.atomic
def discrepancy_acknowledge(*, discrepancy: Discrepancy, actor: Principal | None) -> Discrepancy:
    """open → acknowledged (again: unchanged, no event); a closed discrepancy is 409."""
    discrepancy = _lock(discrepancy)
    if discrepancy.status == S.ACKNOWLEDGED:
        return discrepancy
    if discrepancy.status != S.OPEN:
        raise InvalidState(f"Discrepancy {discrepancy.code} is {discrepancy.status}; only an open one can be "
                           f"acknowledged.", extra={"discrepancyStatus": discrepancy.status})
    _acknowledge(discrepancy, timezone.now())
    discrepancy_emit(discrepancy, "discrepancy.updated")
    return discrepancy


@transaction.atomic
def discrepancy_reject(*, discrepancy: Discrepancy, note: str, actor: Principal | None) -> Discrepancy:
    """The supplier disputes the claim (with a reason, posted to the thread); the retailer may reopen it."""
    note = _text(note, "note", required=True)
    discrepancy = _lock(discrepancy)
    if discrepancy.status not in Discrepancy.ACTIVE:
        raise InvalidState(f"Discrepancy {discrepancy.code} is {discrepancy.status}; only an open or "
                           f"acknowledged one can be rejected.", extra={"discrepancyStatus": discrepancy.status})
    _message_add(discrepancy, note, actor)
    _save(discrepancy, status=S.REJECTED, closed_at=timezone.now(), resolution_note=note)
    discrepancy_emit(discrepancy, "discrepancy.updated")
    return discrepancy


@transaction.atomic
def discrepancy_reopen(*, discrepancy: Discrepancy, note: str, actor: Principal | None) -> Discrepancy:
    """rejected → open, with a new due time: the retailer disputes the rejection (reason in the thread)."""
    note = _text(note, "note", required=True)
    discrepancy = _lock(discrepancy)
    if discrepancy.status != S.REJECTED:
        raise InvalidState(f"Discrepancy {discrepancy.code} is {discrepancy.status}; only a rejected one can be "
                           f"reopened.", extra={"discrepancyStatus": discrepancy.status})
    now = timezone.now()
    _message_add(discrepancy, note, actor)
    _save(discrepancy, status=S.OPEN, closed_at=None, acknowledged_at=None, resolution_note="",
          due_at=due_at(discrepancy.kind, now))
    discrepancy_emit(discrepancy, "discrepancy.updated")
    return discrepancy


def discrepancy_assign(*, discrepancy: Discrepancy, user) -> Discrepancy:
    """Staff triage: who works on it (``None`` unassigns). Internal: no event, partners never see it."""
    _save(discrepancy, assigned_to=user, assigned_at=timezone.now() if user else None)
    return discrepancy


# --- resolutions ----------------------------------------------------------------------


@dataclass
class ResolutionRequest:
    resolution: str
    note: str = ""
    quantity: int | None = None
    credit_amount: Decimal | None = None
    credit_currency: str = ""
    warehouse_code: str | None = None
    batch_number: str | None = None


def _units(discrepancy: Discrepancy, request: ResolutionRequest) -> int:
    quantity = request.quantity if request.quantity is not None else discrepancy.quantity
    if not quantity or quantity <= 0:
        raise ValidationFailed.for_field("quantity", "Give a positive number of units (the discrepancy names "
                                                     "none).")
    return quantity


def _credit(discrepancy: Discrepancy, request: ResolutionRequest, actor) -> dict:
    if request.credit_amount is None and request.quantity is None and not discrepancy.quantity:
        raise ValidationFailed.for_field("creditAmount", "A credit names an amount or a quantity.")
    if request.credit_amount is not None and request.credit_amount <= 0:
        raise ValidationFailed.for_field("creditAmount", "Must be positive.")
    quantity = _units(discrepancy, request) if request.quantity is not None or discrepancy.quantity else None
    return {"resolution_quantity": quantity, "credit_amount": request.credit_amount,
            "credit_currency": request.credit_currency.upper() if request.credit_amount is not None else ""}


def _replace(discrepancy: Discrepancy, request: ResolutionRequest, actor) -> dict:
    if discrepancy.supplier is None or discrepancy.product is None:
        raise ValidationFailed.for_field("resolution", "A replacement needs the discrepancy's supplier and product.")
    quantity = _units(discrepancy, request)
    # An ordinary order (FEFO, the retailer's shelf life, backorders), addressed like the original.
    order = orders.order_create(
        supplier=discrepancy.supplier, retail_partner=discrepancy.retail_partner,
        lines=[orders.LineRequest(product=discrepancy.product, quantity=quantity)],
        delivery_address=discrepancy.order.delivery_address if discrepancy.order_id else None,
        reference=f"replacement for {discrepancy.code}", actor=actor)
    return {"resolution_quantity": quantity, "replacement_order": order}


# Units that never left the warehouse (a shortage) go back on hand; units that left without
# a ledger row (an overage, a wrong lot or product) come off. Other kinds name their quantity.
_ADJUSTMENT_SIGN = {K.SHORTAGE: 1, K.OVERAGE: -1, K.WRONG_ITEM: -1}


def _adjustment_warehouse(discrepancy: Discrepancy, batch: Batch) -> str:
    shipped_from = (ShipmentLine.objects.filter(shipment_id=discrepancy.shipment_id, batch=batch)
                    .values_list("warehouse__code", flat=True).first() if discrepancy.shipment_id else None)
    if shipped_from:
        return shipped_from
    holding = list(StockLot.objects.filter(batch=batch).values_list("warehouse__code", flat=True).distinct()[:2])
    if len(holding) == 1:
        return holding[0]
    raise ValidationFailed.for_field("warehouseLocation", "Name the warehouse whose stock to adjust.")


def _adjust(discrepancy: Discrepancy, request: ResolutionRequest, actor) -> dict:
    if discrepancy.supplier is None or discrepancy.product is None:
        raise ValidationFailed.for_field("resolution", "A stock adjustment needs the discrepancy's supplier and "
                                                       "product.")
    if request.quantity is None:
        sign = _ADJUSTMENT_SIGN.get(discrepancy.kind)
        if sign is None or not discrepancy.quantity:
            raise ValidationFailed.for_field("quantity", f"Give the signed number of units to adjust for a "
                                                         f"{discrepancy.kind} discrepancy.")
        quantity = sign * discrepancy.quantity
    else:
        quantity = request.quantity
    batch_number = request.batch_number or (discrepancy.batch.batch_number if discrepancy.batch_id else None)
    if not batch_number:
        raise ValidationFailed.for_field("batchNumber", "Name the batch whose stock to adjust.")
    batch = Batch.objects.filter(product=discrepancy.product, batch_number=batch_number,
                                 supplier=discrepancy.supplier).first()
    if batch is None:
        raise ValidationFailed.for_field("batchNumber", f"{discrepancy.supplier.code} has no batch {batch_number} "
                                                        f"of {discrepancy.product.sku}.")
    movement_id = _stock_adjust(
        supplier=discrepancy.supplier, product=discrepancy.product, quantity=quantity,
        warehouse_code=request.warehouse_code or _adjustment_warehouse(discrepancy, batch),
        batch_number=batch_number, reference=discrepancy.code, actor=actor,
        reason=f"discrepancy {discrepancy.code} ({discrepancy.kind}): {request.note or 'stock adjustment'}"[:500])
    return {"resolution_quantity": quantity, "adjustment_movement_id": movement_id}


def _stock_adjust(*, supplier: Supplier, product: Product, quantity: int, warehouse_code: str, batch_number: str,
                  reference: str, reason: str, actor: Principal | None) -> uuid.UUID:
    # The one call into the stock core from this app: a signed, ledgered adjustment of one lot.
    result = stock.stock_adjust(supplier=supplier, product=product, quantity=quantity, actor=actor,
                                warehouse_code=warehouse_code, batch_number=batch_number, reason=reason,
                                reference=reference)
    return result.transactions[0].movement_id


def _no_action(discrepancy: Discrepancy, request: ResolutionRequest, actor) -> dict:
    return {}


_RESOLVERS = {R.CREDIT: _credit, R.REPLACEMENT: _replace, R.STOCK_ADJUSTMENT: _adjust, R.NO_ACTION: _no_action}


@transaction.atomic
def discrepancy_resolve(*, discrepancy: Discrepancy, request: ResolutionRequest,
                        actor: Principal | None) -> Discrepancy:
    """Close an open or acknowledged discrepancy with its resolution and note, doing what it says."""
    resolver = _RESOLVERS.get(request.resolution)
    if resolver is None:
        raise ValidationFailed.for_field("resolution", f"Must be one of {', '.join(R.values)}.")
    note = _text(request.note, "note", required=False)
    discrepancy = _lock(discrepancy)
    if discrepancy.status not in Discrepancy.ACTIVE:
        raise InvalidState(f"Discrepancy {discrepancy.code} is {discrepancy.status}; only an open or "
                           f"acknowledged one can be resolved.", extra={"discrepancyStatus": discrepancy.status})
    outcome = resolver(discrepancy, request, actor)
    now = timezone.now()
    _save(discrepancy, status=S.RESOLVED, resolution=request.resolution, resolution_note=note, closed_at=now,
          acknowledged_at=discrepancy.acknowledged_at or now, **outcome)
    discrepancy_emit(discrepancy, "discrepancy.resolved")
    return discrepancy

