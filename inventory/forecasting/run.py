"""The periodic forecast run: every item's demand statistics in one aggregate query, the formulas
applied in memory, all forecasts written back in one statement, alerts opened and resolved set-based.

On SQLite, the embedded default, the aggregate and the write-back go through the ORM instead of the
PostgreSQL dialect, with the same results (tests/test_forecast_sqlite.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Abs, Greatest, TruncDate
from django.utils import timezone

from inventory.forecasting import sources
from inventory.forecasting.alerts import alert_view
from inventory.forecasting.common import _day_start, _table
from inventory.forecasting.expiring import batches_expiring_notify
from inventory.forecasting.formulas import (
    DEMAND_TYPES,
    WINDOW_DAYS,
    DemandStats,
    Policy,
    baseline_demand_stats,
    decay,
    forecast_numbers,
    suggested_order_quantity,
)
from inventory.models import (
    Batch,
    Forecast,
    InventoryItem,
    InventoryTransaction,
    ReplenishmentPolicy,
    RestockAlert,
    SellThroughReport,
    StockLot,
)
from inventory.promotions.models import Promotion
from inventory.replenishment.models import DemandHistory, SellThroughSignal
from inventory.selectors import item_available_subquery, item_totals, shelf_life_cutoff
from partners.models import TradingRelationship
from webhooks.services import event_emit

# --- the periodic run ---------------------------------------------------------------------------






# Each item's demand statistics, available units and policy, in one aggregate query
# (PostgreSQL; ``_stats_rows_portable`` is the same for SQLite).
# Ages are whole UTC days before today (1 = yesterday); today is excluded because it is
# not over yet. An item's history starts at its first ledger row, so a young item's
# average is not diluted by days before it existed: one pass over the window's rows finds
# both the outflows and the oldest day seen, and an index probe on (supplier, product,
# created_at) finds the item's first ledger row (older than the window: full window then).
# A demand row's units are its on-hand decrease; a row imported without a delta counts by
# its quantity (the services always write both, equal).
# Beyond the ledger (``sources``): imported history fills the days before the first ledger
# row; a retailer whose sell-through is its demand signal counts by its reports from the
# signal's day, and its shipments from then on count zero; the orders app's backorders come
# in as three arrays (item, age, units).
# Promotion days (``promo``: a day on which a retail partner trading with the item's supplier
# ran the product on promotion) are summed apart (s1p, s2p) and listed by age, so the baseline
# leaves them out (``formulas.baseline_demand_stats``); ``_stats_rows_portable`` repeats the rule.
_STATS_SQL = """
WITH promo AS (
    SELECT DISTINCT i.id AS item_id, (%(today)s::date - d.day::date) AS age
    FROM {promotion} pr
    JOIN {relationship} tr ON tr.retail_partner_id = pr.retail_partner_id AND tr.active
    JOIN {item} i ON i.supplier_id = tr.supplier_id AND i.product_id = pr.product_id
    CROSS JOIN LATERAL generate_series(GREATEST(pr.start_date, (%(start)s AT TIME ZONE 'UTC')::date),
                                       LEAST(pr.end_date, %(today)s::date - 1), interval '1 day') AS d(day)
    WHERE pr.end_date >= (%(start)s AT TIME ZONE 'UTC')::date AND pr.start_date < %(today)s::date
      AND (%(all)s OR i.id = ANY(%(items)s))
), ledger_days AS (
    SELECT t.item_id, (%(today)s::date - (t.created_at AT TIME ZONE 'UTC')::date) AS age,
           SUM(CASE WHEN NOT t.type = ANY(%(types)s) THEN 0
                    WHEN sig.retail_partner_id IS NOT NULL THEN 0
                    WHEN t.on_hand_delta <> 0 THEN GREATEST(-t.on_hand_delta, 0)
                    ELSE ABS(t.quantity) END) AS units
    FROM {ledger} t
    LEFT JOIN {signal} sig ON sig.retail_partner_id = t.retail_partner_id AND sig.supplier_id = t.supplier_id
                          AND (t.created_at AT TIME ZONE 'UTC')::date >= sig.effective_from
    WHERE t.created_at >= %(start)s AND t.created_at < %(today_start)s
      AND (%(all)s OR t.item_id = ANY(%(items)s))
    GROUP BY 1, 2
), scope AS (
    SELECT i.id, i.supplier_id, i.product_id,
           (SELECT MIN(o.created_at) FROM {ledger} o
            WHERE o.supplier_id = i.supplier_id AND o.product_id = i.product_id) AS live_from
    FROM {item} i
    WHERE %(all)s OR i.id = ANY(%(items)s)
), history_days AS (
    SELECT s.id AS item_id, (%(today)s::date - h.date) AS age, h.quantity AS units
    FROM {history} h JOIN scope s ON s.supplier_id = h.supplier_id AND s.product_id = h.product_id
    WHERE h.date >= %(start_day)s AND h.date < %(today)s
      AND (s.live_from IS NULL OR h.date < (s.live_from AT TIME ZONE 'UTC')::date)
), sell_through_days AS (
    SELECT s.id AS item_id, (%(today)s::date - r.date) AS age, r.units_sold AS units
    FROM {sell_through} r
    JOIN {signal} sig ON sig.retail_partner_id = r.retail_partner_id AND r.date >= sig.effective_from
    JOIN scope s ON s.supplier_id = sig.supplier_id AND s.product_id = r.product_id
    WHERE r.date >= %(start_day)s AND r.date < %(today)s
), daily AS (
    SELECT item_id, age, SUM(units) AS units FROM (
        SELECT item_id, age, units FROM ledger_days
        UNION ALL SELECT item_id, age, units FROM history_days
        UNION ALL SELECT item_id, age, units FROM sell_through_days
        UNION ALL SELECT * FROM unnest(%(p_item)s::bigint[], %(p_age)s::int[], %(p_units)s::bigint[])
    ) AS u(item_id, age, units)
    GROUP BY item_id, age
), stats AS (
    SELECT d.item_id,
           SUM(CASE WHEN p.age IS NULL THEN power(%(beta)s, d.age - 1) * d.units ELSE 0 END) AS s1,
           SUM(CASE WHEN p.age IS NULL THEN power(%(beta)s, d.age - 1) * d.units * d.units ELSE 0 END) AS s2,
           SUM(CASE WHEN p.age IS NULL THEN 0 ELSE power(%(beta)s, d.age - 1) * d.units END) AS s1p,
           SUM(CASE WHEN p.age IS NULL THEN 0 ELSE power(%(beta)s, d.age - 1) * d.units * d.units END) AS s2p,
           MAX(d.age) AS oldest
    FROM daily d LEFT JOIN promo p ON p.item_id = d.item_id AND p.age = d.age
    GROUP BY d.item_id
), promo_ages AS (
    SELECT item_id, array_agg(age ORDER BY age) AS ages FROM promo GROUP BY item_id
), avail AS (
    -- "available" as inventory.selectors.available_units defines it: unreserved, not held, in
    -- lots of released batches that have not expired.
    SELECT l.item_id, SUM(l.on_hand - l.reserved - l.quarantined) AS available
    FROM {lot} l JOIN {batch} b ON b.id = l.batch_id
    WHERE b.status = 'released' AND b.expiration_date > %(now)s
    GROUP BY l.item_id
)
SELECT i.id, COALESCE(s.s1, 0), COALESCE(s.s2, 0),
       CASE WHEN i.live_from < %(start)s
              OR EXISTS (SELECT 1 FROM {history} h WHERE h.supplier_id = i.supplier_id
                         AND h.product_id = i.product_id AND h.date < %(start_day)s) THEN %(window)s
            ELSE COALESCE(s.oldest, 0) END,
       COALESCE(a.available, 0), COALESCE(s.s1p, 0), COALESCE(s.s2p, 0), COALESCE(pa.ages, '{{}}'::int[]),
       p.lead_time_days, p.lead_time_std_dev_days, p.service_level, p.minimum_order_quantity, p.case_pack,
       p.review_period_days
