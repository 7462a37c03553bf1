"""Batch status: quarantine, release, recall. Held batches count as on hold, never available."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import ValidationFailed
from inventory.locks import lock_items, lock_lots
from inventory.models import Batch, StockLot
from inventory.selectors import item_totals, ts
from inventory.services.movements import _emit_item_updated, _version_bump
from partners.attributes.selectors import partner_data
from webhooks.services import event_emit


@transaction.atomic
def batch_set_status(*, batch: Batch, status: str, reason: str = "") -> Batch:
    """Quarantine, release or recall a batch. Held batches count as on hold, never available."""
    if status not in Batch.Status.values:
        raise ValidationFailed.for_field("status", f"Must be one of {', '.join(Batch.Status.values)}.")
    item_ids = set(StockLot.objects.filter(batch=batch).values_list("item_id", flat=True))
    items = lock_items(item_ids)
    lots_by_item = {item_id: [] for item_id in items}
    for lot in lock_lots(item_ids):
        lots_by_item[lot.item_id].append(lot)
    before = {item_id: item_totals(lots) for item_id, lots in lots_by_item.items()}
    Batch.objects.filter(pk=batch.pk).update(status=status, status_reason=reason[:500],
                                              status_changed_at=timezone.now())
    batch.status, batch.status_reason = status, reason
    now = timezone.now()
    for item_id, item in items.items():
        for lot in lots_by_item[item_id]:
            if lot.batch_id == batch.pk:
                lot.batch = batch
        _version_bump(item, now)
        _emit_item_updated(item, lots_by_item[item_id], {
            "type": f"batch.{status}", "batch_number": batch.batch_number, "reason": reason,
            "transactions": [], "before": before[item_id]})
    if status == Batch.Status.QUARANTINED:
        view = batch_view(batch)
        event_emit(type="batch.quarantined", data=view, partner_data=partner_data(view),
                   supplier_ids=[batch.supplier_id])
    return batch


def batch_view(batch: Batch) -> dict:
    return {
        "product_id": batch.product.sku,
        "supplier_id": batch.supplier.code,
        "batch_number": batch.batch_number,
        "production_date": batch.production_date.isoformat() if batch.production_date else None,
        "expiration_date": ts(batch.expiration_date),
        "status": batch.status,
        "status_reason": batch.status_reason,
        "attributes": batch.attributes,
    }
