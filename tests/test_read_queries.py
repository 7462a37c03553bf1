"""Cheap reads (issue 19): the item GET in two queries of its own, every list constant in its page size,
an order POST of 1 and of 10 lines within a fixed number of queries plus at most one per line."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.promotions.services import promotion_create
from orders import services as order_services
from partners.attributes.services import definition_create
from partners.models import TradingRelationship
from tests import factories
from tests.test_forecast_support import app_queries
from webhooks.models import Endpoint

# What authenticating a bearer token costs today, seen by the test client (the token row with its
# client; a token cache, where present, takes it away): counted apart from the view's own queries.
AUTH_TABLES = ("oauth2_provider_accesstoken", "partners_apiclient")


def _queries(caller, path: str) -> tuple[list[str], dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = caller.get(path)
    assert response.status_code == 200, response.content[:300]
    return app_queries(ctx), response.json()


def _split(queries: list[str]) -> tuple[list[str], list[str]]:
    auth = [q for q in queries if any(table in q for table in AUTH_TABLES)]
    return auth, [q for q in queries if q not in auth]


# --- the item GET ---------------------------------------------------------------------------


@pytest.fixture
def stocked(db):
    sup = factories.supplier("SUPI")
    factories.warehouse(sup, "WH1")
    factories.warehouse(sup, "WH2")
    ret = factories.retailer("RETI", shelf_days=30)
    factories.trade(sup, ret)
    prod = factories.product("SAUCEI")
    for index in range(4):
        factories.receive(sup, prod, 10 + index, warehouse_code=f"WH{index % 2 + 1}", days=20 + 30 * index)
    return sup, ret, prod


@pytest.mark.parametrize("kind,partner", [("supplier", "SUPI"), ("retailer", "RETI"), ("brand", None)])
def test_the_item_get_runs_two_queries_of_its_own(stocked, make_caller, kind, partner):
    caller = make_caller(kind, partner)
    caller.get("/api/v1/inventory/SUPI/SAUCEI")  # the rate-limit window exists: the same cache path after
    queries, body = _queries(caller, "/api/v1/inventory/SUPI/SAUCEI")
    auth, own = _split(queries)
    assert len(own) == 2, own
    assert len(auth) <= 1, auth  # the access token joined to its client; 0 once tokens are cached
    assert body["inventoryLevel"] == 10 + 11 + 12 + 13 and len(body["lots"]) == 4
    if kind == "retailer":
        # The retailer's shelf-life rule still applies: the lot expiring in 20 days is not available to it.
        assert body["retailPartnerId"] == "RETI"
        assert body["availableQuantity"] == 11 + 12 + 13
    else:
        assert body["retailPartnerId"] is None and body["availableQuantity"] == 46


def test_the_item_get_still_names_what_is_missing(stocked, make_caller):
    other = factories.supplier("SUPJ")
    factories.product("NOSTOCK")
    retailer = make_caller("retailer", "RETI")
    assert retailer.get(f"/api/v1/inventory/{other.code}/SAUCEI").json()["detail"] == "No supplier SUPJ."
    supplier = make_caller("supplier", "SUPI")
    assert supplier.get("/api/v1/inventory/SUPI/NOPE").json()["detail"] == "No product NOPE."
    response = supplier.get("/api/v1/inventory/SUPI/NOSTOCK")
    assert response.status_code == 404 and response.json()["detail"] == "SUPI holds no stock of NOSTOCK."
    assert make_caller("supplier", "SUPJ").get("/api/v1/inventory/SUPI/SAUCEI").status_code == 404


def test_a_retailer_that_stopped_trading_no_longer_reads_the_item(stocked, make_caller):
    sup, ret, _ = stocked
    caller = make_caller("retailer", "RETI")
    assert caller.get("/api/v1/inventory/SUPI/SAUCEI").status_code == 200
    TradingRelationship.objects.filter(supplier=sup, retail_partner=ret).update(active=False)
    assert make_caller("retailer", "RETI").get("/api/v1/inventory/SUPI/SAUCEI").status_code == 404


# --- lists, at 1 and at 50 rows ----------------------------------------------------------------


@pytest.fixture
def world(db, make_caller):
    """50 of everything the lists below show, made through the services where stock is involved."""
    sup = factories.supplier("SUPL")
    ret = factories.retailer("RETL")
    factories.trade(sup, ret)
    today = timezone.now().date()
    products = [factories.product(f"L{index:03d}") for index in range(50)]
    for index, prod in enumerate(products):
        factories.warehouse(sup, f"W{index:02d}")
        factories.receive(sup, prod, 20, warehouse_code=f"W{index:02d}")
        promotion_create(retail_partner=ret, product=prod, start_date=today + timedelta(days=index),
                         end_date=today + timedelta(days=index))
    for index in range(49):
        factories.receive(sup, products[0], 1, warehouse_code="W00")  # 50 batches of L000
        other = factories.retailer(f"RETX{index:02d}")
        factories.trade(factories.supplier(f"SUPX{index:02d}"), other)
    for index in range(50):
        definition_create(key=f"attr{index:02d}", label=f"Attribute {index}", type="string",
                          applies_to=["product"])
    for index in range(50):
        Endpoint.objects.create(public_id=f"wh_{index:03d}", owner_kind="supplier", owner_id=sup.pk,
                                url=f"https://hooks.example/{index}", event_types=["order.created"], secret="s")
        order = order_services.order_create(
            supplier=sup, retail_partner=ret, actor=None,
            lines=[order_services.LineRequest(product=products[index], quantity=2 + index % 3)])
        order_services.shipment_create(order=order, carrier="UPS", tracking_number=f"1Z{index:04d}")
    return {"brand": make_caller("brand"), "supplier": make_caller("supplier", "SUPL"),
            "retailer": make_caller("retailer", "RETL")}


LISTS = [
    ("brand", "/api/v1/suppliers"),
    ("brand", "/api/v1/retailPartners"),
    ("brand", "/api/v1/tradingRelationships"),
    ("brand", "/api/v1/attributeDefinitions"),
    ("brand", "/api/v1/products"),
    ("supplier", "/api/v1/products/L000/batches"),
    ("supplier", "/api/v1/warehouses"),
    ("retailer", "/api/v1/inventory"),
    ("supplier", "/api/v1/inventory/transactions"),
    ("retailer", "/api/v1/inventory/transactions"),
    ("supplier", "/api/v1/reservations"),
    ("retailer", "/api/v1/orders"),
    ("supplier", "/api/v1/shipments"),
    ("brand", "/api/v1/promotions"),
    ("supplier", "/api/v1/webhooks"),
    ("supplier", "/api/v1/events"),
    ("brand", "/api/v1/events"),
]


def test_every_list_runs_the_same_queries_for_1_and_for_50_rows(world):
    grown = {}
    for who, path in LISTS:
        caller = world[who]
        caller.get(f"{path}?limit=1")  # per-process caches (content types, definitions) and the rate-limit key
        one, body_one = _queries(caller, f"{path}?limit=1")
        fifty, body_fifty = _queries(caller, f"{path}?limit=50")
        assert (len(body_one["results"]), len(body_fifty["results"])) == (1, 50), path
        if len(one) != len(fifty):
            grown[f"{who} {path}"] = (len(one), len(fifty), fifty)
    assert not grown, grown


# --- orders: a fixed number of queries plus at most one per line ----------------------------------------

#: Queries of ``POST orders`` whatever its size (authentication, idempotency, the order, its event...);
#: a 1-line order measured 36 on PostgreSQL, 34 on SQLite (39 on SQLite before the lines were written in bulk).
ORDER_POST_FIXED = 36
#: Per line, measured: 0 on PostgreSQL and SQLite (the lines' reservations, holds, lots, ledger rows, order
#: lines and ``inventory.updated`` events are each written in one statement); was 16 on PostgreSQL, 15 on
#: SQLite. The issue allows one; pinned at what is reached so it does not creep back.
ORDER_POST_PER_LINE = 0


def test_an_order_post_grows_by_at_most_one_query_per_line(db, make_caller):
    sup = factories.supplier("SUPO")
    factories.warehouse(sup, "WH1")
    ret = factories.retailer("RETO")
    factories.trade(sup, ret)
    for index in range(10):
        factories.receive(sup, factories.product(f"O{index:02d}"), 50)
    caller = make_caller("retailer", "RETO")

    def post(lines: int) -> int:
        body = {"supplierId": "SUPO", "lines": [{"productId": f"O{i:02d}", "quantity": 2} for i in range(lines)]}
        with CaptureQueriesContext(connection) as ctx:
            response = caller.post("/api/v1/orders", body, key=str(uuid.uuid4()))
        assert response.status_code == 201, response.content[:300]
        assert len(response.json()["lines"]) == lines
        return len(app_queries(ctx))

    post(1)  # warm per-process caches
    one, ten = post(1), post(10)
    assert one <= ORDER_POST_FIXED + ORDER_POST_PER_LINE, one
    assert ten - one <= 9 * ORDER_POST_PER_LINE, (one, ten)
