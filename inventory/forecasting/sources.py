"""Demand beyond the supplier's own shipments and sales (docs/supply.md, "Replenishment inputs").

- **imported history** (``replenishment.DemandHistory``) for the days before an item's live ledger
  begins, so an item forecasts from its first day on the platform;
- **sell-through** of a retail partner that chose it as its demand signal (``SellThroughSignal``):
  from that day its reported units sold count and its shipments do not — never both;
- **unfilled demand** that another app reports through ``backorders_provider_set``: the orders app
  reports the units open orders still wait for, by the day they were ordered. Backorders are censored
  demand (a stockout ships nothing although customers ordered); once shipped, a unit leaves the
  backorder and counts as a shipment on its ship day instead, so it is counted once.

``_STATS_SQL`` (run.py) reads the first two in SQL on PostgreSQL; ``portable_days`` reads them through
the ORM for SQLite, with the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime

from django.db.models import Min

from inventory.forecasting.formulas import WINDOW_DAYS
from inventory.models import InventoryTransaction, SellThroughReport
from inventory.replenishment.models import DemandHistory, SellThroughSignal

#: ``provider(item_ids=None|[...]) -> [(item id, day ordered, units still waiting)]``
BackorderProvider = Callable[..., list[tuple[int, date, int]]]
_provider: BackorderProvider | None = None


def backorders_provider_set(provider: BackorderProvider) -> None:
    """The orders app reports its backorders here once (``PurchasingConfig.ready``)."""
    global _provider
    _provider = provider


def backorders(*, today: date, item_ids: list[int] | None) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """(item -> {age: units ordered that day and still waiting} within the window, item -> all units waiting).

    Today's backorders count in the total (an alert needs no history) but not as a day of demand: today
    is not over.
    """
    days: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[int, int] = defaultdict(int)
    for item_id, day, units in (_provider(item_ids=item_ids) if _provider else []):
        totals[item_id] += units
        age = (today - day).days
        if 1 <= age <= WINDOW_DAYS:
            days[item_id][age] += units
    return days, totals


def provided_arrays(days: dict[int, dict[int, int]]) -> dict[str, list[int]]:
    """The provided days as the three arrays ``_STATS_SQL`` unnests."""
    arrays: dict[str, list[int]] = {"p_item": [], "p_age": [], "p_units": []}
    for item_id, by_age in days.items():
        for age, units in by_age.items():
            arrays["p_item"].append(item_id)
            arrays["p_age"].append(age)
            arrays["p_units"].append(units)
    return arrays


# --- the same rules through the ORM (SQLite) -----------------------------------------------------


def live_from(item_ids: list[int]) -> dict[int, date]:
    """Item id -> UTC day of its first ledger row (of any type): where imported history stops."""
    rows = (InventoryTransaction.objects.filter(item_id__in=item_ids).order_by().values("item_id")
            .annotate(first=Min("created_at")).values_list("item_id", "first"))
    return {item_id: first.astimezone(UTC).date() for item_id, first in rows}


def signals() -> dict[int, SellThroughSignal]:
    """Retail partner id -> its sell-through signal."""
    return {signal.retail_partner_id: signal for signal in SellThroughSignal.objects.all()}


def ledger_excluded(signal_by_retailer: dict[int, SellThroughSignal], retail_partner_id: int | None,
                    supplier_id: int, day: date) -> bool:
    """A ledger row made for a retailer whose sell-through is its demand at this supplier that day."""
    signal = signal_by_retailer.get(retail_partner_id) if retail_partner_id else None
    return signal is not None and signal.supplier_id == supplier_id and day >= signal.effective_from


def portable_days(*, today: date, start_day: date, items: dict[tuple[int, int], int],
                  first_day: dict[int, date], signal_by_retailer: dict[int, SellThroughSignal]) -> list[tuple]:
    """(item id, age, units) of imported history and chosen sell-through within the window.

    ``items``: (supplier id, product id) -> item id of the items the run covers.
    """
    out = []
    history = DemandHistory.objects.filter(date__gte=start_day, date__lt=today).values_list(
        "supplier_id", "product_id", "date", "quantity")
    for supplier_id, product_id, day, quantity in history:
        item_id = items.get((supplier_id, product_id))
        if item_id is not None and (item_id not in first_day or day < first_day[item_id]):
            out.append((item_id, (today - day).days, quantity))
    reports = SellThroughReport.objects.filter(date__gte=start_day, date__lt=today,
                                               retail_partner_id__in=list(signal_by_retailer)).values_list(
        "retail_partner_id", "product_id", "date", "units_sold")
    for retail_partner_id, product_id, day, units in reports:
        signal = signal_by_retailer[retail_partner_id]
        item_id = items.get((signal.supplier_id, product_id))
        if item_id is not None and day >= signal.effective_from:
            out.append((item_id, (today - day).days, units))
    return out


def history_older_than(start_day: date) -> set[tuple[int, int]]:
    """(supplier id, product id) pairs with imported history before the window: their window is full."""
    return set(DemandHistory.objects.filter(date__lt=start_day).values_list("supplier_id", "product_id").distinct())


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
