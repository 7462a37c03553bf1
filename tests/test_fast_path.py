"""The reservation fast path (issue 19) against the Python path it stands in for.

The same sequence of requests runs twice on identical fixtures — once with the fast path
(``inventory.services.fast``, two SQL functions), once with it switched off
(``INVENTORY_FAST_PATH = False``: the Python path of ``stock_reserve``) — and everything both
leave behind is compared: each response (status, body, headers, replays), the ledger, lots,
items, reservations and their holds, events with their audience rows, webhook deliveries and
idempotency records. The database is flushed with its sequences reset between the runs, so ids
and reservation codes must match too; only timestamps, movement ids, event ids and request ids
(which necessarily differ) are left out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotsauce.api.models import IdempotencyRecord
from inventory import services
from inventory.models import Batch, InventoryItem, InventoryTransaction, Reservation, ReservationLot, StockLot
from inventory.traceability.models import CriticalTrackingEvent
from partners.models import RetailPartner, Supplier
from partners.services import api_client_create
from tests import factories as f
from tests.conftest import Caller
from webhooks.models import Delivery, Endpoint, Event, EventAudience
from webhooks.sequencing import _HORIZON

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEM = "/api/v1/inventory/SUPF/SAUCEF"
# Timestamps, and the ids drawn at random or from the clock: all that may differ between the paths.
VOLATILE = {"created_at", "createdAt", "last_updated", "lastUpdated", "timestamp", "updated_at", "updatedAt",
            "completed_at", "locked_until", "closed_at", "next_attempt_at", "enqueued_at", "openedAt", "resolvedAt",
            "movement_id", "movementId", "event_id", "requestId"}


def when(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def days_until(moment: datetime) -> int:
    return (moment - timezone.now()).days


def world():
    """Suppliers, retailers (one too strict for the first batches), lots (one batch on hold), endpoints."""
    sup, other = f.supplier("SUPF"), f.supplier("SUPG")
    strict, easy = f.retailer("RETS", shelf_days=days_until(when(2031, 4))), f.retailer("RETE", shelf_days=0)
    f.trade(sup, strict)
    f.trade(sup, easy)
    f.trade(other, easy)
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    product = f.product("SAUCEF")
    f.product("SAUCEX")
    for number, expiry, quantity, warehouse in (("B1", when(2031, 1), 3, "WH1"), ("B2", when(2031, 2), 10, "WH1"),
                                                ("B3", when(2032, 6), 60, "WH2")):
        services.stock_receive(supplier=sup, product=product, quantity=quantity, actor=None, batch_number=number,
                               warehouse_code=warehouse, expiration_date=expiry)
    services.batch_set_status(batch=Batch.objects.get(batch_number="B2"), status=Batch.Status.QUARANTINED,
                              reason="lab check")
    for kind, owner, types in (("supplier", sup.pk, ["inventory.updated"]), ("brand", None, ["*"]),
                               ("retailer", easy.pk, ["order.created"]), ("retailer", strict.pk, ["*"])):
        Endpoint.objects.create(public_id=f"wh_{kind}_{owner}", owner_kind=kind, owner_id=owner,
                                url="https://hooks.example.com/in", event_types=types, secret="whsec_test")
    callers = {}
    for name, kind, partner in (("supplier", "supplier", "SUPF"), ("other", "supplier", "SUPG"),
                                ("brand", "brand", None), ("retailer", "retailer", "RETE")):
        client, creds = api_client_create(kind=kind, partner_code=partner)
        callers[name] = Caller(creds, client)
    return callers


# (caller, body, idempotency key): success, replays, a reused key, not enough units, owned
# reservations released and sold by the Python path, callers and bodies the fast path leaves alone.
SCRIPT = [
    ("supplier", {"type": "reservation", "quantity": 5}, "k1"),  # 3 of B1, 2 of B3 (B2 held)
    ("supplier", {"type": "reservation", "quantity": 5}, "k1"),  # replay
    ("supplier", {"type": "reservation", "quantity": 6}, "k1"),  # same key, other body: 422
    ("supplier", {"type": "reservation", "quantity": 1000}, "k2"),  # 409 insufficient_stock
    ("supplier", {"type": "reservation", "quantity": 1000}, "k2"),  # its replay
    ("supplier", {"type": "reservation", "quantity": 48, "reason": "promo", "reference": "PO-9"}, "k3"),
    ("supplier", {"type": "reservation", "quantity": 100}, "k4"),  # 10 left: 409
    ("supplier", {"type": "release", "quantity": 2, "reservationId": "RSV-000001"}, "k5"),
    ("brand", {"type": "reservation", "quantity": 2}, "k6"),
    ("supplier", {"type": "sale", "quantity": 3, "reservationId": "RSV-000001"}, "k7"),  # consumed
    ("supplier", {"type": "release", "quantity": 1, "reservationId": "RSV-000001"}, "k8"),  # closed: 409
    ("other", {"type": "reservation", "quantity": 1}, "k9"),  # another supplier's item: 404
    ("supplier", {"type": "reservation", "quantity": 1, "retailPartnerId": "RETE"}, "k10"),  # Python path
    ("supplier", {"type": "reservation", "quantity": 1, "reason": " padded "}, "k11"),  # Python path
    ("supplier", {"type": "reservation", "quantity": 0}, "k12"),  # 400
    ("supplier", {"type": "reservation", "quantity": 1}, "k13"),  # fast again, after releases
    ("supplier", {"type": "release", "quantity": 1, "reservationId": "@k10"}, "k14"),  # RETE's: closes it
    ("supplier", {"type": "release", "quantity": 5, "reservationId": "@k3"}, "k15"),
    ("supplier", {"type": "release", "quantity": 5, "reservationId": "@k3"}, "k15"),  # replay
    ("supplier", {"type": "release", "quantity": 100, "reservationId": "@k3"}, "k16"),  # holds 43: 409
    ("supplier", {"type": "release", "quantity": 1, "reservationId": "RSV-999999"}, "k17"),  # 404
    ("supplier", {"type": "sale", "quantity": 4}, "k18"),
    ("supplier", {"type": "sale", "quantity": 10000}, "k19"),  # 409
    ("supplier", {"type": "sale", "quantity": 1, "reason": " padded"}, "k20"),  # Python path
    ("retailer", {"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 30}]}, "o1"),  # backordered
    ("brand", {"type": "release", "quantity": 43, "reservationId": "@k3"}, "k21"),  # closed; o1 served
    ("supplier", {"type": "release", "quantity": 1, "reservationId": "@k3"}, "k22"),  # closed: 409
    ("supplier", {"type": "sale", "quantity": 1, "reservationId": "@k3"}, "k23"),  # closed: 409
    ("supplier", {"type": "sale", "quantity": 2, "reservationId": "@k13"}, "k24"),  # holds 1: 409
    ("supplier", {"type": "sale", "quantity": 1, "reservationId": "@k13"}, "k25"),  # consumed, closed
    ("supplier", {"type": "reservation", "quantity": 2, "retailPartnerId": "RETE"}, "k26"),  # Python path
    ("supplier", {"type": "sale", "quantity": 2, "reservationId": "@k26"}, "k27"),  # RETE's, sold: closed
]


# Receipts: into existing lots on the fast path (its FSMA 204 receiving record too); a new lot, a new
# batch, an unknown batch or warehouse, a missing warehouse and other bodies through the Python path.
RECEIPTS = [
    ("supplier", {"type": "receipt", "quantity": 7, "batchNumber": "B1", "warehouseLocation": "WH1"}, "r1"),
    ("supplier", {"type": "receipt", "quantity": 7, "batchNumber": "B1", "warehouseLocation": "WH1"}, "r1"),  # replay
    ("supplier", {"type": "receipt", "quantity": 8, "batchNumber": "B1", "warehouseLocation": "WH1"}, "r1"),  # 422
    ("supplier", {"type": "receipt", "quantity": 5, "batchNumber": "B3", "warehouseLocation": "WH2",
                  "reason": "delivery", "reference": "PO-7"}, "r2"),
    ("supplier", {"type": "receipt", "quantity": 4, "batchNumber": "B3", "warehouseLocation": "WH1"}, "r3"),  # new lot
    ("supplier", {"type": "receipt", "quantity": 6, "batchNumber": "B9", "warehouseLocation": "WH1",
                  "expirationDate": "2033-01-01T00:00:00Z"}, "r4"),  # new batch: Python path
    ("supplier", {"type": "receipt", "quantity": 2, "batchNumber": "B9", "warehouseLocation": "WH1"}, "r5"),
    ("supplier", {"type": "receipt", "quantity": 2, "batchNumber": "NOPE", "warehouseLocation": "WH1"}, "r6"),  # 400
    ("supplier", {"type": "receipt", "quantity": 2, "batchNumber": "B1"}, "r7"),  # two warehouses: 400
    ("supplier", {"type": "receipt", "quantity": 2, "batchNumber": "B1", "warehouseLocation": "NOWH"}, "r8"),  # 400
    ("supplier", {"type": "receipt", "quantity": 3, "batchNumber": "B2", "warehouseLocation": "WH1"}, "r9"),  # held
    ("supplier", {"type": "receipt", "quantity": 0, "batchNumber": "B1", "warehouseLocation": "WH1"}, "r10"),  # 400
    ("supplier", {"type": "receipt", "quantity": 1, "batchNumber": "B1", "warehouseLocation": "WH1",
                  "reason": " padded"}, "r11"),  # Python path
    ("supplier", {"type": "receipt", "quantity": 1, "batchNumber": "B1", "warehouseLocation": None}, "r12"),  # 400
    ("supplier", {"type": "receipt", "quantity": 1, "batchNumber": "", "warehouseLocation": "WH1"}, "r13"),  # 400
    ("other", {"type": "receipt", "quantity": 1, "batchNumber": "B1", "warehouseLocation": "WH1"}, "r14"),  # 404
    ("brand", {"type": "receipt", "quantity": 2, "batchNumber": "B3", "warehouseLocation": "WH2"}, "r15"),
    ("retailer", {"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 100}]}, "o1"),  # backordered
    ("supplier", {"type": "receipt", "quantity": 50, "batchNumber": "B3", "warehouseLocation": "WH2"}, "r16"),
    ("supplier", {"type": "sale", "quantity": 1}, "r17"),
]


def stable(value):
    """``value`` without what necessarily differs between the paths (see VOLATILE)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def run(fast: bool, settings, script=SCRIPT) -> dict:
    settings.INVENTORY_FAST_PATH = fast
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the stock-arrival hook allocates backorders in this thread
    call_command("flush", interactive=False, verbosity=0)  # sequences reset: same ids in both runs
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('webhooks_event_sequence_seq', 1, false)")
    callers = world()
    answers, calls = [], []
    with mock.patch("webhooks.tasks.delivery_send.apply_async", side_effect=lambda **kw: calls.append(kw)):
        made = {}
        for caller, body, key in script:
            body = {name: made[value[1:]] if isinstance(value, str) and value.startswith("@") else value
                    for name, value in body.items()}
            response = callers[caller].post("/api/v1/orders" if "lines" in body else ITEM, body, key=key)
            if response.status_code == 201 and body.get("type") == "reservation":
                made[key] = response.json()["transaction"]["reservationId"]
            answers.append({"key": key, "status": response.status_code, "body": stable(response.json()),
                            "headers": {h: response.get(h) for h in ("ETag", "Location", "Idempotent-Replayed")}})
    return {"answers": answers, "published": len(calls), **state()}