FROM scope i
LEFT JOIN stats s ON s.item_id = i.id
LEFT JOIN promo_ages pa ON pa.item_id = i.id
LEFT JOIN avail a ON a.item_id = i.id
LEFT JOIN {policy} p ON p.supplier_id = i.supplier_id AND p.product_id = i.product_id
"""

_UPSERT_SQL = """
INSERT INTO {forecast} (item_id, average_daily_demand, demand_std_dev, observed_days, lead_time_days,
    lead_time_std_dev_days, service_level, minimum_order_quantity, case_pack, review_period_days,
    safety_stock, reorder_point, available_quantity, backordered_quantity, computed_at)
SELECT u.*, %(now)s FROM unnest(%(item)s::bigint[], %(d)s::float8[], %(sd)s::float8[], %(n)s::int[],
    %(lt)s::float8[], %(ltsd)s::float8[], %(sl)s::float8[], %(moq)s::int[], %(case)s::int[], %(review)s::int[],
    %(ss)s::float8[], %(rop)s::float8[], %(avail)s::int[], %(back)s::int[]) AS u
ON CONFLICT (item_id) DO UPDATE SET
    average_daily_demand = EXCLUDED.average_daily_demand, demand_std_dev = EXCLUDED.demand_std_dev,
    observed_days = EXCLUDED.observed_days, lead_time_days = EXCLUDED.lead_time_days,
    lead_time_std_dev_days = EXCLUDED.lead_time_std_dev_days, service_level = EXCLUDED.service_level,
    minimum_order_quantity = EXCLUDED.minimum_order_quantity, case_pack = EXCLUDED.case_pack,
    review_period_days = EXCLUDED.review_period_days, safety_stock = EXCLUDED.safety_stock,
    reorder_point = EXCLUDED.reorder_point, available_quantity = EXCLUDED.available_quantity,
    backordered_quantity = EXCLUDED.backordered_quantity, computed_at = EXCLUDED.computed_at
