"""Inbound goods: the supplier's advance ship notice (lots and expiries) and the receipt against the lines.

Receiving moves stock through ``inventory.services.stock_receive`` (one ``receipt`` row per lot, the
FSMA 204 receiving record with the vendor as the lot's source) inside one ``stock_work``: every item
of the receipt is locked first, then the purchase order. What arrived is compared with what was
announced (per lot) and with what was ordered (per line): over and short are recorded, not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import ValidationFailed
from inventory import forecasting
from inventory import services as stock
from inventory.models import Product, Warehouse
from inventory.traceability import services as traceability
from orders.purchasing.models import (
    InboundShipment,
    InboundShipmentLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
)
from orders.purchasing.services.common import P, client_of, lock_purchase_order, po_emit, require, transition
from partners.principal import Principal

SHIPPABLE = (P.ACKNOWLEDGED, P.SHIPPED, P.PARTIALLY_RECEIVED)
RECEIVABLE = (P.SUBMITTED, P.ACKNOWLEDGED, P.SHIPPED, P.PARTIALLY_RECEIVED)


@dataclass
class ShipLine:
    product: Product
    batch_number: str
    quantity: int
    expiration_date: datetime
    production_date: date | None = None


def _po_lines(po: PurchaseOrder) -> dict[int, PurchaseOrderLine]:
    return {line.product_id: line for line in PurchaseOrderLine.objects.filter(purchase_order=po)
            .select_related("product")}


def _lot_errors(po: PurchaseOrder, ordered: dict, index: int, product: Product, key: tuple, seen: set) -> list[dict]:
    errors = []
    if product.pk not in ordered:
        errors.append({"field": f"lines[{index}].productId", "message": f"{po.code} has no line for {product.sku}."})
    if key in seen:
        errors.append({"field": f"lines[{index}].batchNumber", "message": "The same lot is listed twice."})
    seen.add(key)
    return errors


def purchase_order_ship(*, po: PurchaseOrder, lines: list[ShipLine], actor: Principal | None, carrier: str = "",
                        tracking_number: str = "", expected_date: date | None = None,
                        ship_from_warehouse_code: str | None = None) -> InboundShipment:
    """The supplier's advance ship notice: which lots, with expiries, are on their way against the order."""
    ordered, errors, seen = _po_lines(po), [], set()
    now = timezone.now()
    for index, line in enumerate(lines):
        errors += _lot_errors(po, ordered, index, line.product, (line.product.pk, line.batch_number), seen)
        if line.expiration_date <= now:
            errors.append({"field": f"lines[{index}].expirationDate", "message": "Expired goods are not shipped."})
    if not lines:
        errors.append({"field": "lines", "message": "Name the lots shipped."})
    ship_from = None
    if ship_from_warehouse_code:
        ship_from = Warehouse.objects.filter(supplier_id=po.supplier_id, code=ship_from_warehouse_code).first()
        if ship_from is None:
            errors.append({"field": "shipFromWarehouseLocation",
                           "message": f"{po.supplier.code} has no warehouse {ship_from_warehouse_code!r}."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    with transaction.atomic():
        po = lock_purchase_order(po.pk)
        require(po, SHIPPABLE, "shipped (acknowledge it first)")
        ordered = _po_lines(po)  # again, under the lock: the counters below are read-modify-write
        shipment = InboundShipment.objects.create(
            purchase_order=po, carrier=carrier[:100], tracking_number=tracking_number[:100], shipped_at=now,
            ship_from_warehouse=ship_from, expected_date=expected_date, created_by=client_of(actor))
        shipment.code = f"ASN-{shipment.pk:06d}"
        InboundShipment.objects.filter(pk=shipment.pk).update(code=shipment.code)
        InboundShipmentLine.objects.bulk_create([InboundShipmentLine(
            shipment=shipment, po_line=ordered[line.product.pk], product=line.product, batch_number=line.batch_number,
            expiration_date=line.expiration_date, production_date=line.production_date, quantity=line.quantity)
            for line in lines])
        for line in lines:
            po_line = ordered[line.product.pk]
            po_line.shipped_quantity += line.quantity
            PurchaseOrderLine.objects.filter(pk=po_line.pk).update(shipped_quantity=po_line.shipped_quantity)
        transition(po, P.SHIPPED if po.status == P.ACKNOWLEDGED else po.status)
        po.view = po_emit(po, "shipped")
    shipment.purchase_order = po
    return shipment


@dataclass
class ReceiveLine:
    product: Product
    batch_number: str
    quantity: int
    expiration_date: datetime | None = None
    production_date: date | None = None


@dataclass
class _Planned:
    index: int
    request: ReceiveLine
    po_line: PurchaseOrderLine
    asn_line: InboundShipmentLine | None


def _plan(po: PurchaseOrder, lines: list[ReceiveLine], asn: InboundShipment | None) -> list[_Planned]:
    """Match each counted lot with its order line and its announced lot; 400 naming every bad line."""
    ordered, errors, seen, plan = _po_lines(po), [], set(), []
    announced = {(line.product_id, line.batch_number): line for line in asn.lines.all()} if asn else {}
    if not lines:
        errors.append({"field": "lines", "message": "Count what arrived, lot by lot."})
    for index, line in enumerate(lines):
        key = (line.product.pk, line.batch_number)
        errors += _lot_errors(po, ordered, index, line.product, key, seen)
        if line.product.pk in ordered:
            plan.append(_Planned(index, line, ordered[line.product.pk], announced.get(key)))
    for (product_id, batch_number), asn_line in announced.items():
        if (product_id, batch_number) not in seen:  # announced, nothing of it arrived
            plan.append(_Planned(-1, ReceiveLine(product=asn_line.product, batch_number=batch_number, quantity=0),
                                 ordered[product_id], asn_line))
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return plan


def _inbound_shipment(po: PurchaseOrder, code: str | None) -> InboundShipment | None:
    if not code:
        return None
    asn = InboundShipment.objects.filter(purchase_order=po, code=code).prefetch_related("lines__product").first()
    if asn is None:
        raise ValidationFailed.for_field("inboundShipmentId", f"{po.code} has no inbound shipment {code}.")
    if asn.status != InboundShipment.Status.IN_TRANSIT:
        raise ValidationFailed.for_field("inboundShipmentId", f"{code} was already received.")
    return asn


def _receive_lot(po: PurchaseOrder, receipt: PurchaseReceipt, planned: _Planned, actor: Principal | None,
                 context: traceability.ReceivingContext):
    """Put one counted lot into stock (nothing for a lot that did not arrive); returns its batch."""
    line, asn_line = planned.request, planned.asn_line
    if line.quantity <= 0:
        return None
    try:
        result = stock.stock_receive(
            supplier=po.ship_to_supplier, product=line.product, quantity=line.quantity, actor=actor,
            batch_number=line.batch_number, warehouse_code=receipt.warehouse.code,
            expiration_date=line.expiration_date or (asn_line.expiration_date if asn_line else None),
            production_date=line.production_date or (asn_line.production_date if asn_line else None),
            reason=f"{po.code} receipt {receipt.code}", reference=po.code, trace=context)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.detail, errors=[
            {**error, "field": f"lines[{planned.index}].{error['field']}"} for error in exc.errors]) from None
    return result.allocations[0][0].batch


def _context(po: PurchaseOrder, asn: InboundShipment | None, unit: str) -> traceability.ReceivingContext:
    source = traceability.supplier_place(po.supplier, asn.ship_from_warehouse if asn else None)
    return traceability.ReceivingContext(
        tlc_source=source, previous_source=source, document_type="purchase order", unit_of_measure=unit,
        document_number=po.code + (f" / advance ship notice {asn.code}" if asn else ""))


def purchase_order_receive(*, po: PurchaseOrder, lines: list[ReceiveLine], actor: Principal | None,
                           inbound_shipment_code: str | None = None, warehouse_code: str | None = None,
                           close_short: bool = False) -> PurchaseReceipt:
    """Count goods in against the order: into stock lot by lot, over and short recorded per lot and line.

    The order is ``received`` when every line has arrived in full, or when ``close_short`` says the
    rest will not come; otherwise ``partially_received``. A lot the notice announced but the count
    leaves out arrived short by all of it.
    """
    require(po, RECEIVABLE, "received")
    asn = _inbound_shipment(po, inbound_shipment_code)
    warehouse = stock.warehouse_resolve(po.ship_to_supplier, warehouse_code) if warehouse_code \
        else po.ship_to_warehouse
    plan = _plan(po, lines, asn)
    item_ids = stock.item_ids_ensure(supplier=po.ship_to_supplier, products=[p.request.product for p in plan])
    with stock.stock_work(actor=actor) as work:
        work.lock(item_ids.values())  # every item of the receipt, then the order
        po = lock_purchase_order(po.pk)
        require(po, RECEIVABLE, "received")
        # Under the order's lock: the lines' counters are current, and a notice is received once.
        fresh = _po_lines(po)
        for planned in plan:
            planned.po_line = fresh[planned.po_line.product_id]
        if asn is not None and not InboundShipment.objects.filter(
                pk=asn.pk, status=InboundShipment.Status.IN_TRANSIT).update(
                status=InboundShipment.Status.RECEIVED, received_at=work.now):
            raise ValidationFailed.for_field("inboundShipmentId", f"{asn.code} was already received.")
        receipt = PurchaseReceipt.objects.create(purchase_order=po, inbound_shipment=asn, warehouse=warehouse,
                                                 closed_short=close_short, received_at=work.now,
                                                 created_by=client_of(actor))
        receipt.code = f"GRN-{receipt.pk:06d}"
        PurchaseReceipt.objects.filter(pk=receipt.pk).update(code=receipt.code)
        for planned in plan:
            batch = _receive_lot(po, receipt, planned, actor, _context(po, asn, planned.po_line.unit_of_measure))
            _record(receipt, planned, batch)
        complete = all(line.received_quantity >= line.quantity for line in _po_lines(po).values())
        transition(po, P.RECEIVED if complete or close_short else P.PARTIALLY_RECEIVED)
        po.view = po_emit(po, "received")
    # Stock arrived: the items' forecasts and alerts follow now, not at the next periodic run.
    forecasting.forecasts_recompute(item_ids=sorted(item_ids.values()))
    receipt.purchase_order = po
    return receipt


def _record(receipt: PurchaseReceipt, planned: _Planned, batch) -> None:
    line, po_line, asn_line = planned.request, planned.po_line, planned.asn_line
    PurchaseReceiptLine.objects.create(receipt=receipt, po_line=po_line, asn_line=asn_line, product=line.product,
                                       batch_number=line.batch_number, batch=batch, quantity=line.quantity,
                                       expected_quantity=asn_line.quantity if asn_line else None)
    if line.quantity:
        po_line.received_quantity += line.quantity
        PurchaseOrderLine.objects.filter(pk=po_line.pk).update(received_quantity=po_line.received_quantity)
    if asn_line is not None:
        InboundShipmentLine.objects.filter(pk=asn_line.pk).update(received_quantity=line.quantity)



