"""Demand forecasts, replenishment numbers and restock alerts (docs/forecasting.md).

The formulas are plain functions of numbers so they can be checked by hand. The periodic
run (``forecasts_recompute``) gathers every item's demand statistics in one aggregate
query, applies the formulas in memory, and writes all forecasts back in one statement;
opening and resolving alerts are set-based statements too. Only the events for alerts
that changed state are written one by one, because each is its own outbox row.
On SQLite, the embedded default, the aggregate and the write-back go through the ORM
instead of the PostgreSQL dialect, with the same results (tests/test_forecast_sqlite.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from statistics import NormalDist

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Abs, Coalesce, Greatest, TruncDate
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from inventory.models import (
    Batch,
    Forecast,
    InventoryItem,
    InventoryTransaction,
    Product,
    ReplenishmentPolicy,
    RestockAlert,
    SellThroughReport,
    StockLot,
)
from partners.models import RetailPartner, Supplier, TradingRelationship
from partners.principal import Principal
from webhooks.services import event_emit

#: Trailing window of complete days whose outflows make the demand signal.
WINDOW_DAYS: int = getattr(settings, "FORECAST_WINDOW_DAYS", 90)
#: Half-life of a day's weight in the exponentially weighted average.
HALF_LIFE_DAYS: float = getattr(settings, "FORECAST_HALF_LIFE_DAYS", 21.0)
#: Ledger movement types that are demand: units leaving to a customer.
DEMAND_TYPES = (InventoryTransaction.Type.SHIPMENT, InventoryTransaction.Type.SALE)

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
                 beta: float | None = None) -> DemandStats:
    """Exponentially weighted mean and standard deviation of daily demand.

    ``weighted_sum`` = Σ β^(age−1)·x and ``weighted_sum_sq`` = Σ β^(age−1)·x² over the
    days with demand (age 1 = yesterday); days without demand add zero to both but still
    count in the weights, whose sums over ``observed_days`` have closed forms. The
    variance uses reliability weights' bias correction so that a short history does not
    understate the spread.
    """
    n = max(int(observed_days), 0)
    if n == 0:
        return DemandStats(0.0, 0.0, 0)
    beta = decay() if beta is None else beta
    w1 = float(n) if beta == 1 else (1 - beta ** n) / (1 - beta)
    w2 = float(n) if beta == 1 else (1 - beta ** (2 * n)) / (1 - beta ** 2)
    mean = weighted_sum / w1
    variance = 0.0
    if n > 1:
        population = max(weighted_sum_sq / w1 - mean * mean, 0.0)
        variance = population * w1 * w1 / (w1 * w1 - w2)
    return DemandStats(mean, math.sqrt(variance), n)


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
                             minimum_order_quantity: int, case_pack: int) -> int:
    """Units to order now: enough to get back up to the reorder point plus one review period of
    demand, at least the MOQ, rounded up to whole cases; 0 while available is at or above the
    reorder point."""
    if demand <= 0 or available >= reorder_point:
        return 0
    needed = reorder_point + demand * review_period_days - available
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
            minimum_order_quantity=used.minimum_order_quantity, case_pack=used.case_pack),
        "minimum_order_quantity": used.minimum_order_quantity,
        "case_pack": used.case_pack,
        "review_period_days": used.review_period_days,
        "observed_days": forecast.observed_days if forecast is not None else 0,
        "computed_at": _ts(computed_at),
    }


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- the periodic run ---------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# Each item's demand statistics, available units and policy, in one aggregate query
# (PostgreSQL; ``_stats_rows_portable`` is the same for SQLite).
# Ages are whole UTC days before today (1 = yesterday); today is excluded because it is
# not over yet. An item's history starts at its first ledger row, so a young item's
# average is not diluted by days before it existed: one pass over the window's rows finds
# both the outflows and the oldest day seen, and an index probe on (supplier, product,
# created_at) tells whether the item has rows older than the window (full window then).
# A demand row's units are its on-hand decrease; a row imported without a delta counts by
# its quantity (the services always write both, equal).
_STATS_SQL = """
WITH daily AS (
    SELECT t.item_id, (%(today)s::date - (t.created_at AT TIME ZONE 'UTC')::date) AS age,
           SUM(CASE WHEN NOT t.type = ANY(%(types)s) THEN 0
                    WHEN t.on_hand_delta <> 0 THEN GREATEST(-t.on_hand_delta, 0)
                    ELSE ABS(t.quantity) END) AS units
    FROM {ledger} t
    WHERE t.created_at >= %(start)s AND t.created_at < %(today_start)s
      AND (%(all)s OR t.item_id = ANY(%(items)s))
    GROUP BY 1, 2
), stats AS (
    SELECT item_id, SUM(power(%(beta)s, age - 1) * units) AS s1, SUM(power(%(beta)s, age - 1) * units * units) AS s2,
           MAX(age) AS oldest
    FROM daily GROUP BY item_id
), avail AS (
    SELECT l.item_id, SUM(l.on_hand - l.reserved - l.quarantined) AS available
    FROM {lot} l JOIN {batch} b ON b.id = l.batch_id
    WHERE b.status = 'released' AND b.expiration_date > %(now)s
    GROUP BY l.item_id
)
SELECT i.id, COALESCE(s.s1, 0), COALESCE(s.s2, 0),
       CASE WHEN EXISTS (SELECT 1 FROM {ledger} o WHERE o.supplier_id = i.supplier_id
                         AND o.product_id = i.product_id AND o.created_at < %(start)s) THEN %(window)s
            ELSE COALESCE(s.oldest, 0) END,
       COALESCE(a.available, 0),
       p.lead_time_days, p.lead_time_std_dev_days, p.service_level, p.minimum_order_quantity, p.case_pack,
       p.review_period_days
