"""Reads of purchase orders, inbound promised by a date, and the inbound that will cover a backorder.

Tenancy: the brand sees every purchase order; a supplier sees those it fulfils or receives, once
submitted (a draft is the brand's own); retail partners see none.
"""

from __future__ import annotations

from datetime import date

from django.db.models import F, Prefetch, QuerySet

from inventory.models import InventoryItem
from inventory.selectors import ts
from orders.models import Order, OrderLine
from orders.purchasing.models import (
    InboundShipment,
    InboundShipmentLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
)
from orders.services import OPEN_STATUSES
from partners.principal import Principal

P = PurchaseOrder.Status
# Orders whose supplier has promised dates: their outstanding units are inbound.
INBOUND_STATUSES = (P.ACKNOWLEDGED, P.SHIPPED, P.PARTIALLY_RECEIVED)


def _purchase_orders() -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_related(
        "supplier", "ship_to_supplier", "ship_to_warehouse").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product").order_by("line_number")),
        Prefetch("inbound_shipments", queryset=InboundShipment.objects.select_related("ship_from_warehouse")
                 .prefetch_related(Prefetch("lines", queryset=InboundShipmentLine.objects.select_related("product")
                                            .order_by("pk"))).order_by("pk")),
        Prefetch("receipts", queryset=PurchaseReceipt.objects.select_related("warehouse", "inbound_shipment")
                 .prefetch_related(Prefetch("lines", queryset=PurchaseReceiptLine.objects.select_related("product")
                                            .order_by("pk"))).order_by("pk")),
    )


def purchase_order_list(*, principal: Principal) -> QuerySet[PurchaseOrder]:
    qs = _purchase_orders()
    if principal.is_brand:
        return qs
    if principal.is_supplier:
        mine = qs.filter(supplier_id=principal.supplier_id) | qs.filter(ship_to_supplier_id=principal.supplier_id)
        return mine.exclude(status=P.DRAFT)
    return qs.none()


def purchase_order_get(*, principal: Principal, code: str) -> PurchaseOrder | None:
    return purchase_order_list(principal=principal).filter(code=code).first()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def line_view(line: PurchaseOrderLine) -> dict:
    return {
        "line_number": line.line_number, "product_id": line.product.sku, "quantity": line.quantity,
        "unit_of_measure": line.unit_of_measure, "case_pack": line.case_pack,
        "cases": line.quantity // line.case_pack, "requested_date": _day(line.requested_date),
        "promised_date": _day(line.promised_date), "promised_quantity": line.promised_quantity,
        "shipped_quantity": line.shipped_quantity, "received_quantity": line.received_quantity,
        "outstanding_quantity": line.outstanding_quantity,
        "over_quantity": max(line.received_quantity - line.quantity, 0),
        "short_quantity": max(line.quantity - line.received_quantity, 0),
    }


def _shipment_view(shipment: InboundShipment) -> dict:
    return {
        "inbound_shipment_id": shipment.code, "status": shipment.status, "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number, "expected_date": _day(shipment.expected_date),
        "ship_from_warehouse_location": shipment.ship_from_warehouse.code if shipment.ship_from_warehouse_id
        else None,
        "shipped_at": ts(shipment.shipped_at), "received_at": ts(shipment.received_at),
        "lines": [{"product_id": line.product.sku, "batch_number": line.batch_number,
                   "expiration_date": ts(line.expiration_date), "production_date": _day(line.production_date),
                   "quantity": line.quantity, "received_quantity": line.received_quantity,
                   "variance_quantity": None if line.received_quantity is None
                   else line.received_quantity - line.quantity} for line in shipment.lines.all()],
    }


def _receipt_view(receipt: PurchaseReceipt) -> dict:
    return {
        "receipt_id": receipt.code,
        "inbound_shipment_id": receipt.inbound_shipment.code if receipt.inbound_shipment_id else None,
        "warehouse_location": receipt.warehouse.code, "received_at": ts(receipt.received_at),
        "closed_short": receipt.closed_short,
        "lines": [{"product_id": line.product.sku, "batch_number": line.batch_number,
                   "expected_quantity": line.expected_quantity, "received_quantity": line.quantity,
                   "variance_quantity": line.variance} for line in receipt.lines.all()],
    }


