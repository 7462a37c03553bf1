"""Trace both ways through production (issue 18): from a lot forward to the batches made from it and the
retail partners that received them, and from a batch back to the lots it was made from.

``batch_trace`` (``orders.selectors``) adds both to ``GET products/{productId}/batches/{batchNumber}/trace``.
A retail partner sees the genealogy of batches of suppliers it trades with, and only its own shipments.
"""

from __future__ import annotations

from django.db.models import Sum

from inventory.models import Batch
from inventory.production.selectors import batch_ancestors, batch_descendants
from inventory.selectors import ts
from orders.models import ShipmentLine
from partners.principal import Principal


def _lot(batch: Batch) -> dict:
    return {"product_id": batch.product.sku, "batch_number": batch.batch_number, "supplier_id": batch.supplier.code,
            "expiration_date": ts(batch.expiration_date), "status": batch.status}


def trace_forward(*, principal: Principal, batch: Batch) -> dict:
    """Every batch made from ``batch`` (at any depth) with the units of this lineage that went into it,
    and every retail partner that received them, with quantities per batch."""
    derived: dict[int, dict] = {}
    for derivation in batch_descendants([batch.pk]):
        use, run = derivation.use, derivation.use.run
        entry = derived.setdefault(run.output_batch_id, {
            **_lot(run.output_batch), "product_id": run.output_product.sku, "production_run_id": run.code,
            "produced_at": ts(run.produced_at), "produced_quantity": run.output_quantity, "depth": derivation.depth,
            "made_from": [], "shipped_quantity": 0})
        entry["made_from"].append({"product_id": use.product.sku, "batch_number": use.batch.batch_number,
                                   "quantity": use.quantity})
    lines = ShipmentLine.objects.filter(batch_id__in=list(derived))
    if principal.is_retailer:
        lines = lines.filter(shipment__retail_partner_id=principal.retail_partner_id)
    partners: dict[str, dict] = {}
    for batch_id, code, quantity in (lines.values("batch_id", "shipment__retail_partner__code")
                                     .annotate(n=Sum("quantity")).order_by("shipment__retail_partner__code", "batch_id")
                                     .values_list("batch_id", "shipment__retail_partner__code", "n")):
        entry = derived[batch_id]
        entry["shipped_quantity"] += quantity
        partner = partners.setdefault(code, {"retail_partner_id": code, "shipped_quantity": 0, "batches": []})
        partner["shipped_quantity"] += quantity
        partner["batches"].append({"product_id": entry["product_id"], "batch_number": entry["batch_number"],
                                   "quantity": quantity})
    return {"batches": sorted(derived.values(), key=lambda e: (e["depth"], e["production_run_id"])),
            "retail_partners": list(partners.values())}


def trace_backward(*, batch: Batch) -> dict:
    """The lots ``batch`` was made from, and what those were made from (``depth`` 2 and more)."""
    lots = []
    for derivation in batch_ancestors([batch.pk]):
        use, run = derivation.use, derivation.use.run
        lots.append({**_lot(use.batch), "product_id": use.product.sku, "quantity": use.quantity,
                     "depth": derivation.depth, "production_run_id": run.code,
                     "used_in": {"product_id": run.output_product.sku, "batch_number": run.output_batch.batch_number}})
    made_by = next((lot["production_run_id"] for lot in lots if lot["depth"] == 1), None)
    return {"production_run_id": made_by, "lots": lots}
