"""Placing, reading, listing and cancelling orders; FEFO allocation and backorders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hotsauce.celery import app as celery_app
from inventory.models import InventoryTransaction, Product, Reservation, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Order
from partners.models import RetailPartner
from tests import factories as f
from tests.conftest import problem
from webhooks.models import Delivery, Endpoint, Event, EventAudience


@pytest.fixture
def eager_tasks():
    # Backorder allocation is a Celery task run on commit; run it in-process here.
    # The app reads Django settings under the CELERY_ namespace, so that is the key to flip.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture
def shop(db, make_caller):
    """A supplier with three lots (expiring in 20, 60 and 200 days) and a retailer needing 45 days."""
    sup = f.supplier("SUPF")
    ret = f.retailer("RETF", shelf_days=45)
    f.trade(sup, ret)
    prod = f.product("SAUCEF")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    f.receive(sup, prod, 10, batch="B20", days=20)
    f.receive(sup, prod, 10, batch="B60", days=60, warehouse_code="WH2")
    f.receive(sup, prod, 10, batch="B200", days=200)
    return {"supplier": sup, "retailer": ret, "product": prod,
            "retail": make_caller("retailer", "RETF"), "supply": make_caller("supplier", "SUPF")}


def place(caller, quantity, key, supplier="SUPF", product="SAUCEF", **extra):
    return caller.post("/api/v1/orders", {"supplierId": supplier, "lines": [{"productId": product,
                                                                            "quantity": quantity}], **extra},
                       key=key)


def lot(batch: str) -> StockLot:
    return StockLot.objects.get(batch__batch_number=batch)


def test_order_draws_fefo_from_lots_with_enough_shelf_life_never_the_short_one(shop):
    response = place(shop["retail"], 15, "fefo")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "allocated"
    allocations = body["lines"][0]["allocations"]
    assert [(a["batchNumber"], a["warehouseLocation"], a["quantity"]) for a in allocations] == [
        ("B60", "WH2", 10), ("B200", "WH1", 5)]
    assert (lot("B20").reserved, lot("B60").reserved, lot("B200").reserved) == (0, 10, 5)
    assert reconcile() == []


def test_requested_delivery_date_counts_for_shelf_life(shop):
    # Arriving in 20 days, the 60-day lot would have 40 days left: below the retailer's 45.
    delivery = (timezone.now() + timedelta(days=20)).date().isoformat()
    body = place(shop["retail"], 12, "late", requestedDeliveryDate=delivery).json()
    assert body["status"] == "partially_allocated"
    assert [(a["batchNumber"], a["quantity"]) for a in body["lines"][0]["allocations"]] == [("B200", 10)]
    assert body["lines"][0]["backorderedQuantity"] == 2


def test_what_cannot_be_reserved_is_backordered(shop):
    body = place(shop["retail"], 25, "big").json()
    line = body["lines"][0]
    assert body["status"] == "partially_allocated"
    assert (line["allocatedQuantity"], line["backorderedQuantity"], line["shippedQuantity"]) == (20, 5, 0)
    body = place(shop["retail"], 3, "none").json()
    assert body["status"] == "backordered"
    assert body["lines"][0]["allocations"] == [] and body["lines"][0]["backorderedQuantity"] == 3


def test_arriving_stock_serves_backorders_oldest_order_first(shop, eager_tasks, django_capture_on_commit_callbacks):
    place(shop["retail"], 20, "fill")
    first = place(shop["retail"], 4, "first").json()["orderId"]
    second = place(shop["retail"], 4, "second").json()["orderId"]
    with django_capture_on_commit_callbacks(execute=True):
        response = shop["supply"].post("/api/v1/inventory/SUPF/SAUCEF", {
            "type": "receipt", "quantity": 6, "warehouseLocation": "WH1", "batchNumber": "B300",
            "expirationDate": (timezone.now() + timedelta(days=300)).isoformat()}, key="rcpt")
        assert response.status_code == 201, response.content
    one = shop["retail"].get(f"/api/v1/orders/{first}").json()
    two = shop["retail"].get(f"/api/v1/orders/{second}").json()
    assert (one["status"], one["lines"][0]["allocatedQuantity"]) == ("allocated", 4)
    assert (two["status"], two["lines"][0]["allocatedQuantity"], two["lines"][0]["backorderedQuantity"]) == (
        "partially_allocated", 2, 2)
    assert lot("B300").reserved == 6
    assert reconcile() == []


def test_cancel_releases_reservations_and_a_second_cancel_is_invalid(shop):
    order = place(shop["retail"], 15, "c").json()
    response = shop["retail"].post(f"/api/v1/orders/{order['orderId']}/cancel", {"reason": "changed our mind"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["lines"][0]["allocatedQuantity"] == 0 and body["lines"][0]["backorderedQuantity"] == 0
    assert sum(lot.reserved for lot in StockLot.objects.all()) == 0
    releases = InventoryTransaction.objects.filter(type="release", reference=order["orderId"])
    assert sorted(releases.values_list("reserved_delta", flat=True)) == [-10, -5]
    response = shop["retail"].post(f"/api/v1/orders/{order['orderId']}/cancel")
    assert response.status_code == 409 and problem(response)["code"] == "invalid_state"
    assert reconcile() == []


def test_supplier_may_cancel_an_order_addressed_to_it(shop):
    order = place(shop["retail"], 2, "sc").json()
    response = shop["supply"].post(f"/api/v1/orders/{order['orderId']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancelling_a_shipped_order_is_invalid_state(shop):
    order = place(shop["retail"], 2, "ship").json()
    assert shop["supply"].post("/api/v1/shipments", {"orderId": order["orderId"]}, key="s").status_code == 201
    response = shop["retail"].post(f"/api/v1/orders/{order['orderId']}/cancel")
    assert response.status_code == 409
    assert problem(response)["code"] == "invalid_state"
    assert Order.objects.get(code=order["orderId"]).status == "shipped"


def test_order_events_go_to_the_supplier_and_the_retailer(shop):
    order = place(shop["retail"], 2, "ev").json()
    event = Event.objects.get(type="order.created", data__orderId=order["orderId"])
    audience = set(EventAudience.objects.filter(event=event).values_list("partner_kind", "partner_id"))
    assert audience == {("supplier", shop["supplier"].pk), ("retailer", shop["retailer"].pk)}
    assert event.data["lines"][0]["allocatedQuantity"] == 2


def test_post_orders_requires_an_idempotency_key_and_replays(shop):
    response = shop["retail"].post("/api/v1/orders", {"supplierId": "SUPF", "lines": [
        {"productId": "SAUCEF", "quantity": 1}]})
    assert response.status_code == 400 and problem(response)["code"] == "idempotency_key_missing"
    first = place(shop["retail"], 1, "same")
    again = place(shop["retail"], 1, "same")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content)["orderId"] == first.json()["orderId"]
    assert Order.objects.count() == 1


# What the body names and nobody has (or the caller cannot see) is a 404 naming the field.
NOT_FOUND = ("lines[0].productId", "SUPOTHER", "SUPNONE")


@pytest.mark.parametrize("body, field", [
    ({"supplierId": "SUPF", "lines": [{"productId": "NOPE", "quantity": 1}]}, "lines[0].productId"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 0}]}, "lines[0].quantity"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": "5"}]}, "lines[0].quantity"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": -3}]}, "lines[0].quantity"),
    ({"supplierId": "SUPF", "lines": []}, "lines"),
    ({"supplierId": "SUPF"}, "lines"),
    ({"lines": [{"productId": "SAUCEF", "quantity": 1}]}, "supplierId"),
    ({"supplierId": "SUPOTHER", "lines": [{"productId": "SAUCEF", "quantity": 1}]}, "supplierId"),
    ({"supplierId": "SUPNONE", "lines": [{"productId": "SAUCEF", "quantity": 1}]}, "supplierId"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 1}], "requestedDeliveryDate": "2020-01-01"},
     "requestedDeliveryDate"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 1}], "requestedDeliveryDate": "soon"},
     "requestedDeliveryDate"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 1, "colour": "red"}]}, "lines[0].colour"),
    ({"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 1}], "retailPartnerId": "RETX"},
     "retailPartnerId"),
])
def test_bad_order_input_is_a_400_naming_the_field_and_changes_nothing(shop, body, field):
    f.supplier("SUPOTHER")  # exists, but RETF does not trade with it
    versions = list(StockLot.objects.order_by("pk").values_list("reserved", flat=True))
    events = Event.objects.count()
    response = shop["retail"].post("/api/v1/orders", body, key=f"bad-{field}")
    missing = (field == "lines[0].productId" and body["lines"][0]["productId"] == "NOPE"
               or body.get("supplierId") in NOT_FOUND)
    assert response.status_code == (404 if missing else 400), response.content
    assert field in [e["field"] for e in problem(response)["errors"]]
    assert Order.objects.count() == 0
    assert list(StockLot.objects.order_by("pk").values_list("reserved", flat=True)) == versions
    assert Event.objects.count() == events


def test_brand_places_an_order_for_a_named_retailer(shop, make_caller):
    brand = make_caller("brand")
    response = brand.post("/api/v1/orders", {"supplierId": "SUPF", "retailPartnerId": "RETF",
                                             "lines": [{"productId": "SAUCEF", "quantity": 1}]}, key="b")
    assert response.status_code == 201, response.content
    assert response.json()["retailPartnerId"] == "RETF"
    response = brand.post("/api/v1/orders", {"supplierId": "SUPF", "lines": [{"productId": "SAUCEF", "quantity": 1}]},
                          key="b2")
    assert response.status_code == 400


def test_a_supplier_cannot_place_orders(shop):
    response = place(shop["supply"], 1, "sup")
    assert response.status_code == 403


# --- tenancy --------------------------------------------------------------------------


def test_orders_are_visible_only_to_their_retailer_supplier_and_brand(shop, make_caller):
    order_id = place(shop["retail"], 1, "t").json()["orderId"]
    other_sup = f.supplier("SUPO")
    other_ret = f.retailer("RETO")
    f.trade(other_sup, other_ret)
    f.trade(shop["supplier"], other_ret)  # trades with the same supplier, still not its order
    outsider_retailer = make_caller("retailer", "RETO")
    outsider_supplier = make_caller("supplier", "SUPO")
    brand = make_caller("brand")
    for caller in (shop["retail"], shop["supply"], brand):
        assert caller.get(f"/api/v1/orders/{order_id}").status_code == 200
        assert [o["orderId"] for o in caller.get("/api/v1/orders").json()["results"]] == [order_id]
    for caller in (outsider_retailer, outsider_supplier):
        response = caller.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 404 and problem(response)["code"] == "not_found"
        assert caller.get("/api/v1/orders").json()["results"] == []
        assert caller.post(f"/api/v1/orders/{order_id}/cancel").status_code == 404
    assert Order.objects.get(code=order_id).status == "allocated"
    assert shop["retail"].get("/api/v1/orders/ORD-999999").status_code == 404


def test_order_list_filters_by_camel_case_fields_and_rejects_unknown_ones(shop):
    first = place(shop["retail"], 1, "l1").json()["orderId"]
    second = place(shop["retail"], 50, "l2").json()["orderId"]
    caller = shop["supply"]
    assert [o["orderId"] for o in caller.get("/api/v1/orders?status=allocated").json()["results"]] == [first]
    assert [o["orderId"] for o in caller.get("/api/v1/orders?status=partially_allocated").json()["results"]] == [
        second]
    assert len(caller.get("/api/v1/orders?supplierId=SUPF&retailPartnerId=RETF").json()["results"]) == 2
    assert caller.get("/api/v1/orders?retailPartnerId=RETX").json()["results"] == []
    assert [o["orderId"] for o in caller.get(f"/api/v1/orders?orderId={second}").json()["results"]] == [second]
    page = caller.get("/api/v1/orders?limit=1").json()
    assert len(page["results"]) == 1 and page["next"]
    response = caller.get("/api/v1/orders?supplierID=SUPF")
    assert response.status_code == 400
    assert caller.get("/api/v1/orders?status=lost").status_code == 400


def test_order_list_query_count_does_not_grow_with_the_page(shop, django_assert_max_num_queries):
    for index in range(3):
        place(shop["retail"], 1, f"q{index}")
    caller = shop["supply"]
    caller.get("/api/v1/orders?limit=1")  # warm the token and principal caches
    with django_assert_max_num_queries(20) as small:
        caller.get("/api/v1/orders?limit=1")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(caller.get("/api/v1/orders?limit=3").json()["results"]) == 3


def test_units_released_by_a_cancel_go_to_the_waiting_backorder(shop, eager_tasks,
                                                               django_capture_on_commit_callbacks):
    first = place(shop["retail"], 20, "all").json()["orderId"]
    waiting = place(shop["retail"], 5, "wait").json()["orderId"]
    with django_capture_on_commit_callbacks(execute=True):
        assert shop["retail"].post(f"/api/v1/orders/{first}/cancel").status_code == 200
    body = shop["retail"].get(f"/api/v1/orders/{waiting}").json()
    assert body["status"] == "allocated"
    assert [(a["batchNumber"], a["quantity"]) for a in body["lines"][0]["allocations"]] == [("B60", 5)]
    assert reconcile() == []


def test_the_periodic_sweep_serves_backorders_whose_trigger_was_lost(shop):
    from orders.tasks import allocate_all_backorders

    place(shop["retail"], 20, "all")
    waiting = place(shop["retail"], 5, "wait").json()["orderId"]
    # A receipt whose on-commit trigger never ran (the test transaction never commits).
    f.receive(shop["supplier"], shop["product"], 3, batch="B400", days=400)
    assert allocate_all_backorders() == 3
    body = shop["retail"].get(f"/api/v1/orders/{waiting}").json()
    assert (body["status"], body["lines"][0]["allocatedQuantity"]) == ("partially_allocated", 3)
    assert allocate_all_backorders() == 0


def test_lots_on_hold_are_never_allocated(shop):
    from inventory.models import Batch
    from inventory.services import batch_set_status

    batch_set_status(batch=Batch.objects.get(batch_number="B60"), status="quarantined", reason="lab check")
    body = place(shop["retail"], 12, "hold").json()
    assert [(a["batchNumber"], a["quantity"]) for a in body["lines"][0]["allocations"]] == [("B200", 10)]
    assert body["lines"][0]["backorderedQuantity"] == 2
    assert lot("B60").reserved == 0


def test_backorders_are_served_when_eager_tasks_are_set_in_django_settings(shop, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    place(shop["retail"], 20, "fill")
    waiting = place(shop["retail"], 2, "wait").json()["orderId"]
    with django_capture_on_commit_callbacks(execute=True):
        shop["supply"].post("/api/v1/inventory/SUPF/SAUCEF", {
            "type": "receipt", "quantity": 2, "warehouseLocation": "WH1", "batchNumber": "B300",
            "expirationDate": (timezone.now() + timedelta(days=300)).isoformat()}, key="rcpt")
    assert shop["retail"].get(f"/api/v1/orders/{waiting}").json()["status"] == "allocated"


def test_an_order_of_many_lines_allocates_each_line_as_alone_and_tells_every_audience(shop):
    # The lines are written in bulk (issue 19): each still gets its own reservation, FEFO holds
    # within the retailer's shelf life, its own movement in the ledger and one inventory.updated
    # per item, and each endpoint a delivery per event it subscribed to.
    sup = shop["supplier"]
    f.trade(sup, f.retailer("RETO"))
    f.receive(sup, f.product("SAUCEH"), 4, batch="H300", days=300)
    f.receive(sup, Product.objects.get(sku="SAUCEH"), 4, batch="H100", days=100)
    f.product("SAUCEN")  # no stock anywhere: its line waits
    hooks = {name: Endpoint.objects.create(public_id=f"we_{name}", owner_kind=kind, owner_id=owner,
                                           url=f"https://hooks.example/{name}", secret="s", event_types=types)
             for name, kind, owner, types in (
                 ("sup", "supplier", sup.pk, ["*"]), ("ret", "retailer", shop["retailer"].pk, ["inventory.updated"]),
                 ("oth", "retailer", RetailPartner.objects.get(code="RETO").pk, ["inventory.updated"]),
                 ("brand", "brand", None, ["order.created"]))}
    response = shop["retail"].post("/api/v1/orders", {"supplierId": "SUPF", "lines": [
        {"productId": "SAUCEF", "quantity": 15}, {"productId": "SAUCEH", "quantity": 6},
        {"productId": "SAUCEN", "quantity": 2}]}, key="many")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "partially_allocated"
    lines = {line["productId"]: line for line in body["lines"]}
    assert {sku: [(a["batchNumber"], a["quantity"]) for a in line["allocations"]] for sku, line in lines.items()} == {
        "SAUCEF": [("B60", 10), ("B200", 5)], "SAUCEH": [("H100", 4), ("H300", 2)], "SAUCEN": []}
    assert lines["SAUCEN"]["backorderedQuantity"] == 2
    assert (lot("B20").reserved, lot("B60").reserved, lot("B200").reserved, lot("H100").reserved,
            lot("H300").reserved) == (0, 10, 5, 4, 2)
    assert reconcile() == []
    reservations = {r.code: r for r in Reservation.objects.filter(order_ref=body["orderId"])}
    assert sorted(reservations) == sorted(line["reservationId"] for line in lines.values())
    assert sorted(r.quantity for r in reservations.values()) == [0, 6, 15]
    rows = InventoryTransaction.objects.filter(reference=body["orderId"])
    movements = {(row.product_sku, row.reservation_code, row.movement_id) for row in rows}
    assert {(sku, code) for sku, code, _ in movements} == {
        ("SAUCEF", lines["SAUCEF"]["reservationId"]), ("SAUCEH", lines["SAUCEH"]["reservationId"])}
    assert len({movement for _, _, movement in movements}) == 2
    created = Event.objects.get(type="order.created", data__orderId=body["orderId"])
    updated = list(Event.objects.filter(type="inventory.updated", sequence__gt=created.sequence).order_by("sequence"))
    assert sorted(event.data["productId"] for event in updated) == ["SAUCEF", "SAUCEH"]
    for event in updated:
        audience = {(row.partner_kind, row.partner_id): row.data for row in EventAudience.objects.filter(event=event)}
        assert set(audience) == {("supplier", sup.pk), ("retailer", shop["retailer"].pk),
                                 ("retailer", RetailPartner.objects.get(code="RETO").pk)}
        other = audience[("retailer", RetailPartner.objects.get(code="RETO").pk)]["change"]["transactions"]
        assert other and all(row["reservationId"] is None and row["reference"] == "" for row in other)
    deliveries = {name: sorted(Delivery.objects.filter(endpoint=hook).values_list("event__type", flat=True))
                  for name, hook in hooks.items()}
    assert deliveries == {"sup": ["inventory.updated", "inventory.updated", "order.created"],
                          "ret": ["inventory.updated", "inventory.updated"],
                          "oth": ["inventory.updated", "inventory.updated"], "brand": ["order.created"]}


def test_cancelling_an_order_of_many_lines_releases_and_closes_every_line(shop):
    f.receive(shop["supplier"], f.product("SAUCEH"), 4, batch="H300", days=300)
    order = shop["retail"].post("/api/v1/orders", {"supplierId": "SUPF", "lines": [
        {"productId": "SAUCEF", "quantity": 15}, {"productId": "SAUCEH", "quantity": 6}]}, key="many").json()
    response = shop["retail"].post(f"/api/v1/orders/{order['orderId']}/cancel", {"reason": "changed mind"},
                                   key="many-cancel")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert [(line["allocatedQuantity"], line["allocations"]) for line in body["lines"]] == [(0, []), (0, [])]
    assert sum(StockLot.objects.values_list("reserved", flat=True)) == 0
    reservations = Reservation.objects.filter(order_ref=order["orderId"])
    assert sorted((r.status, r.quantity, r.released_quantity) for r in reservations) == [
        ("released", 4, 4), ("released", 15, 15)]
    releases = InventoryTransaction.objects.filter(reference=order["orderId"], type="release")
    assert sorted((row.product_sku, row.batch_number, row.quantity, row.reserved_delta) for row in releases) == [
        ("SAUCEF", "B200", 5, -5), ("SAUCEF", "B60", 10, -10), ("SAUCEH", "H300", 4, -4)]
    assert reconcile() == []
