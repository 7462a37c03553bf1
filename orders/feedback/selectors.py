"""Reads of receipts, discrepancies and stock reports, and their public views.

Tenancy as for orders: a retailer sees its own, a supplier those naming it, the brand all.
A stock mismatch names the supplier that last delivered the product to the retailer, if any.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from inventory.selectors import ts
from orders.feedback.models import Discrepancy, DiscrepancyMessage, Receipt, ReceiptLine
from orders.models import Shipment
from partners.principal import Principal


def _tenant(qs: QuerySet, principal: Principal, prefix: str = "") -> QuerySet:
    if principal.is_retailer:
        return qs.filter(**{f"{prefix}retail_partner_id": principal.retail_partner_id})
    if principal.is_supplier:
        return qs.filter(**{f"{prefix}supplier_id": principal.supplier_id})
    return qs


def overdue_q(now: datetime | None = None) -> Q:
    """The one definition of overdue: still active and past its due time."""
    return Q(status__in=Discrepancy.ACTIVE, due_at__lt=now or timezone.now())


# --- receipts -------------------------------------------------------------------------


def receipt_get(*, principal: Principal, shipment: Shipment) -> Receipt | None:
    qs = Receipt.objects.filter(shipment=shipment).select_related("shipment__order", "shipment__supplier",
                                                                   "shipment__retail_partner")
    return _tenant(qs, principal, "shipment__").prefetch_related(
        Prefetch("lines", queryset=ReceiptLine.objects.select_related("product")),
        Prefetch("discrepancies", queryset=_discrepancies())).first()


def receipt_view(receipt: Receipt) -> dict:
    shipment = receipt.shipment
    return {
        "shipment_id": shipment.code,
        "order_id": shipment.order.code,
        "supplier_id": shipment.supplier.code,
        "retail_partner_id": shipment.retail_partner.code,
        "shipment_status": shipment.status,
        "delivered_at": ts(shipment.delivered_at),
        "received_at": ts(receipt.received_at),
        "note": receipt.note,
        "lines": [{"product_id": line.product.sku, "batch_number": line.batch_number,
                   "shipped_quantity": line.shipped_quantity, "received_quantity": line.received_quantity,
                   "damaged_quantity": line.damaged_quantity} for line in receipt.lines.all()],
        "discrepancies": [discrepancy_view(d, with_messages=False) for d in receipt.discrepancies.all()],
    }


# --- discrepancies --------------------------------------------------------------------


def _discrepancies() -> QuerySet[Discrepancy]:
    return Discrepancy.objects.select_related(
        "supplier", "retail_partner", "order", "shipment", "product", "batch", "replacement_order",
        "stock_report").annotate(message_count=Count("messages"))


def discrepancy_list(*, principal: Principal) -> QuerySet[Discrepancy]:
    return _tenant(_discrepancies(), principal)


def discrepancy_get(*, principal: Principal, code: str) -> Discrepancy | None:
    return discrepancy_list(principal=principal).filter(code=code).prefetch_related(
        Prefetch("messages", queryset=DiscrepancyMessage.objects.order_by("id"))).first()


def discrepancy_fresh(discrepancy: Discrepancy) -> Discrepancy:
    """Re-read with everything the view needs (after a change)."""
    return _discrepancies().prefetch_related(
        Prefetch("messages", queryset=DiscrepancyMessage.objects.order_by("id"))).get(pk=discrepancy.pk)


def _author(kind: str, discrepancy: Discrepancy) -> dict:
    # Partners see who wrote, by party; staff and brand systems are "the brand".
    partner = {"supplier": discrepancy.supplier.code if discrepancy.supplier_id else None,
               "retailer": discrepancy.retail_partner.code}.get(kind)
    return {"kind": kind, "partner_id": partner}


def message_view(message: DiscrepancyMessage, discrepancy: Discrepancy) -> dict:
    return {"message_id": f"MSG-{message.pk:06d}", "author": _author(message.author_kind, discrepancy),
            "body": message.body, "created_at": ts(message.created_at)}


def discrepancy_view(d: Discrepancy, *, with_messages: bool = True, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    view = {
        "discrepancy_id": d.code,
        "kind": d.kind,
        "status": d.status,
        "cause": d.cause or None,
        "supplier_id": d.supplier.code if d.supplier_id else None,
        "retail_partner_id": d.retail_partner.code,
        "order_id": d.order.code if d.order_id else None,
        "shipment_id": d.shipment.code if d.shipment_id else None,
        "product_id": d.product.sku if d.product_id else None,
        "batch_number": d.batch.batch_number if d.batch_id else (d.batch_number or None),
        "report_date": d.stock_report.date.isoformat() if d.stock_report_id else None,
        "expected_quantity": d.expected_quantity,
        "actual_quantity": d.actual_quantity,
        "quantity": d.quantity,
        "description": d.description,
        "opened_by": d.opened_by_kind,
        "opened_at": ts(d.opened_at),
        "due_at": ts(d.due_at),
        "overdue": d.status in Discrepancy.ACTIVE and d.due_at < now,
        "acknowledged_at": ts(d.acknowledged_at),
        "closed_at": ts(d.closed_at),
        "resolution": d.resolution or None,
        "resolution_note": d.resolution_note,
        "resolution_quantity": d.resolution_quantity,
        "credit_amount": str(d.credit_amount) if d.credit_amount is not None else None,
        "credit_currency": d.credit_currency or None,
        "replacement_order_id": d.replacement_order.code if d.replacement_order_id else None,
        "adjustment_movement_id": str(d.adjustment_movement_id) if d.adjustment_movement_id else None,
        "message_count": getattr(d, "message_count", None),
        "updated_at": ts(d.updated_at),
    }
    if with_messages:
        messages = [message_view(m, d) for m in d.messages.all()]
        view["messages"] = messages
        view["message_count"] = len(messages)
    return view
