"""Reads of the partner workflow: the public views of orders, shipments, returns, recalls and traces.

Tenancy lives here: a retailer sees its own orders, shipments and returns, a supplier those
addressed to it, the brand everything. Anything else is simply not in the queryset (404).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from inventory.models import Batch, ReservationLot, StockLot
from inventory.selectors import batch_view, lot_quantities, lot_status, ts
from orders import genealogy
from orders.edi.selectors import package_views, packages_prefetch
from orders.models import Order, OrderLine, Recall, RecallNotice, Return, ReturnLine, Shipment, ShipmentLine
from partners.attributes.selectors import attributes_visible
from partners.principal import Principal


def _tenant(qs: QuerySet, principal: Principal) -> QuerySet:
    if principal.is_retailer:
        return qs.filter(retail_partner_id=principal.retail_partner_id)
    if principal.is_supplier:
        return qs.filter(supplier_id=principal.supplier_id)
    return qs


# --- orders ---------------------------------------------------------------------------


def _shipment_lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=ShipmentLine.objects.select_related("product", "batch", "warehouse"))


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("supplier", "retail_partner").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product", "reservation").prefetch_related(
            Prefetch("reservation__holds", queryset=ReservationLot.objects.select_related(
                "lot__batch", "lot__warehouse").order_by("lot__batch__expiration_date", "lot_id")))),
        Prefetch("shipments", queryset=Shipment.objects.select_related("order").prefetch_related(
            _shipment_lines_prefetch(), packages_prefetch())),
    )


def order_list(*, principal: Principal) -> QuerySet[Order]:
    return _tenant(_orders(), principal)


def order_get(*, principal: Principal, code: str) -> Order | None:
    return order_list(principal=principal).filter(code=code).first()




def allocation_view(hold: ReservationLot) -> dict:
    lot = hold.lot
    return {"batch_number": lot.batch.batch_number, "warehouse_location": lot.warehouse.code,
            "expiration_date": ts(lot.batch.expiration_date), "quantity": hold.quantity}


def line_allocations(line: OrderLine) -> list[dict]:
    """What a line's reservation holds, lot by lot (first expired first)."""
    if line.reservation_id is None:
        return []
    return [allocation_view(hold) for hold in line.reservation.holds.all()]


def order_view(order: Order, *, fresh: bool = True, principal: Principal | None = None) -> dict:
    """The order as ``GET orders/{orderId}`` shows it (``fresh`` re-reads it with everything prefetched).

    ``attributes`` holds what ``principal`` may read; without one, all of them (event data).
    """
    if fresh:
        order = _orders().get(pk=order.pk)
    cancelled = order.status == Order.Status.CANCELLED
    lines = []
    totals = defaultdict(int)
    shipments = list(order.shipments.all())
    delivered_by_line: dict[int, int] = defaultdict(int)
    for shipment in shipments:
        if shipment.status == Shipment.Status.DELIVERED:
            for line in shipment.lines.all():
                delivered_by_line[line.order_line_id] += line.quantity
    for line in order.lines.all():
        backordered = 0 if cancelled else line.quantity - line.allocated_quantity - line.shipped_quantity
        lines.append({
            "product_id": line.product.sku,
            "quantity": line.quantity,
            "allocated_quantity": line.allocated_quantity,
            "backordered_quantity": backordered,
            "shipped_quantity": line.shipped_quantity,
            "delivered_quantity": delivered_by_line[line.pk],
            "reservation_id": line.reservation.code if line.reservation_id else None,
            "allocations": line_allocations(line),
        })
        totals["ordered"] += line.quantity
        totals["allocated"] += line.allocated_quantity
        totals["backordered"] += backordered
        totals["shipped"] += line.shipped_quantity
        totals["delivered"] += delivered_by_line[line.pk]
    in_transit = sum(line.quantity for s in shipments if s.status == Shipment.Status.IN_TRANSIT
                     for line in s.lines.all())
    return {
        "order_id": order.code,
        "status": order.status,
        "supplier_id": order.supplier.code,
        "retail_partner_id": order.retail_partner.code,
        "requested_delivery_date": order.requested_delivery_date.isoformat() if order.requested_delivery_date
        else None,
        "delivery_address": order.delivery_address,
        "reference": order.reference,
        "attributes": attributes_visible(principal=principal, values=order.attributes),
        "lines": lines,
        "shipments": [shipment_view(s, with_order=False) for s in shipments],
        "progress": {
            "ordered_quantity": totals["ordered"],
            "allocated_quantity": totals["allocated"],
            "backordered_quantity": totals["backordered"],
            "shipped_quantity": totals["shipped"],
            "in_transit_quantity": in_transit,
            "delivered_quantity": totals["delivered"],
            "shipments_in_transit": sum(1 for s in shipments if s.status == Shipment.Status.IN_TRANSIT),
            "shipments_delivered": sum(1 for s in shipments if s.status == Shipment.Status.DELIVERED),
        },
        "cancelled_at": ts(order.cancelled_at),
        "created_at": ts(order.created_at),
        "updated_at": ts(order.updated_at),
    }


