"""The FSMA 204 sortable spreadsheet: which records answer a request, and their rows."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from inventory.models import Batch
from inventory.production.selectors import batch_descendants
from inventory.selectors import ts
from inventory.traceability.models import CriticalTrackingEvent
from partners.principal import Principal
from partners.selectors import supplier_ids_visible_to

CTE = CriticalTrackingEvent.Type

# (heading, how to read it from a record). Headings name the key data elements as the rule does.
COLUMNS: list[tuple[str, str]] = [
    ("Traceability Lot Code", "traceability_lot_code"),
    ("Traceability Lot Code Source", "tlc_source"),
    ("Product ID", "product_id"),
    ("Product Description", "product_description"),
    ("Quantity", "quantity"),
    ("Unit of Measure", "unit_of_measure"),
    ("Critical Tracking Event", "cte"),
    ("Event Date", "event_date"),
    ("Location", "location"),
    ("Immediate Previous Source", "previous_source"),
    ("Immediate Subsequent Recipient", "subsequent_recipient"),
    ("Input Traceability Lot Codes", "inputs"),
    ("Reference Document Type", "reference_document_type"),
    ("Reference Document Number", "reference_document_number"),
    ("Recorded At", "recorded_at"),
]

#: The key data elements each event must carry (21 CFR 1.1345, 1.1350, 1.1340), by column key.
REQUIRED: dict[str, tuple[str, ...]] = {
    CTE.RECEIVING: ("traceability_lot_code", "tlc_source", "product_description", "quantity", "unit_of_measure",
                    "event_date", "location", "previous_source", "reference_document_type",
                    "reference_document_number"),
    CTE.TRANSFORMATION: ("traceability_lot_code", "tlc_source", "product_description", "quantity",
                         "unit_of_measure", "event_date", "location", "inputs", "reference_document_type",
                         "reference_document_number"),
    CTE.SHIPPING: ("traceability_lot_code", "tlc_source", "product_description", "quantity", "unit_of_measure",
                   "event_date", "location", "subsequent_recipient", "reference_document_type",
                   "reference_document_number"),
}


def _place(identifier: str, description: str) -> str:
    if not identifier:
        return description
    return f"{identifier} — {description}" if description else identifier


def lot_batches(*, principal: Principal, lot_code: str, product_sku: str | None = None) -> list[Batch]:
    """The lots a traceability lot code names (one per product using it) that the caller may see."""
    qs = Batch.objects.filter(batch_number=lot_code)
    if product_sku:
        qs = qs.filter(product__sku=product_sku)
    ids = supplier_ids_visible_to(principal)
    return list(qs if ids is None else qs.filter(supplier_id__in=ids))


def fsma_events(*, principal: Principal, lot_code: str | None = None, product_sku: str | None = None,
                start: date | None = None, end: date | None = None) -> QuerySet[CriticalTrackingEvent]:
    """Records of a lot code and of every lot made from it (transformations, then their shipments),
    and/or of a date range; each firm sees the records it keeps (the brand all)."""
    qs = CriticalTrackingEvent.objects.select_related("product")
    ids = supplier_ids_visible_to(principal)
    if ids is not None:
        qs = qs.filter(supplier_id__in=ids)
    if lot_code is not None:
        roots = [batch.pk for batch in lot_batches(principal=principal, lot_code=lot_code, product_sku=product_sku)]
        family = set(roots) | {d.use.run.output_batch_id for d in batch_descendants(roots)}
        qs = qs.filter(batch_id__in=family)
    if start is not None:
        qs = qs.filter(event_date__gte=start)
    if end is not None:
        qs = qs.filter(event_date__lte=end)
    return qs.order_by("occurred_at", "id")


def fsma_row(event: CriticalTrackingEvent) -> dict[str, str | int]:
    counterparty = _place(event.counterparty_id, event.counterparty_description)
    return {
        "traceability_lot_code": event.traceability_lot_code,
        "tlc_source": _place(event.tlc_source_id, event.tlc_source_description),
        "product_id": event.product.sku,
        "product_description": event.product_description,
        "quantity": event.quantity,
        "unit_of_measure": event.unit_of_measure,
        "cte": event.get_cte_type_display(),
        "event_date": event.event_date.isoformat(),
        "location": _place(event.location_id, event.location_description),
        "previous_source": counterparty if event.cte_type == CTE.RECEIVING else "",
        "subsequent_recipient": counterparty if event.cte_type == CTE.SHIPPING else "",
        "inputs": "; ".join(f"{i['tlc']} ({i['product_id']}, {i['quantity']} {i['unit']})" for i in event.inputs),
        "reference_document_type": event.reference_document_type,
        "reference_document_number": event.reference_document_number,
        "recorded_at": ts(event.created_at),
    }


def fsma_table(events) -> tuple[list[str], list[list]]:
    """(headings, rows) of the sortable spreadsheet, one row per critical tracking event."""
    rows = [fsma_row(event) for event in events]
    return [heading for heading, _ in COLUMNS], [[row[key] for _, key in COLUMNS] for row in rows]
