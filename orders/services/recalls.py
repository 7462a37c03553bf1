"""Recalls: put a batch on hold, free and re-allocate what it held, tell every retailer that received it.

A recall of an ingredient or packaging lot recalls every batch made from it (the genealogy of
``inventory.production``), each with its own recall and notices, in the same transaction.
"""

from __future__ import annotations

from django.db.models import Sum

from hotsauce.errors import InvalidState, ValidationFailed
from inventory import services as stock
from inventory.models import Batch, Reservation, ReservationLot, StockLot
from inventory.production.selectors import derived_batches
from orders.models import Order, OrderLine, Recall, RecallNotice, ReturnLine, ShipmentLine
from orders.selectors import notice_view, recall_view
from orders.services.common import (
    T,
    client_of,
    line_allocate,
    line_release,
    lock_orders,
    order_emit,
    order_touch,
    status_refresh,
)
from partners.attributes.selectors import partner_data
from partners.principal import Principal
from webhooks.services import event_emit


def _family(batch: Batch) -> list[int]:
    """The batch and every batch made from it, directly or not (ids)."""
    return [batch.pk] + [derived.pk for derived in derived_batches(batch)]


def batch_recall(*, batch: Batch, reason: str, actor: Principal | None = None) -> Recall:
    """Put every lot of a batch on hold, free its reservations, re-allocate from other batches, tell retailers.

    Batches made from it are recalled with it (``recall.derived``), each with its own notices. Every
    batch goes on hold first, inside the same work: the re-allocation then skips them all, and every event
    of the transaction shows the lots held (the work emits them once, at the end).
    """
    if not reason or not reason.strip():
        raise ValidationFailed.for_field("reason", "This field is required.")
    family = _family(batch)
    item_ids = set(StockLot.objects.filter(batch_id__in=family).values_list("item_id", flat=True))
    with stock.stock_work(actor=actor) as work:
        locked = work.lock(item_ids)
        batches = {b.pk: b for b in Batch.objects.filter(pk__in=family).select_related("product", "supplier")
                   .order_by("pk").select_for_update(of=("self",), no_key=True)}
        root = batches[batch.pk]
        if root.status == Batch.Status.RECALLED:
            raise InvalidState(f"Batch {root.batch_number} of {root.product.sku} is already recalled.")
        # The root's items are locked: no run can consume it any more. A run committed since the genealogy
        # was read made a batch whose items may not be locked; locking them now could deadlock, so refuse.
        if sorted(_family(root)) != sorted(family):
            raise InvalidState(f"Batches were made from {root.batch_number} while recalling it; try again.")
        targets = [root] + [b for pk, b in sorted(batches.items()) if pk != root.pk
                            and b.status != Batch.Status.RECALLED]
        # Holds on these lots change only under the item locks we hold: this read is final.
        holders = list(Reservation.objects.filter(pk__in=ReservationLot.objects.filter(
            lot__batch__in=targets).values("reservation_id")).order_by("pk"))
        lines = {line.reservation_id: line for line in OrderLine.objects.filter(
            reservation__in=holders).select_related("reservation")}
        orders = lock_orders({line.order_id for line in lines.values()})
        recalls = {}
        for target in targets:
            why = reason if target is root else (f"made from {root.product.sku} lot {root.batch_number}, "
                                                 f"recalled: {reason}")
            recalls[target.pk] = Recall.objects.create(batch=target, reason=why[:500], created_by=client_of(actor),
                                              created_by_user=getattr(actor, "user", None))
            stock.batch_set_status(batch=target, status=Batch.Status.RECALLED, reason=why, actor=actor)
        released: dict[int, int] = {}
        for target in targets:
            freed = _release_holds(work, locked, target, recalls[target.pk], holders, lines, orders)
            for reservation_id, units in freed.items():
                released[reservation_id] = released.get(reservation_id, 0) + units
            _totals(recalls[target.pk], locked, target, freed)
        _reallocate(work, locked, root, lines, orders, released)
        for target in targets:
            _notify(recalls[target.pk], target, root)
    recall = recalls[root.pk]
    recall.derived = [recalls[target.pk] for target in targets[1:]]
    return recall