def state() -> dict:
    partner = {**{("supplier", s.pk): s.code for s in Supplier.objects.all()},
               **{("retailer", r.pk): r.code for r in RetailPartner.objects.all()}}
    ledger = [stable(services.transaction_view(row)) | {"idempotency_key": row.idempotency_key}
              for row in InventoryTransaction.objects.order_by("pk")]
    lots = list(StockLot.objects.order_by("pk").values("pk", "batch__batch_number", "on_hand", "reserved",
                                                        "quarantined"))
    items = list(InventoryItem.objects.order_by("pk").values("pk", "version"))
    reservations = list(Reservation.objects.order_by("pk").values(
        "pk", "code", "status", "quantity", "released_quantity", "consumed_quantity", "reason", "reference",
        "order_ref", "retail_partner__code", "created_by_client__name", "expires_at", "item_id"))
    holds = list(ReservationLot.objects.order_by("pk").values("pk", "reservation_id", "lot_id", "quantity"))
    events = [{"sequence": e.sequence, "type": e.type, "data": stable(e.data), "audience": sorted(
        (a.partner_kind, partner[(a.partner_kind, a.partner_id)], a.sequence, json.dumps(stable(a.data)))
        for a in EventAudience.objects.filter(event=e)),
        "deliveries": sorted(d.endpoint.public_id for d in Delivery.objects.filter(event=e))}
        for e in Event.objects.order_by("sequence")]
    records = [{"key": r.key, "status": r.status_code, "state": r.state, "method": r.method, "path": r.path,
                "body": stable(json.loads(r.response_body)) if r.response_body else None,
                "headers": r.response_headers}
               for r in IdempotencyRecord.objects.order_by("key")]
    # A receipt without a reference documents itself by its movement id (volatile): compared as such.
    ctes = [stable(values) | {"reference_document_number": "=movement" if values["reference_document_number"] ==
                              str(values["movement_id"]) else values["reference_document_number"]}
            for values in CriticalTrackingEvent.objects.order_by("pk").values(
        "pk", "cte_type", "supplier_id", "product_id", "batch_id", "traceability_lot_code", "product_description",
        "quantity", "unit_of_measure", "event_date", "warehouse_id", "location_id", "location_description",
        "tlc_source_id", "tlc_source_description", "counterparty_id", "counterparty_description",
        "retail_partner_id", "inputs", "reference_document_type", "reference_document_number", "movement_id")]
    batches = list(Batch.objects.order_by("pk").values("pk", "batch_number", "supplier_id", "product_id", "status",
                                                       "expiration_date", "production_date"))
    return {"ledger": ledger, "lots": lots, "items": items, "reservations": reservations, "holds": holds,
            "events": events, "records": records, "ctes": ctes, "batches": batches}


