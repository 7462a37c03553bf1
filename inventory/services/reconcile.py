"""The ledger is the truth, balances are a cache: prove the balances, and who holds them, from it.

Three checks, each one aggregate query:

- every lot's on hand, reserved and held units equal the sums of its ledger rows;
- every lot's reserved units equal the sum of the open holds on it (every reserved unit has an owner);
- every hold equals the reserved units its holder's ledger rows put on that lot.
"""

from __future__ import annotations

import logging

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from hotsauce import metrics
from inventory.models import InventoryTransaction, ReservationLot, StockLot

logger = logging.getLogger("hotsauce.reconcile")


def reconcile() -> list[dict]:
    """Every difference found, by lot (and by holder for holds); empty when the books balance."""
    drift = _balances() + _holds_vs_reserved() + _holds_vs_ledger()
    metrics.reconciled(len(drift))
    if drift:
        logger.error("Inventory drift in %d places: %s", len(drift), drift[:20])
    return drift


def _lot_label(lot: StockLot) -> dict:
    return {"lot_id": lot.pk, "supplier": lot.item.supplier.code, "product": lot.item.product.sku,
            "warehouse": lot.warehouse.code, "batch": lot.batch.batch_number}


def _balances() -> list[dict]:
    lots = StockLot.objects.annotate(
        ledger_on_hand=Coalesce(Sum("transactions__on_hand_delta"), 0),
        ledger_reserved=Coalesce(Sum("transactions__reserved_delta"), 0),
        ledger_quarantined=Coalesce(Sum("transactions__quarantined_delta"), 0),
    ).exclude(
        Q(on_hand=F("ledger_on_hand")) & Q(reserved=F("ledger_reserved")) & Q(quarantined=F("ledger_quarantined"))
    ).select_related("item__supplier", "item__product", "warehouse", "batch")
    return [{
        "check": "ledger", **_lot_label(lot),
        "on_hand": lot.on_hand, "ledger_on_hand": lot.ledger_on_hand,
        "reserved": lot.reserved, "ledger_reserved": lot.ledger_reserved,
        "quarantined": lot.quarantined, "ledger_quarantined": lot.ledger_quarantined,
    } for lot in lots]


def _holds_vs_reserved() -> list[dict]:
    lots = (StockLot.objects.annotate(held=Coalesce(Sum("holds__quantity"), 0))
            .exclude(reserved=F("held")).select_related("item__supplier", "item__product", "warehouse", "batch"))
    return [{"check": "holds", **_lot_label(lot), "reserved": lot.reserved, "held_by_reservations": lot.held}
            for lot in lots]


def _holds_vs_ledger() -> list[dict]:
    ledger = {(row["lot_id"], row["reservation_id"]): row["n"] for row in (
        InventoryTransaction.objects.filter(reservation__isnull=False).values("lot_id", "reservation_id")
        .annotate(n=Sum("reserved_delta")).order_by())}
    holds = {(row["lot_id"], row["reservation_id"]): (row["quantity"], row["reservation__code"]) for row in (
        ReservationLot.objects.values("lot_id", "reservation_id", "quantity", "reservation__code"))}
    drift = []
    for key in sorted(set(ledger) | set(holds)):
        held, code = holds.get(key, (0, None))
        if ledger.get(key, 0) != held:
            drift.append({"check": "holder", "lot_id": key[0], "reservation_id": code or f"#{key[1]}",
                          "held": held, "ledger_reserved": ledger.get(key, 0)})
    return drift