def _totals(recall: Recall, locked, batch: Batch, freed: dict[int, int]) -> None:
    recall.units_on_hand = sum(lot.on_hand for lots in locked.lots.values() for lot in lots if lot.batch_id == batch.pk)
    recall.units_released = sum(freed.values())
    recall.save(update_fields=["units_on_hand", "units_released"])


def _release_holds(work, locked, batch: Batch, recall: Recall, holders: list[Reservation],
                   lines: dict[int, OrderLine], orders: dict[int, Order]) -> dict[int, int]:
    """Free every hold on the batch; returns units released per reservation id."""
    released: dict[int, int] = {}
    reference, why = f"RECALL-{recall.pk}", f"batch {batch.batch_number} recalled"
    for reservation in holders:
        line = lines.get(reservation.pk)
        if line is not None:
            units = line_release(work=work, line=line, order=orders[line.order_id], locked=locked, reason=why,
                                 reference=reference, only_batch_id=batch.pk)
            if units:
                released[reservation.pk] = units
            continue
        # A standalone hold goes too: nothing of the batch may ship.
        item = locked.item(reservation.item_id)
        lots = locked.lots_of(item.pk)
        only = [lot for lot in lots if lot.batch_id == batch.pk]
        if not any(stock.holds_of(reservation).get(lot.pk) for lot in only):
            continue
        movement = work.movement(item=item, lots=lots, type=T.RELEASE, reason=why, reference=reference,
                                 retail_partner=reservation.retail_partner)
        plan = stock.reservation_release(movement=movement, reservation=reservation, lots=lots, only=only)
        released[reservation.pk] = sum(take for _, take in plan)
    return released


def _reallocate(work, locked, batch: Batch, lines: dict[int, OrderLine], orders: dict[int, Order],
                released: dict[int, int]) -> None:
    for reservation_id, line in sorted(lines.items(), key=lambda pair: (pair[1].order_id, pair[1].pk)):
        item = locked.item(line.reservation.item_id)
        line_allocate(work=work, line=line, order=orders[line.order_id], item=item, lots=locked.lots_of(item.pk),
                      quantity=released.get(reservation_id, 0), actor=work.actor,
                      reason=f"re-allocated after recall of {batch.batch_number}")
    for order in orders.values():
        status_refresh(order)
        order_touch(order)
        order_emit(order)


def _notify(recall: Recall, batch: Batch, root: Batch) -> None:
    shipped = dict(ShipmentLine.objects.filter(batch=batch).values("shipment__retail_partner_id")
                   .annotate(n=Sum("quantity")).values_list("shipment__retail_partner_id", "n"))
    returned = dict(ReturnLine.objects.filter(batch=batch).values("ret__retail_partner_id")
                    .annotate(n=Sum("quantity")).values_list("ret__retail_partner_id", "n"))
    for retail_partner_id in sorted(shipped):
        RecallNotice.objects.create(recall=recall, retail_partner_id=retail_partner_id,
                                    shipped_quantity=shipped[retail_partner_id],
                                    returned_quantity=returned.get(retail_partner_id, 0))
    view = {**recall_view(recall), "attributes": batch.attributes}
    if batch.pk != root.pk:
        view["recalled_because_of"] = {"product_id": root.product.sku, "batch_number": root.batch_number}
    summary = {key: value for key, value in view.items() if key != "retail_partners"}
    for notice in recall.notices.select_related("retail_partner"):
        # Each retailer hears only about its own units.
        data = {**summary, **notice_view(notice)}
        event_emit(type="batch.recalled", data=data, partner_data=partner_data(data),
                   retail_partner_ids=[notice.retail_partner_id])
    event_emit(type="batch.recalled", data=view, partner_data=partner_data(view), supplier_ids=[batch.supplier_id])