def purchase_order_view(po: PurchaseOrder, *, fresh: bool = False) -> dict:
    if fresh or not hasattr(po, "_prefetched_objects_cache"):
        po = _purchase_orders().get(pk=po.pk)
    lines = [line_view(line) for line in po.lines.all()]
    return {
        "purchase_order_id": po.code, "status": po.status, "supplier_id": po.supplier.code,
        "ship_to_supplier_id": po.ship_to_supplier.code, "warehouse_location": po.ship_to_warehouse.code,
        "alert_id": po.alert_id, "reference": po.reference, "note": po.note, "lines": lines,
        "totals": {key: sum(line[key] for line in lines) for key in (
            "quantity", "shipped_quantity", "received_quantity", "over_quantity", "short_quantity")},
        "inbound_shipments": [_shipment_view(s) for s in po.inbound_shipments.all()],
        "receipts": [_receipt_view(r) for r in po.receipts.all()],
        "created_at": ts(po.created_at), "submitted_at": ts(po.submitted_at),
        "acknowledged_at": ts(po.acknowledged_at), "closed_at": ts(po.closed_at), "updated_at": ts(po.updated_at),
    }


# --- inbound: available to promise, backorders ----------------------------------------------


def inbound_lines(*, supplier_id: int, product_id: int, until: date | None = None) -> list[PurchaseOrderLine]:
    """Promised purchase order lines still to arrive at the supplier, earliest promise first."""
    return _inbound_by_product(supplier_id=supplier_id, product_ids=[product_id], until=until)[product_id]


def _inbound_by_product(*, supplier_id: int, product_ids: list[int],
                        until: date | None = None) -> dict[int, list[PurchaseOrderLine]]:
    """``inbound_lines`` of several products in one query: product id -> its lines."""
    qs = PurchaseOrderLine.objects.filter(
        purchase_order__ship_to_supplier_id=supplier_id, product_id__in=product_ids,
        purchase_order__status__in=INBOUND_STATUSES, promised_date__isnull=False)
    if until is not None:
        qs = qs.filter(promised_date__lte=until)
    out: dict[int, list[PurchaseOrderLine]] = {product_id: [] for product_id in product_ids}
    for line in qs.order_by("promised_date", "purchase_order_id", "pk"):
        if line.outstanding_quantity:
            out[line.product_id].append(line)
    return out


def inbound_due(item: InventoryItem, as_of: date) -> int:
    """Units promised to arrive at the item's supplier by ``as_of`` and not received yet (the
    ``inboundQuantity`` of ``GET inventory/{supplierId}/{productId}?asOf=``)."""
    return sum(line.outstanding_quantity for line in inbound_lines(
        supplier_id=item.supplier_id, product_id=item.product_id, until=as_of))


def _waiting(line: OrderLine) -> int:
    return line.quantity - line.allocated_quantity - line.shipped_quantity


def _cover(line: OrderLine, queue: list[OrderLine], inbound: list[PurchaseOrderLine]) -> dict:
    """How much of a backordered line promised inbound covers, and by when (the queue is served oldest first)."""
    ahead = 0
    for other in queue:
        if other.pk == line.pk:
            break
        ahead += _waiting(other)
    need, arrived, expected = ahead + _waiting(line), 0, None
    for po_line in inbound:
        arrived += po_line.outstanding_quantity
        if arrived >= need:
            expected = po_line.promised_date
            break
    return {"quantity": min(_waiting(line), max(arrived - ahead, 0)), "expected_date": _day(expected)}


def backorder_inbound(order: Order) -> dict[int, dict]:
    """Order line id -> the promised inbound that will serve its backorder: ``quantity`` covered and
    ``expectedDate``, the promised date by which the whole backorder is covered (null when promised
    inbound does not cover it). Backorders are served oldest order first, as inbound is received."""
    return {line.pk: cover for line, cover in _backorder_cover(order)}


def _backorder_cover(order: Order) -> list[tuple[OrderLine, dict]]:
    # Three queries whatever the number of lines: the order's lines, the queues of their products,
    # the inbound promised for them.
    lines = [line for line in OrderLine.objects.filter(order=order).select_related("product") if _waiting(line) > 0]
    if order.status not in OPEN_STATUSES or not lines:
        return []
    product_ids = sorted({line.product_id for line in lines})
    queues: dict[int, list[OrderLine]] = {product_id: [] for product_id in product_ids}
    for other in OrderLine.objects.filter(
            order__supplier_id=order.supplier_id, product_id__in=product_ids, order__status__in=OPEN_STATUSES,
            quantity__gt=F("allocated_quantity") + F("shipped_quantity")).order_by("order_id", "pk"):
        queues[other.product_id].append(other)
    inbound = _inbound_by_product(supplier_id=order.supplier_id, product_ids=product_ids)
    return [(line, _cover(line, queues[line.product_id], inbound[line.product_id])) for line in lines]


def order_view_with_inbound(view: dict, order: Order) -> dict:
    """``GET orders/{orderId}``: each backordered line says which promised inbound will serve it."""
    by_product = {line.product.sku: cover for line, cover in _backorder_cover(order)}
    for line in view["lines"]:
        line["inbound"] = by_product.get(line["product_id"])
    return view
