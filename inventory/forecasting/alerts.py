"""Restock alerts as partners see and acknowledge them."""

from __future__ import annotations

from django.utils import timezone

from hotsauce.errors import InvalidState
from inventory.forecasting.common import _ts
from inventory.models import (
    RestockAlert,
)
from partners.principal import Principal

# --- alerts ---------------------------------------------------------------------------------


def alert_view(alert: RestockAlert) -> dict:
    return {
        "alert_id": alert.pk,
        "supplier_id": alert.item.supplier.code,
        "product_id": alert.item.product.sku,
        "status": alert.status,
        "severity": alert.severity,
        "available_quantity": alert.available_quantity,
        "reorder_point": round(alert.reorder_point, 2),
        "suggested_order_quantity": alert.suggested_order_quantity,
        "opened_at": _ts(alert.opened_at),
        "acknowledged_at": _ts(alert.acknowledged_at),
        "resolved_at": _ts(alert.resolved_at),
    }


def alert_acknowledge(*, alert: RestockAlert, actor: Principal) -> RestockAlert:
    """Mark an open alert as seen. It stays the item's one active alert until stock recovers.

    Acknowledging twice is harmless; a resolved alert cannot be acknowledged.
    """
    now = timezone.now()
    changed = RestockAlert.objects.filter(pk=alert.pk, status=RestockAlert.Status.OPEN).update(
        status=RestockAlert.Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=getattr(actor, "client", None))
    alert.refresh_from_db()
    if not changed and alert.status == RestockAlert.Status.RESOLVED:
        raise InvalidState(f"Alert {alert.pk} is already resolved.")
    return alert
