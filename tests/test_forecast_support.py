"""Builders for forecasting tests: demand history written through the stock services.

Movements are recorded with ``inventory.services.movement_record`` (the only writer of stock);
to give them a history, the ledger rows' ``created_at`` is then moved back in time. That
touches fixture timestamps only, never quantities, so the ledger still reconciles.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from inventory import services
from inventory.models import InventoryTransaction
from tests import factories


def day_noon(days_ago: int) -> datetime:
    today = timezone.now().astimezone(UTC).date()
    day = today - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def backdate(result: services.MovementResult, days_ago: int) -> None:
    InventoryTransaction.objects.filter(pk__in=[row.pk for row in result.transactions]).update(
        created_at=day_noon(days_ago))


def item_with_history(sup, prod, daily: list[int], *, stock: int, warehouse_code: str = "WH1",
                      movement: str = "sale") -> None:
    """Receive ``stock`` units ``len(daily)`` days ago, then sell ``daily[i]`` units on each day from
    then on, oldest first, so the last entry falls on yesterday."""
    receipt = factories.receive(sup, prod, stock, warehouse_code=warehouse_code)
    backdate(receipt, len(daily))
    for index, quantity in enumerate(daily):
        if quantity:
            moved = services.movement_record(supplier=sup, product=prod, type=movement, quantity=quantity, actor=None)
            backdate(moved, len(daily) - index)


def sell_now(sup, prod, quantity: int) -> None:
    services.movement_record(supplier=sup, product=prod, type="sale", quantity=quantity, actor=None)


def app_queries(ctx) -> list[str]:
    """The captured statements minus the cache's: without Redis (the embedded default) the rate
    limiter keeps its counters in the database cache table, and how many statements it needs
    depends on whether its window's key exists yet, not on the page being served."""
    cache_tables = {conf["LOCATION"] for conf in settings.CACHES.values()
                    if conf["BACKEND"].endswith("DatabaseCache")}
    return [q["sql"] for q in ctx.captured_queries
            if not any(table in q["sql"] for table in cache_tables)
            and not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
