"""The FSMA 204 shipping record of a shipment (issue 18): one critical tracking event per lot that left."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from inventory.traceability import services as traceability
from orders.models import Order, Shipment


def shipment_trace_record(*, order: Order, shipment: Shipment, plan: list, occurred_at: datetime) -> None:
    """``plan``: the shipment's (held units, quantity) pairs, as ``shipments._plan`` made them."""
    per_lot: dict[int, list] = defaultdict(lambda: [None, None, 0])
    for held, take in plan:
        entry = per_lot[held.lot.pk]
        entry[0], entry[1] = held.lot, held.line.product
        entry[2] += take
    traceability.ctes_shipping_record(
        supplier=order.supplier, retail_partner=order.retail_partner, occurred_at=occurred_at,
        ship_to=traceability.retailer_place(order.retail_partner, order.delivery_address),
        document_type="shipment", document_number=f"{shipment.code} (order {order.code})",
        lots=[traceability.ShippedLot(batch=lot.batch, product=product, warehouse=lot.warehouse, quantity=quantity)
              for _, (lot, product, quantity) in sorted(per_lot.items())])