"""

# The alert statements below are plain SQL that PostgreSQL and SQLite (3.35+: RETURNING,
# ON CONFLICT) both run, so the alert rules have one implementation. The updates name the
# forecast through ``item_id IN (...)`` rather than ``UPDATE ... FROM`` because SQLite
# cannot qualify the RETURNING column of an aliased target.

# An item needs stock when its available units are below its reorder point, and always
# when open orders wait for it and nothing is available (a backorder needs no history).
_NEEDS_STOCK = ("(f.available_quantity < f.reorder_point"
                " OR (f.available_quantity <= 0 AND f.backordered_quantity > 0))")

# ON CONFLICT DO NOTHING against the partial unique constraint: an item that already has
# an open or acknowledged alert gets no second one, even if two runs overlap.
_OPEN_SQL = """
INSERT INTO {alert} (item_id, status, severity, available_quantity, reorder_point, suggested_order_quantity,
                     opened_at)
SELECT f.item_id, 'open',
       CASE WHEN f.available_quantity <= 0 THEN 'out_of_stock' ELSE 'low_stock' END,
       f.available_quantity, f.reorder_point, 0, %(now)s
FROM {forecast} f
WHERE """ + _NEEDS_STOCK + """ AND f.computed_at = %(now)s
ON CONFLICT DO NOTHING
RETURNING id
"""

_RESOLVE_SQL = """
UPDATE {alert} SET status = 'resolved', resolved_at = %(now)s
WHERE status IN ('open', 'acknowledged')
  AND item_id IN (SELECT f.item_id FROM {forecast} f
                  WHERE f.computed_at = %(now)s AND NOT """ + _NEEDS_STOCK + """)
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
                           forecast=_table(Forecast), alert=_table(RestockAlert), history=_table(DemandHistory),
                           signal=_table(SellThroughSignal), sell_through=_table(SellThroughReport),
                           promotion=_table(Promotion), relationship=_table(TradingRelationship))


