"""Recalls: put a batch on hold, free and re-allocate what it held, tell every retailer that received it."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from inventory import services as stock
from inventory.models import Batch, StockLot
from orders.models import (
    Allocation,
    OrderLine,
    Recall,
    RecallNotice,
    ReturnLine,
    ShipmentLine,
)
from orders.selectors import notice_view, recall_view
from orders.services.common import (
    T,
    _allocate,
    _client,
    _emit_order,
    _lock_orders,
    _lock_stock,
    _refresh_status,
    _release,
    _touch,
)
from partners.attributes.selectors import partner_data
from partners.principal import Principal
from webhooks.services import event_emit

# --- recall ---------------------------------------------------------------------------


@transaction.atomic
def batch_recall(*, batch: Batch, reason: str, actor: Principal | None = None) -> Recall:
    """Put every lot of a batch on hold, free its reservations, re-allocate from other batches, tell retailers."""
    if not reason or not reason.strip():
        raise ValidationFailed.for_field("reason", "This field is required.")
    item_ids = set(StockLot.objects.filter(batch=batch).values_list("item_id", flat=True))
    locked = _lock_stock(item_ids)
    # The batch row too, before any event: return_create locks it and then emits.
    batch = (Batch.objects.select_related("product", "supplier").select_for_update(of=("self",), no_key=True)
             .get(pk=batch.pk))
    if batch.status == Batch.Status.RECALLED:
        raise InvalidState(f"Batch {batch.batch_number} of {batch.product.sku} is already recalled.")
    batch_lot_ids = {lot.pk for lots in locked.lots.values() for lot in lots if lot.batch_id == batch.pk}
    # Allocations on these lots change only under the item locks we hold: this read is final.
    allocations = list(Allocation.objects.filter(lot_id__in=batch_lot_ids).select_related("lot", "line"))
    orders = _lock_orders({allocation.line.order_id for allocation in allocations})

    recall = Recall.objects.create(batch=batch, reason=reason[:500], created_by=_client(actor))
    released_by_line: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        released_by_line[allocation.line_id] += allocation.quantity
    for order in orders.values():
        mine = [a for a in allocations if a.line.order_id == order.pk]
        _release(locked=locked, allocations=mine, order=order, actor=actor, reference=f"RECALL-{recall.pk}",
                 reason=f"batch {batch.batch_number} recalled")
    # Reservations made directly on the stock (not by an order) go too: nothing of the batch may ship.
    loose = 0
    for item_id, lots in sorted(locked.lots.items()):
        changes = [(lot.pk, 0, -lot.reserved, 0) for lot in lots if lot.batch_id == batch.pk and lot.reserved > 0]
        if changes:
            loose += sum(-change[2] for change in changes)
            stock.lots_apply(item=locked.items[item_id], lots=lots, type=T.RELEASE, changes=changes, actor=actor,
                             retail_partner=None, reference=f"RECALL-{recall.pk}",
                             reason=f"batch {batch.batch_number} recalled")
    stock.batch_set_status(batch=batch, status=Batch.Status.RECALLED, reason=reason)
    for lots in locked.lots.values():
        for lot in lots:
            if lot.batch_id == batch.pk:
                lot.batch.status = Batch.Status.RECALLED  # our locked copies must see the hold too

    now = timezone.now()
    lines = OrderLine.objects.filter(pk__in=released_by_line).order_by("order_id", "pk")
    for line in lines:
        order = orders[line.order_id]
        item_id = next(i for i, item in locked.items.items() if item.product_id == line.product_id)
        _allocate(line=line, order=order, item=locked.items[item_id], lots=locked.lots[item_id],
                  quantity=released_by_line[line.pk], actor=actor, now=now,
                  reason=f"re-allocated after recall of {batch.batch_number}")
    for order in orders.values():
        _refresh_status(order)
        _touch(order)
        _emit_order(order)

    batch_lots = [lot for lots in locked.lots.values() for lot in lots if lot.batch_id == batch.pk]
    shipped = dict(ShipmentLine.objects.filter(batch=batch).values("shipment__retail_partner_id")
                   .annotate(n=Sum("quantity")).values_list("shipment__retail_partner_id", "n"))
    returned = dict(ReturnLine.objects.filter(batch=batch).values("ret__retail_partner_id")
                    .annotate(n=Sum("quantity")).values_list("ret__retail_partner_id", "n"))
    for retail_partner_id in sorted(shipped):
        RecallNotice.objects.create(recall=recall, retail_partner_id=retail_partner_id,
                                    shipped_quantity=shipped[retail_partner_id],
                                    returned_quantity=returned.get(retail_partner_id, 0))
    recall.units_on_hand = sum(lot.on_hand for lot in batch_lots)
    recall.units_released = sum(released_by_line.values()) + loose
    recall.save(update_fields=["units_on_hand", "units_released"])

    view = {**recall_view(recall), "attributes": batch.attributes}
    summary = {key: value for key, value in view.items() if key != "retail_partners"}
    for notice in recall.notices.select_related("retail_partner"):
        # Each retailer hears only about its own units.
        data = {**summary, **notice_view(notice)}
        event_emit(type="batch.recalled", data=data, partner_data=partner_data(data),
                   retail_partner_ids=[notice.retail_partner_id])
    event_emit(type="batch.recalled", data=view, partner_data=partner_data(view), supplier_ids=[batch.supplier_id])
    return recall
