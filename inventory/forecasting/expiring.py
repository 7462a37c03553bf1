"""batch.expiring: announced once per batch, a product-defined number of days before it expires."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from inventory.forecasting.common import _table, _trading_retailers, _ts
from inventory.models import (
    Batch,
    Product,
    StockLot,
)
from partners.attributes.selectors import partner_data
from webhooks.services import event_emit

_EXPIRING_SQL = """
UPDATE {batch} b SET expiring_notified_at = %(now)s
FROM {product} p
WHERE p.id = b.product_id AND b.expiring_notified_at IS NULL AND b.status = 'released'
  AND b.expiration_date > %(now)s
  AND b.expiration_date <= %(now)s + make_interval(days => p.expiry_warning_days)
  AND EXISTS (SELECT 1 FROM {lot} l WHERE l.batch_id = b.id AND l.on_hand > 0)
RETURNING b.id
"""


def _expiring_claim(*, now: datetime) -> list[int]:
    """Mark the batches that enter their warning window now as announced; their ids, sorted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_EXPIRING_SQL.format(batch=_table(Batch), product=_table(Product), lot=_table(StockLot)),
                           {"now": now})
            return sorted(row[0] for row in cursor.fetchall())
    # SQLite has no interval arithmetic on a column: the window is checked here, on the few
    # unannounced released batches with stock left, and the claim is a second statement. The
    # IMMEDIATE transaction holds the write lock, so no other run can claim them in between.
    candidates = (Batch.objects.filter(expiring_notified_at__isnull=True, status=Batch.Status.RELEASED,
                                       expiration_date__gt=now)
                  .filter(Exists(StockLot.objects.filter(batch=OuterRef("pk"), on_hand__gt=0)))
                  .values_list("pk", "expiration_date", "product__expiry_warning_days"))
    ids = sorted(pk for pk, expires, days in candidates if expires <= now + timedelta(days=days))
    if ids:
        Batch.objects.filter(pk__in=ids).update(expiring_notified_at=now)
    return ids


def batches_expiring_notify(*, now: datetime | None = None) -> list[int]:
    """Send batch.expiring once per batch, ``product.expiry_warning_days`` before it expires.

    The UPDATE claims each batch (``expiring_notified_at``) in the same transaction as its
    event, so a batch is announced once even when runs overlap.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = _expiring_claim(now=now)
        if not ids:
            return []
        batches = list(Batch.objects.filter(pk__in=ids).select_related("product", "supplier").order_by("pk"))
        lots = {}
        for lot in StockLot.objects.filter(batch_id__in=ids, on_hand__gt=0).select_related("warehouse"):
            lots.setdefault(lot.batch_id, []).append(lot)
        audience = _trading_retailers({batch.supplier_id for batch in batches})
        for batch in batches:
            days_left = (batch.expiration_date - now).total_seconds() / 86400
            data = {
                "supplier_id": batch.supplier.code, "product_id": batch.product.sku,
                "batch_number": batch.batch_number, "expiration_date": _ts(batch.expiration_date),
                "days_until_expiry": max(math.floor(days_left), 0),
                "expiry_warning_days": batch.product.expiry_warning_days,
                "inventory_level": sum(lot.on_hand for lot in lots.get(batch.pk, [])),
                "lots": [{"warehouse_location": lot.warehouse.code, "inventory_level": lot.on_hand,
                          "reserved_quantity": lot.reserved} for lot in lots.get(batch.pk, [])],
                "attributes": batch.attributes,
            }
            event_emit(type="batch.expiring", data=data, partner_data=partner_data(data),
                       supplier_ids=[batch.supplier_id], retail_partner_ids=audience[batch.supplier_id])
    return ids
