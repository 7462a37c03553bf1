"""The CTE recorder: the stock services call it as each event happens, inside the event's transaction.

Nothing here moves stock or emits events; a record is written once and never changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from inventory.models import Batch, Product, Warehouse
from inventory.traceability.models import CriticalTrackingEvent
from partners.models import RetailPartner, Supplier

CTE = CriticalTrackingEvent.Type


@dataclass(frozen=True)
class Place:
    """A location as FSMA 204 names it: an identifier and a description (business name and address)."""

    id: str
    description: str


def warehouse_place(warehouse: Warehouse, supplier: Supplier) -> Place:
    parts = [supplier.name, warehouse.name, warehouse.address, warehouse.country or supplier.country]
    return Place(f"{supplier.code}/{warehouse.code}", ", ".join(p for p in parts if p))


def supplier_place(supplier: Supplier, warehouse: Warehouse | None = None) -> Place:
    """A supplier's location: the warehouse when known, otherwise the firm itself."""
    if warehouse is not None:
        return warehouse_place(warehouse, supplier)
    return Place(supplier.code, ", ".join(p for p in (supplier.name, supplier.country) if p))


def retailer_place(retail_partner: RetailPartner, address) -> Place:
    if isinstance(address, dict):
        address = ", ".join(str(value) for value in address.values() if value)
    parts = [retail_partner.name, str(address or "").strip()]
    return Place(retail_partner.code, ", ".join(p for p in parts if p))


@dataclass(frozen=True)
class ReceivingContext:
    """What a receipt knows beyond the movement: where the lot code was assigned, who shipped it, on
    which document. A plain receipt movement knows none of it (the lot then counts as coded here)."""

    tlc_source: Place | None = None
    previous_source: Place | None = None
    document_type: str = "receipt"
    document_number: str = ""
    unit_of_measure: str = "each"


def _origins(batch_ids: Iterable[int]) -> dict[int, Place]:
    """Batch id -> where its lot code was assigned, from the first receiving or transformation record."""
    found: dict[int, Place] = {}
    for batch_id, source_id, source in (CriticalTrackingEvent.objects.filter(
            batch_id__in=set(batch_ids), cte_type__in=(CTE.RECEIVING, CTE.TRANSFORMATION))
            .order_by("id").values_list("batch_id", "tlc_source_id", "tlc_source_description")):
        found.setdefault(batch_id, Place(source_id, source))
    return found


def _record(*, cte_type: str, supplier: Supplier, warehouse: Warehouse, batch: Batch, product: Product,
            quantity: int, occurred_at: datetime, source: Place, counterparty: Place | None = None,
            **fields) -> CriticalTrackingEvent:
    here = warehouse_place(warehouse, supplier)
    counterparty = counterparty or Place("", "")
    return CriticalTrackingEvent(
        cte_type=cte_type, supplier=supplier, product=product, batch=batch, quantity=quantity,
        traceability_lot_code=batch.batch_number, product_description=product_description(product),
        event_date=occurred_at.date(), occurred_at=occurred_at, warehouse=warehouse, location_id=here.id,
        location_description=here.description, tlc_source_id=source.id, tlc_source_description=source.description,
        counterparty_id=counterparty.id, counterparty_description=counterparty.description, **fields)


def cte_receiving_record(*, supplier: Supplier, warehouse: Warehouse, batch: Batch, product: Product,
                         quantity: int, occurred_at: datetime, movement_id: uuid.UUID | None, reference: str = "",
                         context: ReceivingContext | None = None) -> CriticalTrackingEvent:
    context = context or ReceivingContext()
    source = context.tlc_source or _origins([batch.pk]).get(batch.pk) or warehouse_place(warehouse, supplier)
    event = _record(cte_type=CTE.RECEIVING, supplier=supplier, warehouse=warehouse, batch=batch, product=product,
                    quantity=quantity, occurred_at=occurred_at, source=source, counterparty=context.previous_source,
                    unit_of_measure=context.unit_of_measure, reference_document_type=context.document_type,
                    reference_document_number=context.document_number or reference or str(movement_id or ""),
                    movement_id=movement_id)
    event.save()
    return event


def cte_transformation_record(*, supplier: Supplier, warehouse: Warehouse, batch: Batch, product: Product,
                              quantity: int, occurred_at: datetime, inputs: list[dict], document_number: str,
                              movement_id: uuid.UUID | None = None) -> CriticalTrackingEvent:
    """The new lot and the lots used to make it; its lot code is assigned here."""
    event = _record(cte_type=CTE.TRANSFORMATION, supplier=supplier, warehouse=warehouse, batch=batch,
                    product=product, quantity=quantity, occurred_at=occurred_at,
                    source=warehouse_place(warehouse, supplier), inputs=inputs,
                    reference_document_type="production run", reference_document_number=document_number,
                    movement_id=movement_id)
    event.save()
    return event


@dataclass(frozen=True)
class ShippedLot:
    batch: Batch
    product: Product
    warehouse: Warehouse
    quantity: int


def ctes_shipping_record(*, supplier: Supplier, lots: list[ShippedLot], ship_to: Place,
                         retail_partner: RetailPartner | None, occurred_at: datetime, document_type: str,
                         document_number: str) -> list[CriticalTrackingEvent]:
    """One shipping record per lot that left (a shipment of two lots is two records)."""
    origins = _origins(lot.batch.pk for lot in lots)
    rows = [_record(cte_type=CTE.SHIPPING, supplier=supplier, warehouse=lot.warehouse, batch=lot.batch,
                    product=lot.product, quantity=lot.quantity, occurred_at=occurred_at,
                    source=origins.get(lot.batch.pk) or warehouse_place(lot.warehouse, supplier), counterparty=ship_to,
                    retail_partner=retail_partner, reference_document_type=document_type,
                    reference_document_number=document_number) for lot in lots]
    return CriticalTrackingEvent.objects.bulk_create(rows)


def product_description(product: Product) -> str:
    parts = [product.name, product.flavor, f"{product.bottle_size_ml} ml" if product.bottle_size_ml else ""]
    return f"{product.sku}: " + ", ".join(p for p in parts if p)