# --- shipments ------------------------------------------------------------------------


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("order", "supplier", "retail_partner").prefetch_related(
        _shipment_lines_prefetch(), packages_prefetch())


def shipment_list(*, principal: Principal) -> QuerySet[Shipment]:
    return _tenant(_shipments(), principal)


def shipment_get(*, principal: Principal, code: str) -> Shipment | None:
    return shipment_list(principal=principal).filter(code=code).first()


def shipment_view(shipment: Shipment, *, with_order: bool = True) -> dict:
    if with_order and not hasattr(shipment, "_prefetched_objects_cache"):
        shipment = _shipments().get(pk=shipment.pk)
    view = {
        "shipment_id": shipment.code,
        "order_id": shipment.order.code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "shipped_at": ts(shipment.shipped_at),
        "delivered_at": ts(shipment.delivered_at),
        "lines": [{"product_id": line.product.sku, "batch_number": line.batch.batch_number,
                   "warehouse_location": line.warehouse.code, "expiration_date": ts(line.batch.expiration_date),
                   "quantity": line.quantity} for line in shipment.lines.all()],
        "packages": package_views(shipment),
    }
    if with_order:
        view["supplier_id"] = shipment.supplier.code
        view["retail_partner_id"] = shipment.retail_partner.code
    view["quantity"] = sum(line["quantity"] for line in view["lines"])
    return view


# --- returns --------------------------------------------------------------------------


def _returns() -> QuerySet[Return]:
    return Return.objects.select_related("order", "supplier", "retail_partner").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("product", "batch", "warehouse")))


def return_list(*, principal: Principal) -> QuerySet[Return]:
    return _tenant(_returns(), principal)


def return_get(*, principal: Principal, code: str) -> Return | None:
    return return_list(principal=principal).filter(code=code).first()


def return_view(ret: Return) -> dict:
    if not hasattr(ret, "_prefetched_objects_cache"):
        ret = _returns().get(pk=ret.pk)
    return {
        "return_id": ret.code,
        "supplier_id": ret.supplier.code,
        "retail_partner_id": ret.retail_partner.code,
        "order_id": ret.order.code if ret.order_id else None,
        "status": ret.status,
        "lines": [{"line_id": line.code, "product_id": line.product.sku, "batch_number": line.batch.batch_number,
                   "quantity": line.quantity, "reason": line.reason, "disposition": line.disposition or None,
                   "warehouse_location": line.warehouse.code if line.warehouse_id else None,
                   "received_at": ts(line.received_at)} for line in ret.lines.all()],
        "created_at": ts(ret.created_at),
        "received_at": ts(ret.received_at),
    }


# --- recalls and traceability ---------------------------------------------------------


def notice_view(notice: RecallNotice) -> dict:
    return {"retail_partner_id": notice.retail_partner.code, "quantity": notice.shipped_quantity,
            "shipped_quantity": notice.shipped_quantity, "returned_quantity": notice.returned_quantity,
            "outstanding_quantity": max(notice.shipped_quantity - notice.returned_quantity, 0)}


def recall_view(recall: Recall, *, retail_partner_id: int | None = None) -> dict:
    batch = recall.batch
    notices = recall.notices.select_related("retail_partner")
    if retail_partner_id is not None:
        notices = notices.filter(retail_partner_id=retail_partner_id)
    return {
        "recall_id": f"RCL-{recall.pk:06d}",
        "product_id": batch.product.sku,
        "supplier_id": batch.supplier.code,
        "batch_number": batch.batch_number,
        "expiration_date": ts(batch.expiration_date),
        "reason": recall.reason,
        "recalled_at": ts(recall.recalled_at),
        "units_on_hold": recall.units_on_hand,
        "reserved_units_released": recall.units_released,
        # Who must be told, and how many units each received.
        "retail_partners": [notice_view(n) for n in notices],
    }


def batch_visible(*, principal: Principal, sku: str, batch_number: str) -> Batch | None:
    """A batch the caller may trace: its supplier's, the brand's, or one a retailer's supplier holds."""
    from partners.selectors import supplier_ids_visible_to

    batch = Batch.objects.select_related("product", "supplier").filter(
        product__sku=sku, batch_number=batch_number).first()
    if batch is None:
        return None
    ids = supplier_ids_visible_to(principal)
    if ids is not None and batch.supplier_id not in ids:
        return None
    return batch