FROM {item} i
LEFT JOIN stats s ON s.item_id = i.id
LEFT JOIN avail a ON a.item_id = i.id
LEFT JOIN {policy} p ON p.supplier_id = i.supplier_id AND p.product_id = i.product_id
WHERE %(all)s OR i.id = ANY(%(items)s)
"""

_UPSERT_SQL = """
INSERT INTO {forecast} (item_id, average_daily_demand, demand_std_dev, observed_days, lead_time_days,
    lead_time_std_dev_days, service_level, minimum_order_quantity, case_pack, review_period_days,
    safety_stock, reorder_point, available_quantity, computed_at)
SELECT u.*, %(now)s FROM unnest(%(item)s::bigint[], %(d)s::float8[], %(sd)s::float8[], %(n)s::int[],
    %(lt)s::float8[], %(ltsd)s::float8[], %(sl)s::float8[], %(moq)s::int[], %(case)s::int[], %(review)s::int[],
    %(ss)s::float8[], %(rop)s::float8[], %(avail)s::int[]) AS u
ON CONFLICT (item_id) DO UPDATE SET
    average_daily_demand = EXCLUDED.average_daily_demand, demand_std_dev = EXCLUDED.demand_std_dev,
    observed_days = EXCLUDED.observed_days, lead_time_days = EXCLUDED.lead_time_days,
    lead_time_std_dev_days = EXCLUDED.lead_time_std_dev_days, service_level = EXCLUDED.service_level,
    minimum_order_quantity = EXCLUDED.minimum_order_quantity, case_pack = EXCLUDED.case_pack,
    review_period_days = EXCLUDED.review_period_days, safety_stock = EXCLUDED.safety_stock,
    reorder_point = EXCLUDED.reorder_point, available_quantity = EXCLUDED.available_quantity,
    computed_at = EXCLUDED.computed_at