def _stats_params(*, today: date, now: datetime, beta: float, item_ids: list[int] | None,
                  provided: dict[int, dict[int, int]]) -> dict:
    """The parameters of ``_STATS_SQL``."""
    start_day = today - timedelta(days=WINDOW_DAYS)
    return {"today": today, "today_start": _day_start(today), "start": _day_start(start_day), "start_day": start_day,
            "types": list(DEMAND_TYPES), "beta": beta, "now": now, "window": WINDOW_DAYS, "all": item_ids is None,
            "items": list(item_ids or []), **sources.provided_arrays(provided)}


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
    provided, backordered = sources.backorders(today=today, item_ids=item_ids)
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
            cursor.execute(_sql(_STATS_SQL), _stats_params(today=today, now=now, beta=beta, item_ids=item_ids,
                                                           provided=provided))
            rows = cursor.fetchall()
        else:
            rows = _stats_rows_portable(today=today, now=now, beta=beta, item_ids=item_ids, provided=provided)
        columns: dict[str, list] = {name: [] for name in _FORECAST_COLUMNS}
        default = Policy.default()
        for item_id, s1, s2, n, available, s1p, s2p, promo_ages, *policy_row in rows:
            policy = default if policy_row[0] is None else Policy(
                float(policy_row[0]), float(policy_row[1]), float(policy_row[2]), *policy_row[3:])
            stats = baseline_demand_stats(base_sum=float(s1), base_sum_sq=float(s2), promo_sum=float(s1p),
                                          promo_sum_sq=float(s2p), observed_days=n, promo_ages=promo_ages, beta=beta)
            # Rounded so that float noise cannot move a stockout date or a filter boundary.
            stats = DemandStats(round(stats.mean, 6), round(stats.std_dev, 6), stats.observed_days)
            numbers = forecast_numbers(stats=stats, policy=policy)
            for key, value in (("item", item_id), ("d", stats.mean), ("sd", stats.std_dev), ("n", stats.observed_days),
                               ("lt", policy.lead_time_days), ("ltsd", policy.lead_time_std_dev_days),
                               ("sl", policy.service_level), ("moq", policy.minimum_order_quantity),
                               ("case", policy.case_pack), ("review", policy.review_period_days),
                               ("ss", numbers["safety_stock"]), ("rop", numbers["reorder_point"]),
                               ("avail", int(available)), ("back", backordered.get(item_id, 0))):
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
    "rop": "reorder_point", "avail": "available_quantity", "back": "backordered_quantity",
}


def _promotion_ages(*, today: date, keys: dict[tuple[int, int], int]) -> dict[int, set[int]]:
    """Item id -> ages of its promotion days in the window (the ``promo`` part of ``_STATS_SQL``).

    ``keys`` maps (supplier id, product id) to the item id.
    """
    first, last = today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1)
    ages: dict[int, set[int]] = {}
    for supplier_id, product_id, start, end in (
            Promotion.objects.filter(end_date__gte=first, start_date__lte=last,
                                     retail_partner__relationships__active=True)
            .values_list("retail_partner__relationships__supplier_id", "product_id", "start_date", "end_date")):
        item_id = keys.get((supplier_id, product_id))
        if item_id is None:
            continue
        day = max(start, first)
        while day <= min(end, last):
            ages.setdefault(item_id, set()).add((today - day).days)
            day += timedelta(days=1)
    return ages


