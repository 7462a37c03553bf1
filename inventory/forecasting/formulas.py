"""The forecast formulas as plain functions of numbers, and one item's forecast as the API shows it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from statistics import NormalDist

from django.conf import settings
from django.utils import timezone

from inventory.forecasting.common import _ts
from inventory.models import (
    Forecast,
    InventoryItem,
    InventoryTransaction,
    ReplenishmentPolicy,
)

#: Trailing window of complete days whose outflows make the demand signal.
WINDOW_DAYS: int = getattr(settings, "FORECAST_WINDOW_DAYS", 90)
#: Half-life of a day's weight in the exponentially weighted average.
HALF_LIFE_DAYS: float = getattr(settings, "FORECAST_HALF_LIFE_DAYS", 21.0)
#: Ledger movement types that are demand: units leaving to a customer, and ingredients and packaging
#: consumed by production (the demand of the items a co-packer buys).
DEMAND_TYPES = (InventoryTransaction.Type.SHIPMENT, InventoryTransaction.Type.SALE,
                InventoryTransaction.Type.CONSUME)

_DEFAULTS = {f.name: f.default for f in ReplenishmentPolicy._meta.concrete_fields
             if f.name in ("lead_time_days", "lead_time_std_dev_days", "service_level", "minimum_order_quantity",
                           "case_pack", "review_period_days")}


# --- formulas -------------------------------------------------------------------------


def decay() -> float:
    """The weight ratio between a day and the day after it (β = 0.5^(1/half-life))."""
    return 0.5 ** (1.0 / HALF_LIFE_DAYS)


@dataclass(frozen=True)
class DemandStats:
    mean: float
    std_dev: float
    observed_days: int


def demand_stats(*, weighted_sum: float, weighted_sum_sq: float, observed_days: int,
                 beta: float | None = None, excluded_ages: Iterable[int] = ()) -> DemandStats:
    """Exponentially weighted mean and standard deviation of daily demand.

    ``weighted_sum`` = Σ β^(age−1)·x and ``weighted_sum_sq`` = Σ β^(age−1)·x² over the
    days with demand (age 1 = yesterday); days without demand add zero to both but still
    count in the weights, whose sums over ``observed_days`` have closed forms. The
    variance uses reliability weights' bias correction so that a short history does not
    understate the spread.

    ``excluded_ages`` are days left out of the sample (promotion days): the sums must not
    include them, and their weights come off the closed forms; ``observed_days`` in the
    result counts the days that remain.
    """
    n = max(int(observed_days), 0)
    excluded = {int(age) for age in excluded_ages if 1 <= age <= n}
    m = n - len(excluded)
    if m <= 0:
        return DemandStats(0.0, 0.0, 0)
    beta = decay() if beta is None else beta
    w1 = float(n) if beta == 1 else (1 - beta ** n) / (1 - beta)
    w2 = float(n) if beta == 1 else (1 - beta ** (2 * n)) / (1 - beta ** 2)
    w1 -= sum(beta ** (age - 1) for age in excluded)
    w2 -= sum(beta ** (2 * (age - 1)) for age in excluded)
    mean = weighted_sum / w1
    variance = 0.0
    if m > 1:
        population = max(weighted_sum_sq / w1 - mean * mean, 0.0)
        variance = population * w1 * w1 / (w1 * w1 - w2)
    return DemandStats(mean, math.sqrt(variance), m)


def baseline_demand_stats(*, base_sum: float, base_sum_sq: float, promo_sum: float, promo_sum_sq: float,
                          observed_days: int, promo_ages: Iterable[int], beta: float) -> DemandStats:
    """Demand statistics without the promotion days (their lift is not the baseline).

    ``base_*`` are the weighted sums over ordinary days, ``promo_*`` over promotion days. A
    history made only of promotion days is all there is: then it is used whole.
    """
    stats = demand_stats(weighted_sum=base_sum, weighted_sum_sq=base_sum_sq, observed_days=observed_days,
                         beta=beta, excluded_ages=promo_ages)
    if stats.observed_days == 0 and observed_days > 0:
        stats = demand_stats(weighted_sum=base_sum + promo_sum, weighted_sum_sq=base_sum_sq + promo_sum_sq,
                             observed_days=observed_days, beta=beta)
    return stats


@lru_cache(maxsize=256)
def service_level_z(service_level: float) -> float:
    """z such that P(Z ≤ z) = service level, for a standard normal Z."""
    return NormalDist().inv_cdf(float(service_level))


def safety_stock(*, z: float, demand: float, demand_std_dev: float, lead_time_days: float,
                 lead_time_std_dev_days: float) -> float:
    """z·√(L·σd² + d²·σL²): cover for demand and lead-time variation during one lead time."""
    return max(z, 0.0) * math.sqrt(lead_time_days * demand_std_dev ** 2 + demand ** 2 * lead_time_std_dev_days ** 2)


def reorder_point(*, demand: float, lead_time_days: float, safety: float) -> float:
    return demand * lead_time_days + safety


def days_of_cover(*, available: int, demand: float) -> float | None:
    """Days until the available units run out at the average rate; None without demand."""
    if demand <= 0:
        return None
    return max(available, 0) / demand


def stockout_date(*, available: int, demand: float, today: date) -> date | None:
    cover = days_of_cover(available=available, demand=demand)
    if cover is None:
        return None
    # Capped so a trickle of demand against a warehouse of stock cannot overflow a date; the
    # epsilon keeps 100 / 20.000000000001 on day 5 rather than day 4.
    return today + timedelta(days=min(math.floor(cover + 1e-9), 36_500))


def suggested_order_quantity(*, available: int, reorder_point: float, demand: float, review_period_days: int,
                             minimum_order_quantity: int, case_pack: int, backordered: int = 0) -> int:
    """Units to order now: enough to get back up to the reorder point plus one review period of
    demand, at least the MOQ, rounded up to whole cases; 0 while the inventory position (available
    minus what open orders still wait for) is at or above the reorder point. Backorders need no
    demand history: 85 units waiting with none available is an order of at least 85."""
    position = available - max(backordered, 0)
    if position >= reorder_point or (demand <= 0 and backordered <= 0):
        return 0
    needed = reorder_point + demand * review_period_days - position
    quantity = max(math.ceil(needed - 1e-9), minimum_order_quantity, 1)
    case = max(case_pack, 1)
    return math.ceil(quantity / case) * case


# --- the forecast of one item, as the API shows it --------------------------------------------


@dataclass(frozen=True)
class Policy:
    lead_time_days: float
    lead_time_std_dev_days: float
    service_level: float
    minimum_order_quantity: int
    case_pack: int
    review_period_days: int

    @classmethod
    def default(cls) -> Policy:
        d = _DEFAULTS
        return cls(float(d["lead_time_days"]), float(d["lead_time_std_dev_days"]), float(d["service_level"]),
                   int(d["minimum_order_quantity"]), int(d["case_pack"]), int(d["review_period_days"]))

    @classmethod
    def of(cls, row: ReplenishmentPolicy | Forecast | None) -> Policy:
        if row is None:
            return cls.default()
        return cls(float(row.lead_time_days), float(row.lead_time_std_dev_days), float(row.service_level),
                   row.minimum_order_quantity, row.case_pack, row.review_period_days)


def forecast_numbers(*, stats: DemandStats, policy: Policy) -> dict:
    """Safety stock and reorder point of one item under its policy."""
    z = service_level_z(policy.service_level)
    safety = safety_stock(z=z, demand=stats.mean, demand_std_dev=stats.std_dev,
                          lead_time_days=policy.lead_time_days, lead_time_std_dev_days=policy.lead_time_std_dev_days)
    rop = reorder_point(demand=stats.mean, lead_time_days=policy.lead_time_days, safety=safety)
    return {"safety_stock": safety, "reorder_point": rop}


def forecast_view(*, item: InventoryItem, forecast: Forecast | None, policy: ReplenishmentPolicy | None,
                  available: int, now: datetime | None = None) -> dict:
    """The contract's forecast object (API-CONTRACT.md 4.4).

    Demand, safety stock and reorder point come from the last periodic run (``computedAt``);
    availability and what follows from it (cover, stockout date, order quantity) are live.
    An item the run has not reached yet has zero demand: no reorder, no stockout date.
    """
    now = now or timezone.now()
    if forecast is not None:
        d, sd, safety, rop = (forecast.average_daily_demand, forecast.demand_std_dev, forecast.safety_stock,
                              forecast.reorder_point)
        used = Policy.of(forecast)
        computed_at = forecast.computed_at
    else:
        used = Policy.of(policy)
        numbers = forecast_numbers(stats=DemandStats(0.0, 0.0, 0), policy=used)
        d, sd, safety, rop = 0.0, 0.0, numbers["safety_stock"], numbers["reorder_point"]
        computed_at = now
    today = now.astimezone(UTC).date()
    backordered = forecast.backordered_quantity if forecast is not None else 0
    cover = days_of_cover(available=available, demand=d)
    stockout = stockout_date(available=available, demand=d, today=today)
    return {
        "supplier_id": item.supplier.code,
        "product_id": item.product.sku,
        "average_daily_demand": round(d, 3),
        "demand_std_dev": round(sd, 3),
        "lead_time_days": round(used.lead_time_days, 2),
        "lead_time_std_dev_days": round(used.lead_time_std_dev_days, 2),
        "service_level": round(used.service_level, 4),
        "safety_stock": round(safety, 2),
        "reorder_point": round(rop, 2),
        "available_quantity": available,
        "below_reorder_point": available < rop,
        "days_of_cover": round(cover, 1) if cover is not None else None,
        "predicted_stockout_date": stockout.isoformat() if stockout else None,
        "suggested_order_quantity": suggested_order_quantity(
            available=available, reorder_point=rop, demand=d, review_period_days=used.review_period_days,
            minimum_order_quantity=used.minimum_order_quantity, case_pack=used.case_pack, backordered=backordered),
        "backordered_quantity": backordered,
        "minimum_order_quantity": used.minimum_order_quantity,
        "case_pack": used.case_pack,
        "review_period_days": used.review_period_days,
        "observed_days": forecast.observed_days if forecast is not None else 0,
        "computed_at": _ts(computed_at),
    }

