"""Batch status: quarantine, release, recall. Held batches count as on hold, never available."""

from __future__ import annotations

from django.utils import timezone

from hotsauce.errors import ValidationFailed
from inventory.models import Batch, StockLot
from inventory.selectors import batch_view
from inventory.services.work import stock_work
from partners.attributes.selectors import partner_data
from partners.principal import Principal
from webhooks.services import event_emit


def batch_set_status(*, batch: Batch, status: str, reason: str = "", actor: Principal | None = None) -> Batch:
    """Quarantine, release or recall a batch; each item holding it gets one ``inventory.updated``."""
    if status not in Batch.Status.values:
        raise ValidationFailed.for_field("status", f"Must be one of {', '.join(Batch.Status.values)}.")
    if status == Batch.Status.QUARANTINED and not reason.strip():
        raise ValidationFailed.for_field("reason", "Say why the batch is held: retailers and auditors read it.")
    item_ids = set(StockLot.objects.filter(batch=batch).values_list("item_id", flat=True))
    with stock_work(actor=actor) as work:
        locked = work.lock(item_ids)
        now = timezone.now()
        Batch.objects.filter(pk=batch.pk).update(status=status, status_reason=reason[:500], status_changed_at=now)
        batch.status, batch.status_reason, batch.status_changed_at = status, reason[:500], now
        for item_id in sorted(item_ids):
            lots = locked.lots_of(item_id)
            # Noted before the copies change, so the event's "before" shows the batch as it was.
            work.note(locked.item(item_id), lots, {"type": f"batch.{status}", "batch_number": batch.batch_number,
                                                   "reason": reason})
            for lot in lots:
                if lot.batch_id == batch.pk:
                    lot.batch.status, lot.batch.status_reason = status, reason[:500]
        if status == Batch.Status.QUARANTINED:
            # The batch's custom attributes ride along; partners get only the partner-readable ones.
            view = {**batch_view(batch), "attributes": batch.attributes}
            event_emit(type="batch.quarantined", data=view, partner_data=partner_data(view),
                       supplier_ids=[batch.supplier_id])
    return batch
