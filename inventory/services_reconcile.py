"""The ledger is the truth, balances are a cache: prove the balances from the ledger."""

from __future__ import annotations

import logging

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from hotsauce import metrics
from inventory.models import StockLot

logger = logging.getLogger("hotsauce.reconcile")


def reconcile() -> list[dict]:
    """Lots whose balances differ from the sum of their ledger rows (one aggregate query)."""
    lots = StockLot.objects.annotate(
        ledger_on_hand=Coalesce(Sum("transactions__on_hand_delta"), 0),
        ledger_reserved=Coalesce(Sum("transactions__reserved_delta"), 0),
        ledger_quarantined=Coalesce(Sum("transactions__quarantined_delta"), 0),
    ).exclude(
        Q(on_hand=F("ledger_on_hand")) & Q(reserved=F("ledger_reserved"))
        & Q(quarantined=F("ledger_quarantined"))
    ).select_related("item__supplier", "item__product", "warehouse", "batch")
    drift = [{
        "lot_id": lot.pk, "supplier": lot.item.supplier.code, "product": lot.item.product.sku,
        "warehouse": lot.warehouse.code, "batch": lot.batch.batch_number,
        "on_hand": lot.on_hand, "ledger_on_hand": lot.ledger_on_hand,
        "reserved": lot.reserved, "ledger_reserved": lot.ledger_reserved,
        "quarantined": lot.quarantined, "ledger_quarantined": lot.ledger_quarantined,
    } for lot in lots]
    metrics.reconciled(len(drift))
    if drift:
        logger.error("Inventory drift in %d lots: %s", len(drift), drift[:20])
    return drift