"""

# The alert statements below are plain SQL that PostgreSQL and SQLite (3.35+: RETURNING,
# ON CONFLICT) both run, so the alert rules have one implementation. The updates name the
# forecast through ``item_id IN (...)`` rather than ``UPDATE ... FROM`` because SQLite
# cannot qualify the RETURNING column of an aliased target.

# ON CONFLICT DO NOTHING against the partial unique constraint: an item that already has
# an open or acknowledged alert gets no second one, even if two runs overlap.
_OPEN_SQL = """
INSERT INTO {alert} (item_id, status, severity, available_quantity, reorder_point, suggested_order_quantity,
                     opened_at)
SELECT f.item_id, 'open',
       CASE WHEN f.available_quantity <= 0 THEN 'out_of_stock' ELSE 'low_stock' END,
       f.available_quantity, f.reorder_point, 0, %(now)s
FROM {forecast} f
WHERE f.available_quantity < f.reorder_point AND f.computed_at = %(now)s
ON CONFLICT DO NOTHING
RETURNING id
"""

_RESOLVE_SQL = """
UPDATE {alert} SET status = 'resolved', resolved_at = %(now)s
WHERE status IN ('open', 'acknowledged')
  AND item_id IN (SELECT f.item_id FROM {forecast} f
                  WHERE f.computed_at = %(now)s AND f.available_quantity >= f.reorder_point)
RETURNING id
"""

# An open alert whose item has since run out escalates once, so subscribers hear
# inventory.out_of_stock even when the alert opened as low stock.
_ESCALATE_SQL = """
UPDATE {alert} SET severity = 'out_of_stock'
WHERE status IN ('open', 'acknowledged') AND severity = 'low_stock'
  AND item_id IN (SELECT f.item_id FROM {forecast} f WHERE f.computed_at = %(now)s AND f.available_quantity <= 0)
