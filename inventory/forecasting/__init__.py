"""Demand forecasts, replenishment numbers and restock alerts (docs/forecasting.md).

``formulas`` holds the plain functions of numbers (checked by hand in the tests), ``run`` the
set-based periodic run that applies them to every item and opens or resolves alerts,
``expiring`` the batch.expiring announcements, ``alerts`` and ``demand`` the API's writes.
Other modules import from here, never from the submodules.
"""

from inventory.forecasting.alerts import alert_acknowledge, alert_view
from inventory.forecasting.common import _day_start
from inventory.forecasting.demand import forecast_refresh, replenishment_policy_set, sell_through_report
from inventory.forecasting.expiring import batches_expiring_notify
from inventory.forecasting.formulas import (
    DEMAND_TYPES,
    HALF_LIFE_DAYS,
    WINDOW_DAYS,
    DemandStats,
    Policy,
    days_of_cover,
    decay,
    demand_stats,
    forecast_numbers,
    forecast_view,
    reorder_point,
    safety_stock,
    service_level_z,
    stockout_date,
    suggested_order_quantity,
)
from inventory.forecasting.run import (
    _STATS_SQL,
    RunResult,
    _sql,
    _stats_params,
    _stats_rows_portable,
    forecasts_recompute,
)
from inventory.forecasting.sources import backorders_provider_set

__all__ = [
    "DEMAND_TYPES", "HALF_LIFE_DAYS", "WINDOW_DAYS", "DemandStats", "Policy", "RunResult", "_STATS_SQL",
    "_day_start", "_sql", "_stats_params", "_stats_rows_portable", "alert_acknowledge", "alert_view",
    "backorders_provider_set", "batches_expiring_notify", "days_of_cover", "decay", "demand_stats",
    "forecast_numbers", "forecast_refresh", "forecast_view", "forecasts_recompute", "reorder_point",
    "replenishment_policy_set", "safety_stock", "sell_through_report", "service_level_z", "stockout_date",
    "suggested_order_quantity",
]
