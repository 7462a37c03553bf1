"""``inventory.updated``: what each audience may learn about a change of an item.

The supplier and the brand see the item as it is and every ledger row of the change. Each
retailer trading with the supplier gets its own view: ``availableQuantity`` (item and lots) is
what that retailer can be promised (its minimum shelf life applied, exactly what ``GET``
shows it), and rows that were not made for it carry no retailer, reason, reference or
reservation — nothing that tells one retailer about another's orders, shipments or returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from inventory.models import InventoryItem, InventoryTransaction, StockLot
from inventory.selectors import item_totals, item_view, shelf_life_cutoff, ts
from partners.models import RetailPartner, TradingRelationship
from webhooks.services import events_emit

T = InventoryTransaction.Type


def transaction_view(row: InventoryTransaction) -> dict:
    """A ledger row as the API shows it (``GET inventory/transactions``), from the row alone: its copied
    codes (``work.ledger_codes``) make the list one table read."""
    return {
        "id": row.pk,
        "movement_id": str(row.movement_id),
        "type": row.type,
        "supplier_id": row.supplier_code,
        "product_id": row.product_sku,
        "warehouse_location": row.warehouse_code,
        "to_warehouse_location": row.counterpart_warehouse_code or None
        if row.type == T.TRANSFER and row.on_hand_delta < 0 else None,
        "batch_number": row.batch_number,
        "expiration_date": ts(row.expiration_date),
        "quantity": row.quantity,
        "on_hand_delta": row.on_hand_delta,
        "reserved_delta": row.reserved_delta,
        "on_hold_delta": row.quarantined_delta,
        "on_hand_after": row.on_hand_after,
        "reserved_after": row.reserved_after,
        "retail_partner_id": row.retail_partner_code or None,
        "reservation_id": row.reservation_code or None,
        "reason": row.reason,
        "reference": row.reference,
        "actor": row.actor_label or None,
        "version": row.item_version,
        "created_at": ts(row.created_at),
    }


def _row_for_retailer(view: dict, row: InventoryTransaction, retail_partner_id: int) -> dict:
    if row.retail_partner_id == retail_partner_id:
        return {**view, "actor": None}
    return {**view, "retail_partner_id": None, "reservation_id": None, "reason": "", "reference": "", "actor": None}


@dataclass
class ItemChange:
    """The whole change of one item in one transaction, as ``StockWork.flush`` hands it over."""

    item: InventoryItem
    lots: list[StockLot]
    before: list[StockLot]
    rows: list[InventoryTransaction]
    notes: list[dict]


def items_updated_emit(changes: list[ItemChange], *, now: datetime) -> None:
    """One ``inventory.updated`` per changed item, all written together (one read of the retailers, one
    write of the events: an order of many lines costs no more statements than one of a single line)."""
    if not changes:
        return
    retailers: dict[int, list] = defaultdict(list)
    for rel in TradingRelationship.objects.filter(
            supplier_id__in=sorted({change.item.supplier_id for change in changes}), active=True,
    ).select_related("retail_partner").order_by("retail_partner_id"):
        retailers[rel.supplier_id].append(rel.retail_partner)
    events_emit([_item_event(change, retailers[change.item.supplier_id], now) for change in changes])


def _item_event(change: ItemChange, retailers: list[RetailPartner], now: datetime) -> dict:
    item = change.item
    data, per_retailer = item_updated_data(item=item, lots=change.lots, before=change.before, rows=change.rows,
                                           notes=change.notes, now=now, retailers=retailers)
    return {"type": "inventory.updated", "data": data, "supplier_ids": [item.supplier_id],
            "retail_partner_ids": list(per_retailer), "audience_data": per_retailer}


def item_updated_data(*, item: InventoryItem, lots: list[StockLot], before: list[StockLot],
                      rows: list[InventoryTransaction], notes: list[dict], now: datetime,
                      retailers: list[RetailPartner]) -> tuple[dict, dict[int, dict]]:
    """The event's data as the brand and supplier see it, and each trading retailer's own view of it
    (``retailers``: those with an active trading relationship, by id). The fast path builds its event
    here too (``inventory.services.fast``)."""
    first = rows[0] if rows else None
    views = [transaction_view(row) for row in rows]
    change = {
        "movement_id": str(first.movement_id) if first else None,
        "type": first.type if first else (notes[0]["type"] if notes else None),
        "transactions": [{**view, "actor": None} for view in views],
        "before": item_totals(before, now),
    }
    if notes:
        change["notes"] = notes
    data = {**item_view(item, lots, now=now), "change": change}
    per_retailer = {}
    for retailer in retailers:
        cutoff = shelf_life_cutoff(retailer.minimum_shelf_life_days, now)
        per_retailer[retailer.pk] = {**item_view(item, lots, retail_partner=retailer, now=now), "change": {
            **change,
            "transactions": [_row_for_retailer(view, row, retailer.pk) for view, row in zip(views, rows, strict=True)],
            "before": item_totals(before, now, cutoff),
            **({"notes": [{"type": n["type"], "batch_number": n["batch_number"]} for n in notes]} if notes else {}),
        }}
    return data, per_retailer