RETURNING id
"""

_LOCK_KEY = 0x686F7466  # pg advisory lock id for the forecast run ("hotf")


@dataclass
class RunResult:
    items: int
    opened: list[int]
    resolved: list[int]
    escalated: list[int]
    expiring_batches: list[int]


def _sql(template: str) -> str:
    return template.format(ledger=_table(InventoryTransaction), lot=_table(StockLot), batch=_table(Batch),
                           item=_table(InventoryItem), policy=_table(ReplenishmentPolicy),
                           forecast=_table(Forecast), alert=_table(RestockAlert))


def forecasts_recompute(*, now: datetime | None = None, item_ids: list[int] | None = None) -> RunResult:
    """Recompute every item's forecast, open and resolve restock alerts, warn of expiring batches.

    One transaction, a fixed number of statements whatever the number of items, plus one
    event per alert or batch whose state changed. On PostgreSQL runs are serialised by an
    advisory lock: a periodic run that finds another in progress does nothing (the next one
    catches up); a run for a few ``item_ids`` (after a policy change) waits for it instead.
    On SQLite (the embedded default) the IMMEDIATE transaction already serialises runs, and
    the statistics and the forecast upsert go through the ORM (see ``_stats_rows_portable``).
    """
    now = (now or timezone.now()).replace(microsecond=0)
    today = now.astimezone(UTC).date()
    beta = decay()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            if item_ids is None:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return RunResult(0, [], [], [], [])
            else:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            # The per-item-and-day aggregate spills to disk at the default 4 MB (10,000 items ×
            # 90 days); this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(_sql(_STATS_SQL), {
                "today": today, "today_start": _day_start(today),
                "start": _day_start(today - timedelta(days=WINDOW_DAYS)), "types": list(DEMAND_TYPES), "beta": beta,
                "now": now, "window": WINDOW_DAYS, "all": item_ids is None, "items": list(item_ids or [])})
            rows = cursor.fetchall()
        else:
            rows = _stats_rows_portable(today=today, now=now, beta=beta, item_ids=item_ids)
        columns: dict[str, list] = {name: [] for name in _FORECAST_COLUMNS}
        default = Policy.default()
        for item_id, s1, s2, n, available, *policy_row in rows:
            policy = default if policy_row[0] is None else Policy(
                float(policy_row[0]), float(policy_row[1]), float(policy_row[2]), *policy_row[3:])
            stats = demand_stats(weighted_sum=float(s1), weighted_sum_sq=float(s2), observed_days=n, beta=beta)
            # Rounded so that float noise cannot move a stockout date or a filter boundary.
            stats = DemandStats(round(stats.mean, 6), round(stats.std_dev, 6), stats.observed_days)
            numbers = forecast_numbers(stats=stats, policy=policy)
            for key, value in (("item", item_id), ("d", stats.mean), ("sd", stats.std_dev), ("n", stats.observed_days),
                               ("lt", policy.lead_time_days), ("ltsd", policy.lead_time_std_dev_days),
                               ("sl", policy.service_level), ("moq", policy.minimum_order_quantity),
                               ("case", policy.case_pack), ("review", policy.review_period_days),
                               ("ss", numbers["safety_stock"]), ("rop", numbers["reorder_point"]),
                               ("avail", int(available))):
                columns[key].append(value)
        if postgres:
            cursor.execute(_sql(_UPSERT_SQL), {**columns, "now": now})
        else:
            _forecasts_upsert_portable(columns=columns, now=now)
        # SQLite keeps datetimes as naive UTC text: compare with the text the upsert stored.
        at = {"now": connection.ops.adapt_datetimefield_value(now)}
        cursor.execute(_sql(_RESOLVE_SQL), at)
        resolved = [row[0] for row in cursor.fetchall()]
        cursor.execute(_sql(_OPEN_SQL), at)
        opened = [row[0] for row in cursor.fetchall()]
        cursor.execute(_sql(_ESCALATE_SQL), at)
        escalated = [row[0] for row in cursor.fetchall()]
        # Batches first: claiming them locks batch rows, and every event takes the global
        # sequence lock; a recall locks its batch and then emits, so the same order here
        # (rows, then sequence) cannot deadlock with it.
        expiring = batches_expiring_notify(now=now) if item_ids is None else []
        _emit_alert_events(opened=opened, escalated=escalated, now=now)
    return RunResult(len(rows), opened, resolved, escalated, expiring)


#: Forecast columns as ``forecasts_recompute`` collects them: short key → model field.
_FORECAST_COLUMNS = {
    "item": "item_id", "d": "average_daily_demand", "sd": "demand_std_dev", "n": "observed_days",
    "lt": "lead_time_days", "ltsd": "lead_time_std_dev_days", "sl": "service_level",
    "moq": "minimum_order_quantity", "case": "case_pack", "review": "review_period_days", "ss": "safety_stock",
    "rop": "reorder_point", "avail": "available_quantity",
}


def _stats_rows_portable(*, today: date, now: datetime, beta: float, item_ids: list[int] | None) -> list[tuple]:
    """The rows of ``_STATS_SQL`` for databases without its PostgreSQL dialect (SQLite).

    The same definitions in the ORM: the window's ledger rows summed per item and UTC day
    in SQL, the decay weights applied here (a few hundred thousand day rows at most, which
    the embedded database is not meant to exceed), then one query for the items' available
    units and whether they have history older than the window, and one for their policies.
    """
    start = _day_start(today - timedelta(days=WINDOW_DAYS))
    ledger = InventoryTransaction.objects.filter(created_at__gte=start, created_at__lt=_day_start(today))
    items = InventoryItem.objects.all()
    if item_ids is not None:
        ledger = ledger.filter(item_id__in=item_ids)
        items = items.filter(pk__in=item_ids)
    units = Case(When(~Q(type__in=DEMAND_TYPES), then=Value(0)),
                 When(~Q(on_hand_delta=0), then=Greatest(-F("on_hand_delta"), Value(0))),
                 default=Abs("quantity"), output_field=IntegerField())
    stats: dict[int, list] = {}
    for item_id, day, total in (ledger.annotate(day=TruncDate("created_at", tzinfo=UTC)).order_by()
                                .values("item_id", "day").annotate(units=Sum(units))
                                .values_list("item_id", "day", "units")):
        age = (today - day).days
        weight = beta ** (age - 1)
        s1_s2_oldest = stats.setdefault(item_id, [0.0, 0.0, 0])
        s1_s2_oldest[0] += weight * total
        s1_s2_oldest[1] += weight * total * total
        s1_s2_oldest[2] = max(s1_s2_oldest[2], age)
    older = InventoryTransaction.objects.filter(supplier_id=OuterRef("supplier_id"),
                                                product_id=OuterRef("product_id"), created_at__lt=start)
    lots = (StockLot.objects.filter(item=OuterRef("pk"), batch__status=Batch.Status.RELEASED,
                                    batch__expiration_date__gt=now)
            .order_by().values("item").annotate(total=Sum(F("on_hand") - F("reserved") - F("quarantined")))
            .values("total"))
    items = items.annotate(has_older=Exists(older),
                           available=Coalesce(Subquery(lots, output_field=IntegerField()), Value(0)))
    policy_fields = ("lead_time_days", "lead_time_std_dev_days", "service_level", "minimum_order_quantity",
                     "case_pack", "review_period_days")
    policies = ReplenishmentPolicy.objects.all()
    if item_ids is not None:
        policies = policies.filter(Exists(InventoryItem.objects.filter(
            pk__in=item_ids, supplier_id=OuterRef("supplier_id"), product_id=OuterRef("product_id"))))
    by_key = {(row[0], row[1]): row[2:] for row in
              policies.values_list("supplier_id", "product_id", *policy_fields)}
    rows = []
    for item_id, supplier_id, product_id, has_older, available in items.order_by().values_list(
            "pk", "supplier_id", "product_id", "has_older", "available"):
        s1, s2, oldest = stats.get(item_id, (0.0, 0.0, 0))
        rows.append((item_id, s1, s2, WINDOW_DAYS if has_older else oldest, available,
                     *by_key.get((supplier_id, product_id), (None,) * len(policy_fields))))
    return rows


def _forecasts_upsert_portable(*, columns: dict[str, list], now: datetime) -> None:
    """``_UPSERT_SQL`` through the ORM: insert each item's forecast or overwrite the one it has."""
    fields = [field for key, field in _FORECAST_COLUMNS.items() if key != "item"]
    forecasts = [Forecast(computed_at=now, **{_FORECAST_COLUMNS[key]: columns[key][index] for key in columns})
                 for index in range(len(columns["item"]))]
    Forecast.objects.bulk_create(forecasts, update_conflicts=True, unique_fields=["item"],
                                 update_fields=[*fields, "computed_at"])


