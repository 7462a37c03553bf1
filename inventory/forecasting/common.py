"""Small helpers the forecasting modules share."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection

from partners.models import TradingRelationship


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None



def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _trading_retailers(supplier_ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {pk: [] for pk in supplier_ids}
    for supplier_id, retailer_id in TradingRelationship.objects.filter(
            supplier_id__in=supplier_ids, active=True).values_list("supplier_id", "retail_partner_id"):
        out[supplier_id].append(retailer_id)
    return out
