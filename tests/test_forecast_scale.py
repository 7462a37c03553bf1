"""The periodic run over 10,000 items with 90 days of ledger history: a fixed number of queries.

Fixture data at this size cannot go through the stock services in reasonable time, so the
items, lots and ledger rows are inserted directly (``bulk_create`` and one
``INSERT ... SELECT generate_series``). They are test fixtures, not a way of changing
stock: the run only reads them. bench/forecast_bench.py reuses the builder and prints timings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import forecasting
from inventory.models import (
    Batch,
    Forecast,
    InventoryItem,
    InventoryTransaction,
    Product,
    RestockAlert,
    StockLot,
    Warehouse,
)
from partners.models import Supplier

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def build_scale_fixture(*, suppliers: int = 100, products: int = 100, days: int = 90, every: int = 3,
                        low: int = 3, movement_type: str = "sale") -> list[int]:
    """``suppliers × products`` items, each selling 1–7 units every ``every``-th day for ``days`` days
    (a sale every third day keeps the fixture at 300,000 ledger rows; the window is still 90 days).

    The first ``low`` items hold 5 units, below any reorder point; the rest hold plenty.
    Returns the ids of the low items.
    """
    now = timezone.now()
    tag = now.strftime("%H%M%S%f")
    sups = Supplier.objects.bulk_create([Supplier(code=f"SC{tag}-{i}", name=f"Scale {i}") for i in range(suppliers)])
    prods = Product.objects.bulk_create([Product(sku=f"SP{tag}-{i}", name=f"Scale sauce {i}")
                                         for i in range(products)])
    whs = Warehouse.objects.bulk_create([Warehouse(supplier=s, code="WH", name="Scale") for s in sups])
    items = InventoryItem.objects.bulk_create([InventoryItem(supplier=s, product=p) for s in sups for p in prods])
    batches = Batch.objects.bulk_create([
        Batch(product=p, supplier=s, batch_number=f"SB{tag}-{si}", expiration_date=now + timedelta(days=400))
        for si, s in enumerate(sups) for p in prods])
    lots = StockLot.objects.bulk_create([
        StockLot(item=item, warehouse=whs[index // products], batch=batches[index], on_hand=5 if index < low else 5000)
        for index, item in enumerate(items)])
    today = now.astimezone(UTC).date()
    first_day = datetime(today.year, today.month, today.day, 12, tzinfo=UTC) - timedelta(days=days)
    table = InventoryTransaction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {table} (movement_id, item_id, lot_id, type, quantity, on_hand_delta, reserved_delta,
                quarantined_delta, on_hand_after, reserved_after, item_version, supplier_id, product_id,
                warehouse_id, batch_id, reason, reference, idempotency_key, created_at,
                supplier_code, product_sku, warehouse_code, counterpart_warehouse_code, batch_number,
                expiration_date, retail_partner_code, reservation_code, actor_label)
            SELECT gen_random_uuid(), l.item_id, l.id, %s, q.units, -q.units, 0, 0, l.on_hand, 0, 1,
                   b.supplier_id, b.product_id, l.warehouse_id, l.batch_id, '', '', '',
                   %s::timestamptz + make_interval(days => d),
                   s.code, p.sku, w.code, '', b.batch_number, b.expiration_date, '', '', ''
            FROM {StockLot._meta.db_table} l
            JOIN {Batch._meta.db_table} b ON b.id = l.batch_id
            JOIN {Supplier._meta.db_table} s ON s.id = b.supplier_id
            JOIN {Product._meta.db_table} p ON p.id = b.product_id
            JOIN {Warehouse._meta.db_table} w ON w.id = l.warehouse_id
            CROSS JOIN generate_series(0, %s - 1, %s) AS d
            CROSS JOIN LATERAL (SELECT 1 + ((l.id + d) %% 7)::int AS units) q
            WHERE l.id = ANY(%s)
        """, [movement_type, first_day, days, every, [lot.pk for lot in lots]])
    return [item.pk for item in items[:low]]


def test_the_periodic_run_is_a_fixed_number_of_queries_for_10000_items(db):
    low = build_scale_fixture()
    with CaptureQueriesContext(connection) as first:
        result = forecasting.forecasts_recompute()
    assert result.items == 10_000
    assert Forecast.objects.count() == 10_000
    assert sorted(RestockAlert.objects.values_list("item_id", flat=True)) == sorted(low)
    # Two savepoints, the advisory lock, 5 statements for forecasts and alerts, 1 for
    # expiring batches, 1 for the orders app's backorders (demand and alerts, docs/supply.md),
    # then the outbox writes of each newly opened alert (two events each) — never a query per item.
    base, per_alert = 13, 12
    assert len(first) <= base + 2 + per_alert * len(low), [q["sql"][:100] for q in first.captured_queries]

    with CaptureQueriesContext(connection) as second:
        forecasting.forecasts_recompute()
    assert len(second) <= base, [q["sql"][:100] for q in second.captured_queries]
    assert RestockAlert.objects.count() == len(low)

    # Every item sells 1–7 units every third day: about 4/3 a day.
    demands = list(Forecast.objects.values_list("average_daily_demand", flat=True))
    assert all(0.2 < d < 3 for d in demands)
    assert 1.1 < sum(demands) / len(demands) < 1.6