def _trading_retailers(supplier_ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {pk: [] for pk in supplier_ids}
    for supplier_id, retailer_id in TradingRelationship.objects.filter(
            supplier_id__in=supplier_ids, active=True).values_list("supplier_id", "retail_partner_id"):
        out[supplier_id].append(retailer_id)
    return out


def _emit_alert_events(*, opened: list[int], escalated: list[int], now: datetime) -> None:
    if not opened and not escalated:
        return
    alerts = list(RestockAlert.objects.filter(pk__in=[*opened, *escalated]).select_related(
        "item__supplier", "item__product", "item__forecast"))
    audience = _trading_retailers({alert.item.supplier_id for alert in alerts})
    opened_ids = set(opened)
    for alert in sorted(alerts, key=lambda a: a.pk):
        data = alert_view(alert)
        # Suggested quantity as of the run, from the forecast it was opened against.
        forecast = alert.item.forecast
        data["suggested_order_quantity"] = suggested_order_quantity(
            available=forecast.available_quantity, reorder_point=forecast.reorder_point,
            demand=forecast.average_daily_demand, review_period_days=forecast.review_period_days,
            minimum_order_quantity=forecast.minimum_order_quantity, case_pack=forecast.case_pack)
        data["average_daily_demand"] = round(forecast.average_daily_demand, 3)
        kw = {"supplier_ids": [alert.item.supplier_id], "retail_partner_ids": audience[alert.item.supplier_id]}
        stock_type = "inventory.out_of_stock" if alert.severity == RestockAlert.Severity.OUT_OF_STOCK \
            else "inventory.low_stock"
        stock_data = {"supplier_id": data["supplier_id"], "product_id": data["product_id"],
                      "available_quantity": forecast.available_quantity, "reorder_point": data["reorder_point"],
                      "alert_id": alert.pk}
        if alert.pk in opened_ids:
            RestockAlert.objects.filter(pk=alert.pk).update(
                suggested_order_quantity=data["suggested_order_quantity"])
            event_emit(type=stock_type, data=stock_data, **kw)
            event_emit(type="alert.restock", data=data, **kw)
        else:
            event_emit(type=stock_type, data=stock_data, **kw)


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
            event_emit(type="batch.expiring", data={
                "supplier_id": batch.supplier.code, "product_id": batch.product.sku,
                "batch_number": batch.batch_number, "expiration_date": _ts(batch.expiration_date),
                "days_until_expiry": max(math.floor(days_left), 0),
                "expiry_warning_days": batch.product.expiry_warning_days,
                "inventory_level": sum(lot.on_hand for lot in lots.get(batch.pk, [])),
                "lots": [{"warehouse_location": lot.warehouse.code, "inventory_level": lot.on_hand,
                          "reserved_quantity": lot.reserved} for lot in lots.get(batch.pk, [])],
            }, supplier_ids=[batch.supplier_id], retail_partner_ids=audience[batch.supplier_id])
    return ids


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


# --- sell-through and policies ------------------------------------------------------------------------


def sell_through_report(*, retail_partner: RetailPartner, day: date, lines: list[dict],
                        actor: Principal | None = None) -> list[SellThroughReport]:
    """Record a retailer's sales for one day; a product reported again for that day replaces its row.

    ``lines``: ``[{"product_id": sku, "units_sold": int, "on_hand": int}]``. Every line is
    checked before anything is written, so a bad line changes nothing.
    """
    errors = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line["product_id"] in seen:
            errors.append({"field": f"lines[{index}].productId", "message": "Product reported twice for this day."})
        seen.add(line["product_id"])
    products = {p.sku: p for p in Product.objects.filter(sku__in=seen)}
    for index, line in enumerate(lines):
        if line["product_id"] not in products:
            errors.append({"field": f"lines[{index}].productId", "message": f"No product {line['product_id']}."})
    if errors:
        raise ValidationFailed("Some sell-through lines are invalid.", errors=errors)
    rows = [SellThroughReport(retail_partner=retail_partner, product=products[line["product_id"]], date=day,
                              units_sold=line["units_sold"], on_hand=line["on_hand"],
                              reported_by=getattr(actor, "client", None))
            for line in lines]
    with transaction.atomic():
        return SellThroughReport.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["retail_partner", "product", "date"],
            update_fields=["units_sold", "on_hand", "reported_by", "updated_at"])


def replenishment_policy_set(*, supplier: Supplier, product: Product, **fields) -> ReplenishmentPolicy:
    """Create or change a (supplier, product) policy and recompute that item's forecast now.

    Alerts follow at once too: a longer lead time can put the item below its new reorder point.
    """
    policy = ReplenishmentPolicy.objects.filter(supplier=supplier, product=product).first() \
        or ReplenishmentPolicy(supplier=supplier, product=product)
    for name, value in fields.items():
        # Floats go through str so 0.99 is stored as 0.99, not 0.98999999999999999112.
        setattr(policy, name, Decimal(str(value)) if isinstance(value, float) else value)
    with transaction.atomic():
        policy.full_clean()
        policy.save()
        forecast_refresh(supplier=supplier, product=product)
    return policy


def forecast_refresh(*, supplier: Supplier, product: Product) -> None:
    """Recompute one item's forecast (e.g. after its policy changed in the admin)."""
    item_id = InventoryItem.objects.filter(supplier=supplier, product=product).values_list("pk", flat=True).first()
    if item_id is not None:
        forecasts_recompute(item_ids=[item_id])