def _stats_rows_portable(*, today: date, now: datetime, beta: float, item_ids: list[int] | None,
                         provided: dict[int, dict[int, int]] | None = None) -> list[tuple]:
    """The rows of ``_STATS_SQL`` for databases without its PostgreSQL dialect (SQLite).

    The same definitions in the ORM: one query for the items' available units, one for their
    first ledger days, the window's ledger rows summed per item, UTC day and retailer in SQL
    (``sources`` rules out retailers whose sell-through is their demand), imported history and
    chosen sell-through (``sources.portable_days``), the decay weights applied here (a few hundred
    thousand day rows at most, which the embedded database is not meant to exceed), and one query
    for the policies; promotion days (``_promotion_ages``) are summed apart as in ``_STATS_SQL``.
    """
    start_day = today - timedelta(days=WINDOW_DAYS)
    ledger = InventoryTransaction.objects.filter(created_at__gte=_day_start(start_day),
                                                 created_at__lt=_day_start(today))
    items = InventoryItem.objects.all()
    if item_ids is not None:
        ledger = ledger.filter(item_id__in=item_ids)
        items = items.filter(pk__in=item_ids)
    item_rows = list(items.annotate(available=item_available_subquery(now)).order_by().values_list(
        "pk", "supplier_id", "product_id", "available"))
    supplier_of = {row[0]: row[1] for row in item_rows}
    first_day = sources.live_from([row[0] for row in item_rows])
    signal_by_retailer = sources.signals()
    units = Case(When(~Q(type__in=DEMAND_TYPES), then=Value(0)),
                 When(~Q(on_hand_delta=0), then=Greatest(-F("on_hand_delta"), Value(0))),
                 default=Abs("quantity"), output_field=IntegerField())
    days = [(item_id, (today - day).days, 0 if sources.ledger_excluded(
                signal_by_retailer, retailer_id, supplier_of.get(item_id), day) else total)
            for item_id, day, retailer_id, total in (
                ledger.annotate(day=TruncDate("created_at", tzinfo=UTC)).order_by()
                .values("item_id", "day", "retail_partner_id").annotate(units=Sum(units))
                .values_list("item_id", "day", "retail_partner_id", "units"))]
    days += sources.portable_days(today=today, start_day=start_day, first_day=first_day,
                                  items={(row[1], row[2]): row[0] for row in item_rows},
                                  signal_by_retailer=signal_by_retailer)
    days += [(item_id, age, n) for item_id, by_age in (provided or {}).items() for age, n in by_age.items()]
    promo = _promotion_ages(today=today, keys={(row[1], row[2]): row[0] for row in item_rows})
    stats = _weighted(days, beta, promo)
    older = sources.history_older_than(start_day)
    policy_fields = ("lead_time_days", "lead_time_std_dev_days", "service_level", "minimum_order_quantity",
                     "case_pack", "review_period_days")
    policies = ReplenishmentPolicy.objects.all()
    if item_ids is not None:
        policies = policies.filter(Exists(InventoryItem.objects.filter(
            pk__in=item_ids, supplier_id=OuterRef("supplier_id"), product_id=OuterRef("product_id"))))
    by_key = {(row[0], row[1]): row[2:] for row in
              policies.values_list("supplier_id", "product_id", *policy_fields)}
    rows = []
    for item_id, supplier_id, product_id, available in item_rows:
        s1, s2, s1p, s2p, oldest = stats.get(item_id, (0.0, 0.0, 0.0, 0.0, 0))
        full = (item_id in first_day and first_day[item_id] < start_day) or (supplier_id, product_id) in older
        rows.append((item_id, s1, s2, WINDOW_DAYS if full else oldest, available, s1p, s2p,
                     sorted(promo.get(item_id, ())),
                     *by_key.get((supplier_id, product_id), (None,) * len(policy_fields))))
    return rows


def _weighted(days: list[tuple[int, int, int]], beta: float, promo: dict[int, set[int]]) -> dict[int, list]:
    """item -> [Σ w·x, Σ w·x², the same two over promotion days, oldest age] over (item, age, units)
    rows, units summed per day first."""
    per_day: dict[tuple[int, int], int] = {}
    for item_id, age, units in days:
        per_day[(item_id, age)] = per_day.get((item_id, age), 0) + units
    stats: dict[int, list] = {}
    for (item_id, age), total in per_day.items():
        weight = beta ** (age - 1)
        sums = stats.setdefault(item_id, [0.0, 0.0, 0.0, 0.0, 0])
        offset = 2 if age in promo.get(item_id, ()) else 0
        sums[offset] += weight * total
        sums[offset + 1] += weight * total * total
        sums[4] = max(sums[4], age)
    return stats


