"""List endpoints run a fixed number of queries whatever the page size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def _count_queries(caller, path):
    with CaptureQueriesContext(connection) as ctx:
        response = caller.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_inventory_list_query_count_does_not_grow_with_items(make_caller, django_assert_num_queries):
    sup = factories.supplier("SUPQ")
    factories.warehouse(sup, "WH1")
    factories.warehouse(sup, "WH2")
    for index in range(50):
        prod = factories.product(f"QSKU{index:03d}")
        factories.receive(sup, prod, 10, warehouse_code="WH1")
        factories.receive(sup, prod, 5, warehouse_code="WH2")
    caller = make_caller("brand")
    caller.get("/api/v1/inventory?limit=1")  # warm caches that are per-process (content types etc.)
    small, n_small = _count_queries(caller, "/api/v1/inventory?limit=5")
    large, n_large = _count_queries(caller, "/api/v1/inventory?limit=50")
    assert (n_small, n_large) == (5, 50)
    assert small == large
    with django_assert_num_queries(large):
        caller.get("/api/v1/inventory?limit=50")


def test_ledger_list_query_count_does_not_grow_with_rows(make_caller):
    sup = factories.supplier("SUPQ2")
    factories.warehouse(sup, "WH1")
    prod = factories.product("QLEDGER")
    for _ in range(60):
        factories.receive(sup, prod, 1)
    caller = make_caller("supplier", "SUPQ2")
    caller.get("/api/v1/inventory/transactions?limit=1")  # the rate-limit window now exists: same cache path
    small, _ = _count_queries(caller, "/api/v1/inventory/transactions?limit=5")
    large, n = _count_queries(caller, "/api/v1/inventory/transactions?limit=50")
    assert n == 50
    assert small == large
