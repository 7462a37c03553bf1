"""Reads of forecasts and restock alerts, scoped to what the caller may see."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from inventory.forecasting import forecast_view
from inventory.models import InventoryItem, ReplenishmentPolicy, RestockAlert
from inventory.selectors import item_available_subquery
from partners.principal import Principal
from partners.selectors import supplier_ids_visible_to


def _live_available(now: datetime):
    """Available units of the item now (``inventory.selectors.item_available_subquery``)."""
    return item_available_subquery(now)


def forecast_list(*, principal: Principal, now: datetime | None = None) -> QuerySet[InventoryItem]:
    """Inventory items with their stored forecast (if any) and live ``available`` units.

    A retailer sees the suppliers it trades with, a supplier itself, the brand everything.
    """
    now = now or timezone.now()
    qs = (InventoryItem.objects.select_related("supplier", "product", "forecast")
          .annotate(available=_live_available(now)))
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(supplier_id__in=ids)


def forecasts_below_reorder_point(qs: QuerySet[InventoryItem], below: bool) -> QuerySet[InventoryItem]:
    # Items the run has not reached have a reorder point of 0: never below it.
    rop = Coalesce(F("forecast__reorder_point"), Value(0.0), output_field=FloatField())
    condition = Q(available__lt=rop)
    return qs.filter(condition) if below else qs.exclude(condition)


def forecasts_stockout_before(qs: QuerySet[InventoryItem], day: date,
                              now: datetime | None = None) -> QuerySet[InventoryItem]:
    """Items whose predicted stockout date (today + ⌊available / d⌋) falls before ``day``.

    ⌊a/d⌋ < n holds exactly when a < d·n for a whole number n, so no date arithmetic in SQL.
    """
    today = (now or timezone.now()).astimezone(UTC).date()
    days = (day - today).days
    if days <= 0:
        return qs.none()
    return qs.filter(forecast__average_daily_demand__gt=0).filter(
        available__lt=Cast(F("forecast__average_daily_demand"), FloatField()) * days)


def forecast_views(items, *, now: datetime | None = None) -> list[dict]:
    """Forecast objects of a page of items: one query for the policies of items not yet forecast."""
    now = now or timezone.now()
    items = list(items)
    pending = [item for item in items if _forecast_of(item) is None]
    policies = {}
    if pending:
        q = Q()
        for item in pending:
            q |= Q(supplier_id=item.supplier_id, product_id=item.product_id)
        policies = {(p.supplier_id, p.product_id): p for p in ReplenishmentPolicy.objects.filter(q)}
    return [forecast_view(item=item, forecast=_forecast_of(item), available=int(item.available), now=now,
                          policy=policies.get((item.supplier_id, item.product_id)))
            for item in items]


def _forecast_of(item: InventoryItem):
    try:
        return item.forecast
    except InventoryItem.forecast.RelatedObjectDoesNotExist:
        return None


def alert_list(*, principal: Principal) -> QuerySet[RestockAlert]:
    qs = RestockAlert.objects.select_related("item__supplier", "item__product")
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(item__supplier_id__in=ids)
