"""The supply-side lists run a fixed number of queries whatever the page size (purchase orders with lines,
notices and receipts; production runs with their inputs)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.supply_support import day, key, ok, produce, purchase_lot, supply_world
from tests.test_forecast_support import app_queries

# The warm-up call below caches the caller's token (partners/tokens.py), so no token lookup is counted.
# page, lines, notices, notice lines, receipts, receipt lines (the cache's statements aside)
PURCHASE_ORDER_LIST_QUERIES = 6
# page, inputs
PRODUCTION_RUN_LIST_QUERIES = 2


def _count(caller, path: str) -> tuple[int, int, int, list[str]]:
    """(application queries, all queries, rows on the page, the application queries)."""
    with CaptureQueriesContext(connection) as ctx:
        response = caller.get(path)
    assert response.status_code == 200, response.content[:300]
    queries = app_queries(ctx)
    return len(queries), len(ctx.captured_queries), len(response.json()["results"]), queries


def _pinned(caller, list_path: str, small_limit: int, large_limit: int, expected: int,
            django_assert_num_queries) -> None:
    caller.get(f"{list_path}?limit=1")  # the rate-limit window exists: the same cache path after
    small, _, n_small, _ = _count(caller, f"{list_path}?limit={small_limit}")
    large, everything, n_large, queries = _count(caller, f"{list_path}?limit={large_limit}")
    assert (n_small, n_large) == (small_limit, large_limit)
    assert small == large == expected, queries
    with django_assert_num_queries(everything):
        caller.get(f"{list_path}?limit={large_limit}")


def test_the_purchase_order_list_does_not_grow_with_the_page(db, make_caller, django_assert_num_queries):
    world = supply_world(make_caller)
    for index in range(6):
        purchase_lot(world, product="PEPPER", lot=f"P{index}", quantity=10, received=9)
        ok(world["brand"].post("/api/v1/purchaseOrders", {"supplierId": "SUPG", "shipToSupplierId": "SUPX",
                                                          "lines": [{"productId": "BOTTLE", "quantity": 5,
                                                                     "requestedDate": day(3)}]}, key=key()), 201)
    _pinned(world["sup"], "/api/v1/purchaseOrders", 2, 12, PURCHASE_ORDER_LIST_QUERIES, django_assert_num_queries)


def test_the_production_run_list_does_not_grow_with_the_page(db, make_caller, django_assert_num_queries):
    world = supply_world(make_caller)
    purchase_lot(world, product="PEPPER", lot="PEP-1", quantity=100)
    purchase_lot(world, product="BOTTLE", lot="BTL-1", quantity=100)
    for index in range(6):
        produce(world, inputs=[("PEPPER", "PEP-1", 5), ("BOTTLE", "BTL-1", 10)], batch=f"S{index}", quantity=10,
                expires=100)
    _pinned(world["sup"], "/api/v1/productionRuns", 2, 6, PRODUCTION_RUN_LIST_QUERIES, django_assert_num_queries)