def _forecasts_upsert_portable(*, columns: dict[str, list], now: datetime) -> None:
    """``_UPSERT_SQL`` through the ORM: insert each item's forecast or overwrite the one it has."""
    fields = [field for key, field in _FORECAST_COLUMNS.items() if key != "item"]
    forecasts = [Forecast(computed_at=now, **{_FORECAST_COLUMNS[key]: columns[key][index] for key in columns})
                 for index in range(len(columns["item"]))]
    Forecast.objects.bulk_create(forecasts, update_conflicts=True, unique_fields=["item"],
                                 update_fields=[*fields, "computed_at"])




def _retailer_available(alerts: list[RestockAlert], now: datetime) -> dict[int, dict[int, int]]:
    """item id -> {retail partner id: units that retailer can be promised} for the alerts' items."""
    item_ids = {alert.item_id for alert in alerts}
    lots: dict[int, list[StockLot]] = {item_id: [] for item_id in item_ids}
    for lot in StockLot.objects.filter(item_id__in=item_ids).select_related("batch"):
        lots[lot.item_id].append(lot)
    retailers: dict[int, list] = {}
    for rel in TradingRelationship.objects.filter(
            supplier_id__in={alert.item.supplier_id for alert in alerts}, active=True).select_related("retail_partner"):
        retailers.setdefault(rel.supplier_id, []).append(rel.retail_partner)
    return {alert.item_id: {
        retailer.pk: item_totals(lots[alert.item_id], now,
                                 shelf_life_cutoff(retailer.minimum_shelf_life_days, now))["available_quantity"]
        for retailer in retailers.get(alert.item.supplier_id, [])} for alert in alerts}


def _emit_alert_events(*, opened: list[int], escalated: list[int], now: datetime) -> None:
    """inventory.low_stock / out_of_stock (and alert.restock when opened) to the supplier and its
    retailers; each retailer's copy carries what it can be promised, not the supplier's figure."""
    if not opened and not escalated:
        return
    alerts = list(RestockAlert.objects.filter(pk__in=[*opened, *escalated]).select_related(
        "item__supplier", "item__product", "item__forecast"))
    promisable = _retailer_available(alerts, now)
    opened_ids = set(opened)
    for alert in sorted(alerts, key=lambda a: a.pk):
        data = alert_view(alert)
        # Suggested quantity as of the run, from the forecast it was opened against.
        forecast = alert.item.forecast
        data["suggested_order_quantity"] = suggested_order_quantity(
            available=forecast.available_quantity, reorder_point=forecast.reorder_point,
            demand=forecast.average_daily_demand, review_period_days=forecast.review_period_days,
            minimum_order_quantity=forecast.minimum_order_quantity, case_pack=forecast.case_pack,
            backordered=forecast.backordered_quantity)
        data["average_daily_demand"] = round(forecast.average_daily_demand, 3)
        own = promisable[alert.item_id]
        stock_type = "inventory.out_of_stock" if alert.severity == RestockAlert.Severity.OUT_OF_STOCK \
            else "inventory.low_stock"
        stock_data = {"supplier_id": data["supplier_id"], "product_id": data["product_id"],
                      "available_quantity": forecast.available_quantity, "reorder_point": data["reorder_point"],
                      "alert_id": alert.pk}
        kw = {"supplier_ids": [alert.item.supplier_id], "retail_partner_ids": list(own)}
        event_emit(type=stock_type, data=stock_data, **kw, audience_data={
            retailer_id: {**stock_data, "available_quantity": units} for retailer_id, units in own.items()})
        if alert.pk in opened_ids:
            RestockAlert.objects.filter(pk=alert.pk).update(
                suggested_order_quantity=data["suggested_order_quantity"])
            event_emit(type="alert.restock", data=data, **kw, audience_data={
                retailer_id: {**data, "available_quantity": units} for retailer_id, units in own.items()})
