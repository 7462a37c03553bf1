"""``inventory.updated``: what each audience may learn about a change of an item.

The supplier and the brand see the item as it is and every ledger row of the change. Each
retailer trading with the supplier gets its own view: ``availableQuantity`` (item and lots) is
what that retailer can be promised (its minimum shelf life applied, exactly what ``GET``
shows it), and rows that were not made for it carry no retailer, reason, reference or
reservation — nothing that tells one retailer about another's orders, shipments or returns.
"""

from __future__ import annotations

from datetime import datetime

from inventory.models import InventoryItem, InventoryTransaction, StockLot
from inventory.selectors import item_totals, item_view, shelf_life_cutoff, ts
from partners.models import TradingRelationship
from webhooks.services import event_emit

T = InventoryTransaction.Type


def transaction_view(row: InventoryTransaction) -> dict:
    """A ledger row as the API shows it (``GET inventory/transactions``)."""
    return {
        "id": row.pk,
        "movement_id": str(row.movement_id),
        "type": row.type,
        "supplier_id": row.supplier.code,
        "product_id": row.product.sku,
        "warehouse_location": row.warehouse.code,
        "to_warehouse_location": row.counterpart_warehouse.code if row.counterpart_warehouse_id
        and row.type == T.TRANSFER and row.on_hand_delta < 0 else None,
        "batch_number": row.batch.batch_number,
        "expiration_date": ts(row.batch.expiration_date),
        "quantity": row.quantity,
        "on_hand_delta": row.on_hand_delta,
        "reserved_delta": row.reserved_delta,
        "on_hold_delta": row.quarantined_delta,
        "on_hand_after": row.on_hand_after,
        "reserved_after": row.reserved_after,
        "retail_partner_id": row.retail_partner.code if row.retail_partner_id else None,
        "reservation_id": row.reservation.code if row.reservation_id else None,
        "reason": row.reason,
        "reference": row.reference,
        "actor": actor_label(row),
        "version": row.item_version,
        "created_at": ts(row.created_at),
    }


def actor_label(row: InventoryTransaction) -> str | None:
    if row.actor_client_id:
        return row.actor_client.display_name
    if row.actor_user_id:
        return f"staff:{row.actor_user.get_username()}"
    return None


def _row_for_retailer(view: dict, row: InventoryTransaction, retail_partner_id: int) -> dict:
    if row.retail_partner_id == retail_partner_id:
        return {**view, "actor": None}
    return {**view, "retail_partner_id": None, "reservation_id": None, "reason": "", "reference": "", "actor": None}


def item_updated_emit(*, item: InventoryItem, lots: list[StockLot], before: list[StockLot],
                      rows: list[InventoryTransaction], notes: list[dict], now: datetime) -> None:
    """One ``inventory.updated`` for the whole change of one item in one transaction."""
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
    retailers = [rel.retail_partner for rel in TradingRelationship.objects.filter(
        supplier_id=item.supplier_id, active=True).select_related("retail_partner").order_by("retail_partner_id")]
    per_retailer = {}
    for retailer in retailers:
        cutoff = shelf_life_cutoff(retailer.minimum_shelf_life_days, now)
        per_retailer[retailer.pk] = {**item_view(item, lots, retail_partner=retailer, now=now), "change": {
            **change,
            "transactions": [_row_for_retailer(view, row, retailer.pk) for view, row in zip(views, rows, strict=True)],
            "before": item_totals(before, now, cutoff),
            **({"notes": [{"type": n["type"], "batch_number": n["batch_number"]} for n in notes]} if notes else {}),
        }}
    event_emit(type="inventory.updated", data=data, supplier_ids=[item.supplier_id],
               retail_partner_ids=list(per_retailer), audience_data=per_retailer)