def batch_trace(*, principal: Principal, batch: Batch) -> dict:
    """Where every unit of a batch went. A retailer sees the lots and only its own shipments and returns."""
    now = timezone.now()
    lots = StockLot.objects.filter(batch=batch).select_related("batch", "warehouse").order_by("warehouse__code")
    lot_views = []
    for lot in lots:
        available, on_hold = lot_quantities(lot, now)
        lot_views.append({"warehouse_location": lot.warehouse.code, "status": lot_status(lot, now),
                          "inventory_level": lot.on_hand, "reserved_quantity": lot.reserved,
                          "available_quantity": available, "on_hold_quantity": on_hold})
    shipment_lines = ShipmentLine.objects.filter(batch=batch).select_related(
        "shipment__order", "shipment__retail_partner", "warehouse").order_by("shipment_id", "pk")
    return_lines = ReturnLine.objects.filter(batch=batch).select_related(
        "ret__order", "ret__retail_partner", "warehouse").order_by("ret_id", "pk")
    if principal.is_retailer:
        shipment_lines = shipment_lines.filter(shipment__retail_partner_id=principal.retail_partner_id)
        return_lines = return_lines.filter(ret__retail_partner_id=principal.retail_partner_id)
    shipments: dict[int, dict] = {}
    for line in shipment_lines:
        shipment = line.shipment
        entry = shipments.setdefault(shipment.pk, {
            "shipment_id": shipment.code, "order_id": shipment.order.code,
            "retail_partner_id": shipment.retail_partner.code, "quantity": 0, "status": shipment.status,
            "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
            "shipped_at": ts(shipment.shipped_at), "delivered_at": ts(shipment.delivered_at), "lots": []})
        entry["quantity"] += line.quantity
        entry["lots"].append({"warehouse_location": line.warehouse.code, "quantity": line.quantity})
    shipments = list(shipments.values())
    returns = [{
        "return_id": line.ret.code, "line_id": line.code, "order_id": line.ret.order.code if line.ret.order_id
        else None, "retail_partner_id": line.ret.retail_partner.code, "quantity": line.quantity,
        "reason": line.reason, "disposition": line.disposition or None,
        "warehouse_location": line.warehouse.code if line.warehouse_id else None,
        "created_at": ts(line.ret.created_at), "received_at": ts(line.received_at)} for line in return_lines]
    by_partner: dict[str, dict] = {}
    for entry in shipments:
        row = by_partner.setdefault(entry["retail_partner_id"], {"retail_partner_id": entry["retail_partner_id"],
                                                                 "shipped_quantity": 0, "delivered_quantity": 0,
                                                                 "returned_quantity": 0})
        row["shipped_quantity"] += entry["quantity"]
        if entry["delivered_at"]:
            row["delivered_quantity"] += entry["quantity"]
    for entry in returns:
        row = by_partner.setdefault(entry["retail_partner_id"], {"retail_partner_id": entry["retail_partner_id"],
                                                                 "shipped_quantity": 0, "delivered_quantity": 0,
                                                                 "returned_quantity": 0})
        row["returned_quantity"] += entry["quantity"]
    moved = dict(batch.transactions.filter(type__in=("receipt", "produce", "consume")).values("type")
                 .annotate(n=Sum("on_hand_delta")).values_list("type", "n"))
    received = (moved.get("receipt") or 0) + (moved.get("produce") or 0)
    recalls = [recall_view(r, retail_partner_id=principal.retail_partner_id if principal.is_retailer else None)
               for r in Recall.objects.filter(batch=batch).select_related("batch__product", "batch__supplier")]
    return {
        **batch_view(batch),
        "totals": {
            "received_quantity": received,
            "on_hand_quantity": sum(v["inventory_level"] for v in lot_views),
            "reserved_quantity": sum(v["reserved_quantity"] for v in lot_views),
            "on_hold_quantity": sum(v["on_hold_quantity"] for v in lot_views),
            "shipped_quantity": sum(e["quantity"] for e in shipments),
            "returned_quantity": sum(e["quantity"] for e in returns),
            "consumed_quantity": -(moved.get("consume") or 0),
        },
        "lots": lot_views,
        "retail_partners": sorted(by_partner.values(), key=lambda r: r["retail_partner_id"]),
        "shipments": shipments,
        "returns": returns,
        "recalls": recalls,
        # Supply-side hook (issue 18): through production, both ways.
        "forward": genealogy.trace_forward(principal=principal, batch=batch),
        "backward": genealogy.trace_backward(batch=batch),
    }


def recall_list(*, batch: Batch) -> QuerySet[Recall]:
    return Recall.objects.filter(batch=batch).select_related("batch__product", "batch__supplier")