def test_the_fast_path_and_the_python_path_leave_the_same_answers_and_rows(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    python = run(False, settings)
    with CaptureQueriesContext(connection) as queries:
        fast = run(True, settings)
    sent = [q["sql"] for q in queries.captured_queries]
    # Which requests asked a function, and which it wrote (the others fell back or were replayed).
    assert sum("inventory_reserve_fast" in sql for sql in sent) == 10  # k1 (x3), k2 (x2), k3, k4, k6, k9, k13
    assert sum("inventory_release_fast" in sql for sql in sent) == 9  # k5, k8, k14, k15 (x2), k16, k17, k21, k22
    assert sum("inventory_sell_fast" in sql for sql in sent) == 2  # k18, k19
    assert sum("inventory_sell_reserved_fast" in sql for sql in sent) == 5  # k7, k23, k24, k25, k27
    # k1, k3, k5, k6, k7, k13, k14, k15, k18, k21, k25, k27
    assert sum("inventory_write_finish" in sql for sql in sent) == 12
    for before, after in zip(python["answers"], fast["answers"], strict=True):
        assert after == before, after["key"]
    for table in ("ledger", "lots", "items", "reservations", "holds", "records", "events", "ctes", "batches"):
        assert fast[table] == python[table], table
    assert fast["published"] == python["published"] > 0
    # The script did what it says: the fixtures are not trivially empty.
    assert [a["status"] for a in python["answers"]] == [
        201, 201, 422, 409, 409, 201, 409, 201, 201, 201, 409, 404, 201, 201, 400, 201,
        201, 201, 201, 409, 404, 201, 409, 201, 201, 201, 409, 409, 409, 201, 201, 201], python["answers"]
    assert {r["code"]: r["status"] for r in python["reservations"]}[python["answers"][15]["body"]["transaction"][
        "reservationId"]] == "consumed"  # k13's, by k25
    assert python["answers"][1]["headers"]["Idempotent-Replayed"] == "true"
    assert python["answers"][18]["headers"]["Idempotent-Replayed"] == "true"
    closed = {r["code"]: r["status"] for r in python["reservations"]}
    assert closed[python["answers"][12]["body"]["transaction"]["reservationId"]] == "released"  # k10, by k14
    assert closed[python["answers"][5]["body"]["transaction"]["reservationId"]] == "released"  # k3, by k21
    # The release freed units on commit: the backordered order was allocated (the stock-arrival hook).
    assert [r["quantity"] for r in python["reservations"] if r["order_ref"]] == [30]
    sold = python["answers"][31]["body"]["transactions"]  # k27: a retailer's reservation, sold by name
    assert [(t["type"], t["retailPartnerId"], t["reservedDelta"]) for t in sold] == [("sale", "RETE", -2)]
    assert closed[python["answers"][30]["body"]["transaction"]["reservationId"]] == "consumed"
    release = python["answers"][16]["body"]["transactions"]
    assert [(t["type"], t["retailPartnerId"], t["reservedDelta"]) for t in release] == [("release", "RETE", -1)]
    first = python["answers"][0]["body"]["transactions"]
    assert [(t["batchNumber"], t["quantity"]) for t in first] == [("B1", 3), ("B3", 2)]


def test_fast_and_python_receipts_leave_the_same_answers_rows_and_tracking_records(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    python = run(False, settings, RECEIPTS)
    with CaptureQueriesContext(connection) as queries:
        fast = run(True, settings, RECEIPTS)
    sent = [q["sql"] for q in queries.captured_queries]
    # r1 (x3), r2, r3, r5, r6, r7, r8, r9, r14, r15, r16 asked the function; r1, r2, r5, r9, r15, r16 it wrote.
    assert sum("inventory_receive_fast" in sql for sql in sent) == 13
    assert sum("inventory_write_finish" in sql for sql in sent) == 7  # and the sale r17
    for before, after in zip(python["answers"], fast["answers"], strict=True):
        assert after == before, after["key"]
    for table in ("ledger", "lots", "items", "reservations", "holds", "records", "events", "ctes", "batches"):
        assert fast[table] == python[table], table
    assert fast["published"] == python["published"] > 0
    assert [a["status"] for a in python["answers"]] == [
        201, 201, 422, 201, 201, 201, 201, 400, 400, 400, 201, 400, 201, 400, 400, 404, 201, 201, 201, 201], \
        python["answers"]
    assert python["answers"][1]["headers"]["Idempotent-Replayed"] == "true"
    # B9's lot code was assigned at its first receipt: the second one names the same source.
    b9 = [c for c in python["ctes"] if c["traceability_lot_code"] == "B9"]
    assert len(b9) == 2 and b9[0]["tlc_source_id"] == b9[1]["tlc_source_id"] == "SUPF/WH1"
    assert [c["reference_document_number"] for c in python["ctes"] if c["quantity"] == 5] == ["PO-7"]
    # The receipt freed units on commit: the backordered order was allocated (the stock-arrival hook).
    assert [r["quantity"] for r in python["reservations"] if r["order_ref"]] == [100]


def test_a_fast_reservation_is_visible_to_the_strict_retailer_as_the_python_path_shows_it(settings):
    """The per-retailer event view (its minimum shelf life applied) comes from the same builder."""
    settings.INVENTORY_FAST_PATH = True
    callers = world()
    response = callers["supplier"].post(ITEM, {"type": "reservation", "quantity": 4}, key="s1")
    assert response.status_code == 201
    event = Event.objects.order_by("-sequence").first()
    strict = EventAudience.objects.get(event=event, partner_kind="retailer",
                                       partner_id=RetailPartner.objects.get(code="RETS").pk)
    # B1 and B2 expire too early for RETS: only B3's unreserved units are available to it.
    assert strict.data["availableQuantity"] == 60 - 1
    assert [t["reservationId"] for t in strict.data["change"]["transactions"]] == [None, None]
    assert event.data["change"]["transactions"][0]["reservationId"] == response.json()["transaction"][
        "reservationId"]
    assert event.horizon > 0 and Delivery.objects.filter(event=event).count() == 3


def test_the_event_horizon_of_the_function_is_the_one_sequencing_computes():
    """write_finish.sql copies ``webhooks.sequencing._HORIZON``: a change of one without the other fails here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'inventory_write_finish'")
        source = cursor.fetchone()[0]
    assert "".join(_HORIZON.split()) in "".join(source.split())
    assert source.index("nextval('webhooks_event_sequence_seq')") < source.index("INSERT INTO webhooks_event ")


def test_the_fast_path_is_off_on_request_and_the_python_path_serves(settings):
    settings.INVENTORY_FAST_PATH = False
    callers = world()
    with CaptureQueriesContext(connection) as queries:
        response = callers["supplier"].post(ITEM, {"type": "reservation", "quantity": 1}, key="off-1")
    assert response.status_code == 201
    assert not any("inventory_reserve_fast" in q["sql"] for q in queries.captured_queries)


def test_fast_and_python_movements_of_one_item_interleave_without_drift_or_deadlock(make_caller):
    """Both paths take the same locks in the same order: mixed at once on one item they keep the books."""
    from inventory.services.reconcile import reconcile
    from tests.test_inventory_concurrency import run_in_threads

    sup = f.supplier("SUPF")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    product = f.product("SAUCEF")
    f.receive(sup, product, 30, batch="LOT-A", warehouse_code="WH1")
    f.receive(sup, product, 30, batch="LOT-B", warehouse_code="WH2", days=300)
    caller = make_caller("supplier", "SUPF")

    def work(index):
        statuses = []
        made = caller.post(ITEM, {"type": "reservation", "quantity": 2}, key=f"r{index}")  # fast
        statuses.append(made.status_code)
        if made.status_code == 201:
            code = made.json()["transaction"]["reservationId"]
            statuses.append(caller.post(ITEM, {"type": "release", "quantity": 1, "reservationId": code},
                                        key=f"l{index}").status_code)  # fast
        statuses.append(caller.post(ITEM, {"type": "sale", "quantity": 1}, key=f"s{index}").status_code)  # fast
        statuses.append(caller.post(ITEM, {"type": "reservation", "quantity": 1, "warehouseLocation": "WH2"},
                                    key=f"p{index}").status_code)  # Python path
        statuses.append(caller.post(ITEM, {"type": "sale", "quantity": 1, "batchNumber": "LOT-A"},
                                    key=f"q{index}").status_code)  # Python path
        return statuses

    results = run_in_threads(12, work)
    statuses = [status for result in results for status in result]
    assert set(statuses) <= {201, 409} and statuses.count(201) > 40, statuses
    assert reconcile() == []
    item = InventoryItem.objects.get(supplier=sup, product=product)
    # One version and one event per committed movement (two receipts, then every 201).
    assert item.version == 2 + statuses.count(201)
    events = list(Event.objects.filter(type="inventory.updated").order_by("sequence"))
    assert len(events) == len({e.sequence for e in events}) == 2 + statuses.count(201)
    assert sorted(e.data["version"] for e in events) == list(range(1, item.version + 1))
    assert all(e.horizon > 0 for e in events)
    assert InventoryTransaction.objects.filter(item=item).values("movement_id").distinct().count() == \
        2 + statuses.count(201)


@pytest.mark.parametrize("body", [{"type": "release", "quantity": 1, "reservationId": "@"},
                                  {"type": "sale", "quantity": 1},
                                  {"type": "sale", "quantity": 1, "reservationId": "@"}],
                         ids=["release", "sale", "sale-reserved"])
def test_a_release_and_a_sale_take_two_statements_and_one_commit(settings, body):
    from tests.test_write_round_trips import measured

    settings.INVENTORY_FAST_PATH = True
    callers = world()
    held = callers["supplier"].post(ITEM, {"type": "reservation", "quantity": 2}, key="rt-held")
    body = {**body, **({"reservationId": held.json()["transaction"]["reservationId"]} if "reservationId" in body
                       else {})}
    response, statements, commits = measured(lambda: callers["supplier"].post(ITEM, body, key="rt-move"))
    assert response.status_code == 201, response.content
    assert commits == 1
    inside = statements[statements.index("BEGIN") + 1:statements.index("COMMIT")]
    assert len(inside) == 2 and "inventory_write_finish" in inside[1], inside
    assert IdempotencyRecord.objects.filter(key="rt-move", status_code=201).count() == 1


@pytest.mark.parametrize("kind", [{}, [], None, 1, "RESERVATION"])
def test_a_movement_type_that_is_not_a_known_name_is_a_400_through_the_fast_paths_door(kind):
    # Found by Schemathesis: {"type": {}} reached the fast path's table lookup and answered 500.
    callers = world()
    before = InventoryTransaction.objects.count()
    response = callers["supplier"].post(ITEM, {"type": kind, "quantity": 1}, key=f"bad-type-{kind!r}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert InventoryTransaction.objects.count() == before
