"""Tenancy matrix: every /api/v1/ route × every kind of caller.

Routes are discovered from the URLconf, so a new route is covered (or fails loudly) without
anyone remembering this file. What each caller should get is derived from the view's own
``required_scopes`` / ``allowed_kinds`` plus the small ``ROUTES`` table below, which says for
each route which path arguments to use (resources owned by SUP123 / RETAIL456) and which
callers may see them. Everything else is a 404 (a foreign resource is never revealed).

Lists, the changes feed and the SSE stream are also scanned: no record in them may name a
supplier or retail partner the caller has no business with.

``python manage.py shell -c "from tests.test_tenancy_matrix import print_routes; print_routes()"``
prints the routes and whether each has a table entry.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import RetailPartner, Supplier, TradingRelationship
from partners.scopes import KIND_SCOPES

OWNER = "owner_supplier"  # SUP123
OTHER_SUPPLIER = "other_supplier"  # SUP400
RETAILER = "trading_retailer"  # RETAIL456, trades with SUP123
UNRELATED = "unrelated_retailer"  # RETAIL700, trades only with SUP400
BRAND = "brand"
ANONYMOUS = "anonymous"
# Foreign callers first: a write by a caller that may make it must not change what a
# caller that may not sees (e.g. a cancelled order is still the same order to a stranger).
CALLERS = (ANONYMOUS, OTHER_SUPPLIER, UNRELATED, RETAILER, OWNER, BRAND)
KIND = {OWNER: "supplier", OTHER_SUPPLIER: "supplier", RETAILER: "retailer", UNRELATED: "retailer",
        BRAND: "brand"}
PARTNER = {OWNER: "SUP123", OTHER_SUPPLIER: "SUP400", RETAILER: "RETAIL456", UNRELATED: "RETAIL700", BRAND: None}

ALL = frozenset({OWNER, OTHER_SUPPLIER, RETAILER, UNRELATED, BRAND})
SUP123_PARTIES = frozenset({OWNER, RETAILER, BRAND})  # SUP123's own things, as its trading retailer sees them
SUP123_ONLY = frozenset({OWNER, BRAND})
WRITE_OK = "any answer but 401/403/404/5xx"  # a permitted write: 2xx, or 400/409/428 on its merits


@dataclass
class Route:
    """How to call one route and who may see what it names.

    args: path arguments (or a function of the World returning them) naming things owned by
    SUP123 / RETAIL456. visible: callers that may see those things (per method, or one set
    for all). bodies: a valid body per write method, so the tenancy check is reached rather
    than a 400. expect: exact overrides {(method, caller): {statuses}} for the few cases the
    rules above do not capture.
    """

    args: dict | Callable | None = None
    visible: frozenset | dict = ALL
    bodies: dict = field(default_factory=dict)
    expect: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    # A query string the route needs to answer at all (e.g. the FSMA sheet's lotCode).
    query: str = ""
    # Non-DRF views state their methods and scopes here.
    scopes: dict | None = None
    allowed_kinds: dict | None = None
    stream: bool = False

    def visible_for(self, method: str) -> frozenset:
        if isinstance(self.visible, dict):
            return self.visible.get(method, self.visible.get("*", ALL))
        return self.visible


def _x12_850(n: int) -> str:
    return ("ISA*00*          *00*          *ZZ*RETAIL456      *ZZ*SUP123         *260601*1200*^*00501*"
            f"{n:09d}*0*T*>~GS*PO*RETAIL456*SUP123*20260601*1200*{n}*X*005010~ST*850*0001~BEG*00*SA*PO-M{n}**20260601~"
            f"PO1*1*1*EA***VN*HOTSAUCE789~CTT*1~SE*5*0001~GE*1*{n}~IEA*1*{n:09d}~")


def _w(name):
    return lambda world: world.ids[name]


def _in_days(days: int) -> str:
    return str(date.today() + timedelta(days=days))


def _run_body(supplier: str, warehouse: str, input_sku: str, input_batch: str, output_sku: str, output_batch: str):
    return {"supplierId": supplier, "warehouseLocation": warehouse,
            "inputs": [{"productId": input_sku, "batchNumber": input_batch, "quantity": 1}],
            "output": {"productId": output_sku, "batchNumber": output_batch, "quantity": 1,
                       "expirationDate": "2030-01-01T00:00:00Z"}}


ROUTES: dict[str, Route] = {
    # --- partners ---------------------------------------------------------------------------
    "suppliers": Route(bodies={"POST": {"supplierId": "SUPNEW", "name": "New"}}),
    "suppliers/<str:supplierId>": Route(args={"supplierId": "SUP123"}, visible=SUP123_PARTIES),
    "retailPartners": Route(bodies={"POST": {"retailPartnerId": "RETAILNEW", "name": "New"}}),
    "retailPartners/<str:retailPartnerId>": Route(args={"retailPartnerId": "RETAIL456"},
                                                    visible=frozenset({OWNER, RETAILER, BRAND})),
    "tradingRelationships": Route(bodies={"POST": {"supplierId": "SUP400", "retailPartnerId": "RETAIL456"}}),
    "tradingRelationships/<int:id>": Route(
        args=lambda w: {"id": w.ids["relationship"]}, visible=SUP123_PARTIES,
        bodies={"PATCH": {"active": True}}),
    # --- catalogue and stock -------------------------------------------------------------------
    "products": Route(bodies={"POST": lambda w: {"productId": f"MATRIX{w.n()}", "name": "Matrix sauce",
                                                 "gtin": None}}),
    "products/<str:productId>": Route(args={"productId": "HOTSAUCE789"},
                                       bodies={"PUT": {"name": "Classic", "flavor": "classic"}}),
    "products/<str:productId>/batches": Route(args={"productId": "HOTSAUCE789"}),
    "products/<str:productId>/batches/<str:batchNumber>": Route(
        args={"productId": "HOTSAUCE789", "batchNumber": "BATCH202406"}, visible=SUP123_PARTIES,
        bodies={"PATCH": {"attributes": {}}}),
    "products/<str:productId>/batches/<str:batchNumber>/trace": Route(
        args={"productId": "HOTSAUCE789", "batchNumber": "BATCH202406"}, visible=SUP123_PARTIES),
    "products/<str:productId>/batches/<str:batchNumber>/recall": Route(
        args={"productId": "HOTSAUCE789", "batchNumber": "BATCH202406"}, visible=SUP123_ONLY,
        bodies={"POST": {"reason": "tenancy matrix"}}),
    "warehouses": Route(bodies={"POST": lambda w: {"warehouseLocation": f"WH_M{w.n()}", "name": "Matrix"}}),
    "inventory": Route(),
    "reservations": Route(),
    "reservations/<str:reservationId>": Route(args=lambda w: {"reservationId": w.ids["reservation"]},
                                              visible=SUP123_PARTIES),
    "inventory/transactions": Route(
        visible={"POST": SUP123_ONLY},
        bodies={"POST": {"supplierId": "SUP123", "productId": "HOTSAUCE789", "type": "reservation", "quantity": 1}}),
    "inventory/<str:supplierId>/<str:productId>": Route(
        args={"supplierId": "SUP123", "productId": "HOTSAUCE789"},
        visible={"GET": SUP123_PARTIES, "*": SUP123_ONLY},
        bodies={"POST": {"type": "reservation", "quantity": 1},
                "PATCH": {"version": 10**6, "reason": "matrix", "lots": [
                    {"warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406", "inventoryLevel": 500}]}}),
    # --- custom attributes and promotions (issue 20) -------------------------------------------
    "attributeDefinitions": Route(bodies={"POST": lambda w: {"key": f"matrix{w.n()}", "label": "Matrix",
                                                             "type": "boolean", "appliesTo": ["product"]}}),
    "attributeDefinitions/<str:key>": Route(args=lambda w: {"key": w.ids["attribute"]},
                                             bodies={"PATCH": {"label": "Matrix flag"}}),
    "promotions": Route(bodies={"POST": lambda w: {
        "retailPartnerId": "RETAIL456", "productId": "HOTSAUCE101", "startDate": str(date.today() + timedelta(days=1)),
        "endDate": str(date.today() + timedelta(days=3))}}),
    "promotions/<str:promotionId>": Route(args=lambda w: {"promotionId": w.ids["promotion"]},
                                          visible=SUP123_PARTIES, bodies={"PATCH": {"name": "matrix"}}),
    # --- demand -------------------------------------------------------------------------------
    "retailPartners/<str:retailPartnerId>/sellThrough": Route(
        args={"retailPartnerId": "RETAIL456"}, visible=frozenset({RETAILER}),
        bodies={"POST": lambda w: {"date": str(date.today() - timedelta(days=1)), "lines": [
            {"productId": "HOTSAUCE789", "unitsSold": 3, "onHand": 40}]}}),
    "forecasts": Route(),
    "forecasts/<str:supplierId>/<str:productId>": Route(
        args={"supplierId": "SUP123", "productId": "HOTSAUCE789"}, visible=SUP123_PARTIES),
    "alerts": Route(),
    "alerts/<int:alertId>/acknowledge": Route(args=lambda w: {"alertId": w.ids["alert"]}, visible=SUP123_ONLY),
    # --- orders, shipments, returns --------------------------------------------------------------
    "orders": Route(
        visible={"POST": frozenset({RETAILER, BRAND})},
        bodies={"POST": {"supplierId": "SUP123", "retailPartnerId": "RETAIL456",
                         "lines": [{"productId": "HOTSAUCE789", "quantity": 1}]}},
        # A foreign partner named in a body (not the path) is a 400 on that field, worded the
        # same whether or not it exists; a 404 would be as good.
        expect={("POST", UNRELATED): {400, 404}}),
    "orders/<str:orderId>": Route(args=lambda w: {"orderId": w.ids["order"]}, visible=SUP123_PARTIES),
    "orders/<str:orderId>/cancel": Route(args=lambda w: {"orderId": w.ids["order"]}, visible=SUP123_PARTIES,
                                          bodies={"POST": {}}),
    "shipments": Route(visible={"POST": SUP123_ONLY},
                       bodies={"POST": lambda w: {"orderId": w.ids["open_order"]}}),
    "shipments/<str:shipmentId>": Route(args=lambda w: {"shipmentId": w.ids["shipment"]}, visible=SUP123_PARTIES),
    "shipments/<str:shipmentId>/deliver": Route(args=lambda w: {"shipmentId": w.ids["shipment"]},
                                                 visible=SUP123_ONLY, bodies={"POST": {}}),
    "returns": Route(visible={"POST": frozenset({RETAILER, BRAND})},
                     bodies={"POST": lambda w: {"supplierId": "SUP123", "retailPartnerId": "RETAIL456",
                                                "orderId": w.ids["order"], "lines": [
                                                    {"productId": "HOTSAUCE789", "batchNumber": w.ids["batch"],
                                                     "quantity": 1, "reason": "damaged"}]}},
                     expect={("POST", UNRELATED): {400, 404}}),
    "returns/<str:returnId>": Route(args=lambda w: {"returnId": w.ids["return"]}, visible=SUP123_PARTIES),
    "returns/<str:returnId>/receive": Route(
        args=lambda w: {"returnId": w.ids["return"]}, visible=SUP123_ONLY,
        bodies={"POST": lambda w: {"lines": [{"lineId": w.ids["return_line"], "disposition": "writeOff"}]}}),
    # --- feedback: receipts, discrepancies, stock reports, scorecards ------------------------------
    "shipments/<str:shipmentId>/receipt": Route(
        args=lambda w: {"shipmentId": w.ids["shipment"]}, visible=SUP123_PARTIES,
        bodies={"POST": lambda w: {"lines": [{"productId": "HOTSAUCE789", "batchNumber": w.ids["batch"],
                                              "receivedQuantity": 4}]}}),
    "discrepancies": Route(bodies={"POST": lambda w: {"kind": "delay", "orderId": w.ids["order"],
                                                      "description": "matrix"}},
                           # the order the body names is SUP123's: strangers are told it does not exist
                           expect={("POST", OTHER_SUPPLIER): {404}, ("POST", UNRELATED): {404}}),
    "discrepancies/<str:discrepancyId>": Route(args=lambda w: {"discrepancyId": w.ids["discrepancy"]},
                                               visible=SUP123_PARTIES),
    "discrepancies/<str:discrepancyId>/messages": Route(
        args=lambda w: {"discrepancyId": w.ids["discrepancy"]}, visible=SUP123_PARTIES,
        bodies={"POST": {"body": "matrix"}}),
    "discrepancies/<str:discrepancyId>/acknowledge": Route(
        args=lambda w: {"discrepancyId": w.ids["discrepancy"]}, visible=SUP123_PARTIES, bodies={"POST": {}}),
    "discrepancies/<str:discrepancyId>/resolve": Route(
        args=lambda w: {"discrepancyId": w.ids["discrepancy"]}, visible=SUP123_PARTIES,
        bodies={"POST": {"resolution": "noAction", "note": "matrix"}}),
    "discrepancies/<str:discrepancyId>/reject": Route(
        args=lambda w: {"discrepancyId": w.ids["discrepancy"]}, visible=SUP123_PARTIES,
        bodies={"POST": {"note": "matrix"}}),
    "discrepancies/<str:discrepancyId>/reopen": Route(
        args=lambda w: {"discrepancyId": w.ids["discrepancy"]}, visible=SUP123_PARTIES,
        bodies={"POST": {"note": "matrix"}}),
    "retailPartners/<str:retailPartnerId>/stockReports": Route(
        args={"retailPartnerId": "RETAIL456"}, visible=frozenset({RETAILER}),
        bodies={"POST": lambda w: {"date": str(date.today()), "lines": [{"productId": "HOTSAUCE789",
                                                                          "onHand": 3}]}}),
    "analytics/scorecards": Route(),
    # --- GS1 and EDI (orders.edi, inventory.gs1) -----------------------------------------------------
    "inventory/<str:supplierId>/scan": Route(
        args={"supplierId": "SUP123"}, visible={"POST": SUP123_ONLY},
        bodies={"POST": lambda w: {"scan": f"(01){w.ids['gtin']}(10)BATCH202406(37)1", "type": "receipt",
                                   "warehouseLocation": "Warehouse_A"}}),
    "shipments/<str:shipmentId>/labels.pdf": Route(args=lambda w: {"shipmentId": w.ids["shipment"]},
                                                    visible=SUP123_PARTIES),
    "shipments/<str:shipmentId>/labels.png": Route(args=lambda w: {"shipmentId": w.ids["shipment"]},
                                                    visible=SUP123_PARTIES),
    "orders/<str:orderId>/acknowledge": Route(args=lambda w: {"orderId": w.ids["open_order"]},
                                               visible={"POST": SUP123_ONLY}, bodies={"POST": {"decision": "accept"}}),
    # Raw X12 (a str body is sent as application/edi-x12): RETAIL456's own 850 to SUP123; another
    # retailer may not send it as RETAIL456 (403, as the sender ISA06 is named in the body).
    "edi/inbound": Route(visible={"POST": frozenset({RETAILER, BRAND})},
                         bodies={"POST": lambda w: _x12_850(w.n())}, expect={("POST", UNRELATED): {403}}),
    "edi/documents": Route(
        visible={"POST": SUP123_PARTIES},
        bodies={"POST": {"transactionSet": "846", "supplierId": "SUP123", "retailPartnerId": "RETAIL456"}},
        expect={("POST", OTHER_SUPPLIER): {400, 404}, ("POST", UNRELATED): {400, 404}}),
    "edi/documents/<str:documentId>": Route(args=lambda w: {"documentId": w.ids["edi_document"]},
                                             visible=SUP123_PARTIES),
    # --- the supply side (docs/supply.md) -----------------------------------------------------------
    "purchaseOrders": Route(
        bodies={"POST": lambda w: {"supplierId": "SUP123", "lines": [
            {"productId": "HOTSAUCE789", "quantity": 24, "casePack": 12, "requestedDate": _in_days(7)}]}}),
    "purchaseOrders/<str:purchaseOrderId>": Route(args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]},
                                                  visible=SUP123_ONLY),
    "purchaseOrders/<str:purchaseOrderId>/submit": Route(
        args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]}, visible=SUP123_ONLY, bodies={"POST": {}}),
    "purchaseOrders/<str:purchaseOrderId>/acknowledge": Route(
        args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]}, visible=SUP123_ONLY,
        bodies={"POST": lambda w: {"lines": [{"productId": "HOTSAUCE789", "promisedDate": _in_days(5)}]}}),
    "purchaseOrders/<str:purchaseOrderId>/ship": Route(
        args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]}, visible=SUP123_ONLY,
        bodies={"POST": lambda w: {"lines": [{"productId": "HOTSAUCE789", "batchNumber": f"MXASN{w.n()}",
                                              "quantity": 12, "expirationDate": "2030-01-01T00:00:00Z"}]}}),
    "purchaseOrders/<str:purchaseOrderId>/receive": Route(
        args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]}, visible=SUP123_ONLY,
        bodies={"POST": lambda w: {"lines": [{"productId": "HOTSAUCE789", "batchNumber": f"MXIN{w.n()}",
                                              "receivedQuantity": 12, "expirationDate": "2030-01-01T00:00:00Z"}]}}),
    "purchaseOrders/<str:purchaseOrderId>/cancel": Route(
        args=lambda w: {"purchaseOrderId": w.ids["purchase_order"]}, visible=SUP123_ONLY, bodies={"POST": {}}),
    "productionRuns": Route(
        visible={"POST": SUP123_ONLY},
        bodies={"POST": lambda w: _run_body("SUP123", "Warehouse_A", "HOTSAUCE789", "BATCH202406", "HOTSAUCE101",
                                            f"MXRUN{w.n()}")}),
    "productionRuns/<str:productionRunId>": Route(args=lambda w: {"productionRunId": w.ids["production_run"]},
                                                  visible=SUP123_ONLY),
    # The records each firm keeps: another supplier gets an empty sheet (tests/test_supply_genealogy.py).
    "traceability/fsma204": Route(query="lotCode=BATCH202406"),
    "demandHistory": Route(visible=SUP123_ONLY, bodies={"POST": lambda w: {
        "supplierId": "SUP123", "productId": "HOTSAUCE789", "days": [{"date": _in_days(-1), "quantity": 5}]}}),
    "replenishmentPolicies/<str:supplierId>/<str:productId>": Route(
        args={"supplierId": "SUP123", "productId": "HOTSAUCE789"}, visible=SUP123_ONLY,
        bodies={"PUT": {"leadTimeDays": 7, "leadTimeStdDevDays": 1, "serviceLevel": 0.95, "minimumOrderQuantity": 1,
                        "casePack": 1, "reviewPeriodDays": 7}}),
    # --- events and webhooks (subscriptions belong to the partner that made them) ----------------
    "events": Route(),
    "events/stream": Route(scopes={"GET": "events:read"}, stream=True),
    "webhooks": Route(bodies={"POST": {"url": "http://127.0.0.1:9/matrix", "eventTypes": ["*"]}}),
    "webhooks/<str:id>": Route(args=lambda w: {"id": w.ids["webhook"]},
                                       visible=frozenset({OWNER}),
                                       bodies={"PATCH": {"description": "matrix"}}),
    "webhooks/<str:id>/rotateSecret": Route(args=lambda w: {"id": w.ids["webhook"]},
                                                    visible=frozenset({OWNER}), bodies={"POST": {}}),
    "webhooks/<str:id>/test": Route(args=lambda w: {"id": w.ids["webhook"]},
                                            visible=frozenset({OWNER}), bodies={"POST": {}}),
    "webhooks/<str:id>/recover": Route(
        args=lambda w: {"id": w.ids["webhook"]}, visible=frozenset({OWNER}),
        bodies={"POST": {"since": "2020-01-01T00:00:00Z"}}),
    "webhooks/<str:id>/deliveries": Route(args=lambda w: {"id": w.ids["webhook"]},
                                                  visible=frozenset({OWNER})),
}


# The brand owns the catalogue (API-CONTRACT.md section 7): every write under catalog:write is
# pinned here, independently of the views' own allowed_kinds, so loosening a view fails the matrix.
# Staff sign in as the brand (tests/test_catalogue_ownership.py). A supplier writes only its own
# warehouses (the warehouses body names no supplier: each creates its own).
BRAND_ONLY = frozenset({BRAND})
CATALOGUE_WRITERS: dict[tuple[str, str], frozenset] = {
    ("products", "POST"): BRAND_ONLY,
    ("products/<str:productId>", "PUT"): BRAND_ONLY,
    ("suppliers", "POST"): BRAND_ONLY,
    ("retailPartners", "POST"): BRAND_ONLY,
    ("tradingRelationships", "POST"): BRAND_ONLY,
    ("tradingRelationships/<int:id>", "PATCH"): BRAND_ONLY,
    ("attributeDefinitions", "POST"): BRAND_ONLY,
    ("attributeDefinitions/<str:key>", "PATCH"): BRAND_ONLY,
    ("promotions", "POST"): BRAND_ONLY,
    ("promotions/<str:promotionId>", "PATCH"): BRAND_ONLY,
    ("promotions/<str:promotionId>", "DELETE"): BRAND_ONLY,
    ("warehouses", "POST"): frozenset({OWNER, OTHER_SUPPLIER, BRAND}),
}


# --- route discovery -----------------------------------------------------------------------------


def api_routes() -> dict[str, object]:
    """{route under /api/v1/: view callback}, straight from the URLconf."""
    found: dict[str, object] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("api/v1/"):
                    found.setdefault(route[len("api/v1/"):], pattern.callback)

    walk(get_resolver().url_patterns, "")
    return found


def view_methods(route: str, callback) -> dict[str, str]:
    """{METHOD: required scope} for every method the view answers."""
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None:
        entry = ROUTES.get(route)
        return dict(entry.scopes or {}) if entry else {}
    declared = getattr(cls, "required_scopes", None) or {}
    return {m.upper(): declared.get(m.upper()) for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def view_allowed_kinds(route: str, callback) -> dict:
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None:
        entry = ROUTES.get(route)
        return dict(entry.allowed_kinds or {}) if entry and entry.allowed_kinds else {}
    return getattr(cls, "allowed_kinds", None) or {}


def _cases():
    try:
        routes = api_routes()
    except Exception:  # Django not configured (imported outside pytest)
        return []
    cases = []
    for route, callback in sorted(routes.items()):
        methods = view_methods(route, callback) or {"?": None}
        for method in sorted(methods):
            cases.append(pytest.param(route, method, id=f"{method} {route}"))
    return cases


CASES = _cases()


def test_every_api_route_is_in_the_tenancy_table():
    missing = sorted(set(api_routes()) - set(ROUTES))
    assert not missing, (
        "Routes with no entry in tests/test_tenancy_matrix.py ROUTES (add one: path args owned by "
        f"SUP123/RETAIL456, who may see them, a valid body per write method): {missing}")


def test_the_table_has_no_stale_entries():
    stale = sorted(set(ROUTES) - set(api_routes()))
    assert not stale, f"ROUTES entries for routes that no longer exist: {stale}"


def test_every_catalogue_write_is_pinned_to_its_writers():
    unpinned = sorted(f"{method} {route}" for route, callback in api_routes().items()
                      for method, scope in view_methods(route, callback).items()
                      if scope == "catalog:write" and (route, method) not in CATALOGUE_WRITERS)
    assert not unpinned, f"catalog:write operations missing from CATALOGUE_WRITERS: {unpinned}"
    assert all(route in api_routes() for route, _method in CATALOGUE_WRITERS)


def test_every_api_view_declares_a_scope_for_every_method_it_answers():
    undeclared = [f"{method} {route}" for route, callback in api_routes().items()
                  for method, scope in (view_methods(route, callback) or {"?": None}).items() if not scope]
    assert not undeclared, f"Views without required_scopes for: {undeclared}"
    unknown = [f"{method} {route}: {scope}" for route, callback in api_routes().items()
               for method, scope in view_methods(route, callback).items()
               if scope and scope not in KIND_SCOPES["brand"]]
    assert not unknown, f"Views requiring scopes that do not exist: {unknown}"


# --- the world: two tenants' worth of data ---------------------------------------------------------


@dataclass
class World:
    callers: dict
    ids: dict = field(default_factory=dict)
    counter: list = field(default_factory=lambda: [0])

    def n(self) -> int:
        self.counter[0] += 1
        return self.counter[0]


def _ok(response, what: str) -> dict:
    assert response.status_code in (200, 201), f"setting up {what}: {response.status_code} {response.content[:500]}"
    return response.json()


def _key() -> str:
    return uuid.uuid4().hex


def _world_attributes_and_promotions(world: World, callers: dict, routes: dict) -> None:
    if "attributeDefinitions" in routes:
        world.ids["attribute"] = _ok(callers[BRAND].post("/api/v1/attributeDefinitions", {
            "key": "matrixFlag", "label": "Matrix flag", "type": "boolean", "partnerReadable": True,
            "appliesTo": ["product", "batch", "order", "retailPartner"]}, key=_key()), "a definition")["key"]
    if "promotions" in routes:
        # RETAIL456's promotion is SUP123's business too (they trade); RETAIL700's is foreign to both.
        for code, sku, name in (("RETAIL456", "HOTSAUCE789", "promotion"), ("RETAIL700", "HOTSAUCE106",
                                                                            "promotion_foreign")):
            world.ids[name] = _ok(callers[BRAND].post("/api/v1/promotions", {
                "retailPartnerId": code, "productId": sku, "startDate": str(date.today() - timedelta(days=3)),
                "endDate": str(date.today() + timedelta(days=3))}, key=_key()), "a promotion")["promotionId"]


def _supply_side(world: World, routes: dict) -> None:
    """One acknowledged purchase order and one production run per supplier (docs/supply.md)."""
    callers = world.callers
    owner, other = callers[OWNER], callers[OTHER_SUPPLIER]
    if "purchaseOrders" in routes:
        # One acknowledged purchase order per supplier, each its own vendor and receiver.
        for who, supplier, sku, name in ((owner, "SUP123", "HOTSAUCE789", "purchase_order"),
                                         (other, "SUP400", "HOTSAUCE106", "purchase_order_foreign")):
            po = _ok(callers[BRAND].post("/api/v1/purchaseOrders", {"supplierId": supplier, "lines": [
                {"productId": sku, "quantity": 24, "casePack": 12, "requestedDate": _in_days(7)}]}, key=_key()),
                "a purchase order")
            world.ids[name] = po["purchaseOrderId"]
            _ok(who.post(f"/api/v1/purchaseOrders/{po['purchaseOrderId']}/acknowledge", {"lines": [
                {"productId": sku, "promisedDate": _in_days(5)}]}, key=_key()), "an acknowledgement")
    if "productionRuns" in routes:
        for who, args, name in ((owner, ("SUP123", "Warehouse_A", "HOTSAUCE789", "BATCH202406", "HOTSAUCE101",
                                         "MXRUN0"), "production_run"),
                                (other, ("SUP400", "WH_BAYOU", "HOTSAUCE106", "BY106-01", "HOTSAUCE107", "MXRUNF"),
                                 "production_run_foreign")):
            world.ids[name] = _ok(who.post("/api/v1/productionRuns", _run_body(*args), key=_key()),
                                  "a production run")["productionRunId"]


@pytest.fixture
def world(sandbox, make_caller, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.CELERY_TASK_ALWAYS_EAGER = False
    callers = {name: make_caller(KIND[name], PARTNER[name]) for name in KIND}
    world = World(callers=callers)
    owner, retailer, other, unrelated = callers[OWNER], callers[RETAILER], callers[OTHER_SUPPLIER], callers[UNRELATED]
    world.ids["relationship"] = TradingRelationship.objects.get(supplier__code="SUP123",
                                                                retail_partner__code="RETAIL456").pk
    routes = api_routes()
    if "orders" in routes:
        # RETAIL500 also buys SUP123's batch: what it does is foreign to RETAIL456 although both
        # trade with the same supplier (retailers must not see each other).
        rival = make_caller("retailer", "RETAIL500")
        rival_order = _ok(rival.post("/api/v1/orders", {"supplierId": "SUP123", "lines": [
            {"productId": "HOTSAUCE789", "quantity": 3}]}, key=_key()), "a rival's order")
        rival_shipment = _ok(owner.post("/api/v1/shipments", {"orderId": rival_order["orderId"]}, key=_key()),
                             "a rival's shipment")
        _ok(owner.post(f"/api/v1/shipments/{rival_shipment['shipmentId']}/deliver", {}, key=_key()), "delivery")
        _ok(rival.post("/api/v1/returns", {"supplierId": "SUP123", "orderId": rival_order["orderId"], "lines": [
            {"productId": "HOTSAUCE789", "batchNumber": rival_order["lines"][0]["allocations"][0]["batchNumber"],
             "quantity": 1, "reason": "damaged"}]}, key=_key()), "a rival's return")
        _ok(rival.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/rival", "eventTypes": ["*"]}, key=_key())
            if "webhooks" in routes else rival.get("/api/v1/suppliers"), "a rival's webhook")
        # One order of each tenant pair gets shipped, delivered and partly returned; one stays open.
        for who, supplier, sku, suffix in ((retailer, "SUP123", "HOTSAUCE789", ""),
                                           (unrelated, "SUP400", "HOTSAUCE106", "_foreign")):
            order = _ok(who.post("/api/v1/orders", {"supplierId": supplier, "lines": [
                {"productId": sku, "quantity": 4}]}, key=_key()), "an order")
            world.ids["order" + suffix] = order["orderId"]
            world.ids["batch" + suffix] = order["lines"][0]["allocations"][0]["batchNumber"]
            open_order = _ok(who.post("/api/v1/orders", {"supplierId": supplier, "lines": [
                {"productId": sku, "quantity": 2}]}, key=_key()), "an open order")
            world.ids["open_order" + suffix] = open_order["orderId"]
            world.ids["reservation" + suffix] = open_order["lines"][0]["reservationId"]
            shipper = owner if supplier == "SUP123" else other
            shipment = _ok(shipper.post("/api/v1/shipments", {"orderId": order["orderId"], "carrier": "UPS",
                                                              "trackingNumber": "1Z"}, key=_key()), "a shipment")
            world.ids["shipment" + suffix] = shipment["shipmentId"]
            _ok(shipper.post(f"/api/v1/shipments/{shipment['shipmentId']}/deliver", {}, key=_key()), "delivery")
            ret = _ok(who.post("/api/v1/returns", {"supplierId": supplier, "orderId": order["orderId"], "lines": [
                {"productId": sku, "batchNumber": world.ids["batch" + suffix], "quantity": 1,
                 "reason": "damaged"}]}, key=_key()), "a return")
            world.ids["return" + suffix] = ret["returnId"]
            world.ids["return_line" + suffix] = ret["lines"][0]["lineId"]
            if "discrepancies" in routes:
                # Counted after the carrier's delivery (3 of 4: a shortage), and a delay reported.
                _ok(who.post(f"/api/v1/shipments/{shipment['shipmentId']}/receipt", {"lines": [
                    {"productId": sku, "batchNumber": world.ids["batch" + suffix], "receivedQuantity": 3}]},
                    key=_key()), "a receipt")
                world.ids["discrepancy" + suffix] = _ok(who.post("/api/v1/discrepancies", {
                    "kind": "delay", "orderId": order["orderId"], "description": "matrix"}, key=_key()),
                    "a discrepancy")["discrepancyId"]
    if "edi/documents/<str:documentId>" in routes:
        from inventory.models import Product
        from orders.edi.models import EdiDocument

        world.ids["gtin"] = Product.objects.get(sku="HOTSAUCE789").gtin.zfill(14)
        # Every shipment above sent its 856: RETAIL456's is the one named in the path.
        world.ids["edi_document"] = EdiDocument.objects.get(shipment__code=world.ids["shipment"]).code
    if "webhooks" in routes:
        for name, caller in callers.items():
            hook = _ok(caller.post("/api/v1/webhooks", {"url": f"http://127.0.0.1:9/{name}", "eventTypes": ["*"]},
                                   key=_key()), "a webhook")
            world.ids["webhook" if name == OWNER else f"webhook_{name}"] = hook["id"]
            world.ids.setdefault("secrets", []).append(hook["secret"])
    _world_attributes_and_promotions(world, callers, routes)
    if "retailPartners/<str:retailPartnerId>/sellThrough" in routes:
        for who, code, sku in ((retailer, "RETAIL456", "HOTSAUCE789"), (unrelated, "RETAIL700", "HOTSAUCE106")):
            _ok(who.post(f"/api/v1/retailPartners/{code}/sellThrough", {
                "date": str(date.today() - timedelta(days=2)),
                "lines": [{"productId": sku, "unitsSold": 5, "onHand": 20}]}, key=_key()), "a sell-through report")
    _supply_side(world, routes)
    if "alerts" in routes:
        from inventory.models import InventoryItem, RestockAlert

        for supplier, sku, name in (("SUP123", "HOTSAUCE789", "alert"), ("SUP400", "HOTSAUCE106", "alert_foreign")):
            item = InventoryItem.objects.get(supplier__code=supplier, product__sku=sku)
            world.ids[name] = RestockAlert.objects.create(item=item, available_quantity=1, reorder_point=10,
                                                          opened_at=timezone.now()).pk
    return world


# --- expectations --------------------------------------------------------------------------------


def expected(route: str, method: str, caller: str, scope: str | None, kinds: dict) -> set[int] | str:
    entry = ROUTES[route]
    if caller == ANONYMOUS:
        return {401}
    override = entry.expect.get((method, caller))
    if override is not None:
        return set(override)
    if scope is None or scope not in KIND_SCOPES[KIND[caller]]:
        return {403}
    if kinds.get(method) is not None and KIND[caller] not in kinds[method]:
        return {403}
    writers = CATALOGUE_WRITERS.get((route, method))
    if writers is not None and caller not in writers:
        return {403}
    if caller not in entry.visible_for(method):
        return {404}
    if method == "GET":
        return {200}
    return WRITE_OK


def visible_codes(caller: str) -> tuple[set[str] | None, set[str] | None]:
    """(supplier codes, retail partner codes) the caller may ever see named; None = all."""
    kind, code = KIND[caller], PARTNER[caller]
    if kind == "brand":
        return None, None
    rels = TradingRelationship.objects.select_related("supplier", "retail_partner")
    if kind == "supplier":
        return {code}, {r.retail_partner.code for r in rels.filter(supplier__code=code)}
    return {r.supplier.code for r in rels.filter(retail_partner__code=code)}, {code}


def foreign_records(payload, caller: str) -> list[str]:
    suppliers, retailers = visible_codes(caller)
    all_suppliers = set(Supplier.objects.values_list("code", flat=True))
    all_retailers = set(RetailPartner.objects.values_list("code", flat=True))
    found: list[str] = []

    def scan(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "supplierId" and isinstance(value, str) and suppliers is not None \
                        and value in all_suppliers and value not in suppliers:
                    found.append(f"{path}.supplierId={value}")
                if key == "retailPartnerId" and isinstance(value, str) and retailers is not None \
                        and value in all_retailers and value not in retailers:
                    found.append(f"{path}.retailPartnerId={value}")
                scan(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                scan(item, f"{path}[{index}]")

    scan(payload, "$")
    return found


def read_stream(caller, path: str) -> tuple[int, list[dict]]:
    """Open the SSE stream, read what is there now, close it; (status, envelopes)."""
    from django.test import AsyncClient

    async def run():
        headers = {"Authorization": f"Bearer {caller.token}"} if caller else {}
        response = await AsyncClient().get(path, headers=headers)
        if not getattr(response, "streaming", False):
            return response.status_code, []
        chunks, iterator = [], response.streaming_content.__aiter__()
        try:
            while len(chunks) < 50:
                chunks.append(await asyncio.wait_for(iterator.__anext__(), timeout=1.5))
        except (TimeoutError, StopAsyncIteration):
            pass
        finally:
            await iterator.aclose()
        text = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks).decode()
        envelopes = [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: ")]
        return response.status_code, envelopes

    from asgiref.sync import async_to_sync

    return async_to_sync(run)()


def call(world: World, caller_name: str, method: str, url: str, body):
    caller = world.callers.get(caller_name)
    http = caller.http if caller else APIClient()
    headers = {}
    if method in ("POST", "PATCH", "PUT"):
        headers["Idempotency-Key"] = _key()
    kwargs = {"format": "json"} if method in ("POST", "PATCH", "PUT") else {}
    if isinstance(body, str):  # a raw document (X12), not JSON
        kwargs = {"content_type": "application/edi-x12"}
        body = body.encode()
    return getattr(http, method.lower())(url, body, headers=headers, **kwargs) if method != "GET" else \
        http.get(url, headers=headers)


@pytest.mark.parametrize("route,method", CASES)
def test_tenancy_matrix(route, method, world):
    assert route in ROUTES, (
        f"/api/v1/{route} has no entry in tests/test_tenancy_matrix.py ROUTES: add "
        f"'{route}': Route(args=..., visible=..., bodies=...) naming SUP123/RETAIL456-owned path arguments.")
    callback = api_routes()[route]
    scope = view_methods(route, callback).get(method)
    kinds = view_allowed_kinds(route, callback)
    entry = ROUTES[route]
    args = entry.args(world) if callable(entry.args) else (entry.args or {})
    url = "/api/v1/" + route
    for name, value in args.items():
        url = url.replace(f"<{[p for p in route.split('/') if p.endswith(f':{name}>')][0].strip('<>')}>", str(value))
    assert "<" not in url, f"unfilled path argument in {url}: fix ROUTES[{route!r}].args"
    if entry.query:
        url += "?" + entry.query
    body = entry.bodies.get(method)
    secrets = world.ids.get("secrets", []) + [c.creds["clientSecret"] for c in world.callers.values()]
    failures = []
    for caller_name in CALLERS:
        want = expected(route, method, caller_name, scope, kinds)
        payload = body(world) if callable(body) else body
        if entry.stream:
            status, envelopes = read_stream(world.callers.get(caller_name), url + "?after=0")
            content = json.dumps(envelopes).encode()
            data = envelopes
        else:
            response = call(world, caller_name, method, url, payload)
            status, content = response.status_code, response.content
            data = response.json() if content and "json" in response["Content-Type"] else None
        if want == WRITE_OK:
            ok = status < 500 and status not in (401, 403, 404)
        else:
            ok = status in want
        if not ok:
            failures.append(f"{caller_name}: got {status}, expected {want}: {content[:300]!r}")
            continue
        if status == 403 and (route, method) in CATALOGUE_WRITERS and (data or {}).get("code") not in (
                "insufficient_scope", "permission_denied"):
            failures.append(f"{caller_name}: a catalogue refusal is not a scope/permission problem: {content[:200]!r}")
        if status == 200 and method == "GET" and data is not None:
            foreign = foreign_records(data, caller_name)
            if foreign:
                failures.append(f"{caller_name}: foreign records in the answer: {foreign[:5]}")
        leaked = [s[:8] + "…" for s in secrets if s.encode() in content and not (
            method in ("POST",) and route.startswith("webhooks") and status == 201)]
        if leaked and not route.endswith("rotateSecret"):
            failures.append(f"{caller_name}: a secret appears in the answer: {leaked}")
    assert not failures, f"{method} {url}:\n  " + "\n  ".join(failures)


def test_lists_hold_the_other_tenants_records_for_the_brand(world):
    """The foreign-record scan is only meaningful if foreign records exist: the brand sees both."""
    brand = world.callers[BRAND]
    seen = set()
    for path in ("/api/v1/inventory", "/api/v1/inventory/transactions", "/api/v1/orders", "/api/v1/shipments",
                 "/api/v1/returns", "/api/v1/events?after=0&limit=500"):
        if path.split("?")[0][len("/api/v1/"):] not in api_routes():
            continue
        response = brand.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        seen |= {v for v in json.dumps(response.json()).split('"') if v in ("SUP123", "SUP400")}
    assert seen == {"SUP123", "SUP400"}
    # ... and the scan does notice them when the caller may not see them.
    everything = brand.get("/api/v1/inventory?limit=500").json()
    assert foreign_records(everything, OWNER) and foreign_records(everything, UNRELATED)
    assert not foreign_records(everything, BRAND)


def test_the_stream_check_reads_real_events(world):
    if "events/stream" not in api_routes():
        pytest.skip("no stream route")
    status, envelopes = read_stream(world.callers[OWNER], "/api/v1/events/stream?after=0")
    assert status == 200
    assert envelopes and all(e.get("sequence") for e in envelopes)
    assert not foreign_records(envelopes, OWNER)


def print_routes() -> None:
    """`python manage.py shell -c "from tests.test_tenancy_matrix import print_routes; print_routes()"`"""
    for route, callback in sorted(api_routes().items()):
        print(f"{'ok     ' if route in ROUTES else 'MISSING'} {route:60} {view_methods(route, callback)}")


def test_events_after_recall_receipt_and_cancel_hold_no_foreign_records(world):
    """The writes the world does not make up front (they change everything after them) emit events too."""
    routes = api_routes()
    owner, retailer = world.callers[OWNER], world.callers[RETAILER]
    if "orders" in routes:
        assert owner.post(f"/api/v1/returns/{world.ids['return']}/receive", {"lines": [
            {"lineId": world.ids["return_line"], "disposition": "quarantine"}]}, key=_key()).status_code < 300
        assert retailer.post(f"/api/v1/orders/{world.ids['open_order']}/cancel", {}, key=_key()).status_code < 300
    if "products/<str:productId>/batches/<str:batchNumber>/recall" in routes:
        recalled = owner.post("/api/v1/products/HOTSAUCE789/batches/BATCH202406/recall", {"reason": "matrix"},
                              key=_key())
        assert recalled.status_code < 300, recalled.content
    failures = []
    for name in (OWNER, OTHER_SUPPLIER, RETAILER, UNRELATED):
        response = world.callers[name].get("/api/v1/events?after=0&limit=500")
        assert response.status_code == 200
        foreign = foreign_records(response.json(), name)
        if foreign:
            failures.append(f"{name}: {foreign[:5]}")
    assert not failures, "events name partners the caller has no business with:\n  " + "\n  ".join(failures)
