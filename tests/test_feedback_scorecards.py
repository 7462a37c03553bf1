"""Scorecards: hand-computed answers to the unit, both percentile paths, own cards only, fixed query count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inventory.models import Batch, StockLot
from orders.feedback.models import Discrepancy
from orders.feedback.scorecards import percentile, scorecards
from orders.models import Order, OrderLine, Return, ReturnLine, Shipment, ShipmentLine
from partners.principal import Principal
from partners.scopes import BRAND, SCOPES
from tests import factories as f
from tests.conftest import ON_POSTGRES, problem

BRAND_VIEW = Principal(kind=BRAND, scopes=frozenset(SCOPES))
MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}
# Per side: order figures (with the partner codes), shipment times, discrepancies, returns.
QUERIES_PER_SIDE = 4


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class World:
    """Two suppliers, three retailers and a lot to point shipment lines at (no stock moves here)."""

    def __init__(self):
        self.s1, self.s2, self.s3 = f.supplier("SCA"), f.supplier("SCB"), f.supplier("SCC")
        self.r1, self.r2, self.r3 = f.retailer("RCA"), f.retailer("RCB"), f.retailer("RCC")
        for sup in (self.s1, self.s2, self.s3):
            for ret in (self.r1, self.r2, self.r3):
                f.trade(sup, ret)
        self.product = f.product("SCORE1")
        f.warehouse(self.s1, "WH1")
        f.receive(self.s1, self.product, 1, batch="SC-LOT")
        self.lot = StockLot.objects.get(batch__batch_number="SC-LOT")
        self.batch = Batch.objects.get(batch_number="SC-LOT")

    def order(self, supplier, retailer, created: datetime, quantity: int, shipped: int, status: str,
              requested: date | None = None) -> Order:
        order = Order.objects.create(supplier=supplier, retail_partner=retailer, status=status,
                                     requested_delivery_date=requested)
        Order.objects.filter(pk=order.pk).update(created_at=created, code=f"ORD-SC{order.pk}")
        order.line = OrderLine.objects.create(order=order, product=self.product, quantity=quantity,
                                              shipped_quantity=shipped)
        return order

    def ship(self, order: Order, quantity: int, shipped: datetime, delivered: datetime | None) -> Shipment:
        shipment = Shipment.objects.create(
            order=order, supplier=order.supplier, retail_partner=order.retail_partner, shipped_at=shipped,
            delivered_at=delivered, status="delivered" if delivered else "in_transit")
        ShipmentLine.objects.create(shipment=shipment, order_line=order.line, product=self.product, batch=self.batch,
                                    warehouse=self.lot.warehouse, lot=self.lot, quantity=quantity)
        return shipment

    def discrepancy(self, order: Order, kind: str, opened: datetime, closed: datetime | None = None,
                    status: str = "open") -> None:
        Discrepancy.objects.create(kind=kind, status=status, supplier=order.supplier,
                                   retail_partner=order.retail_partner, order=order, opened_by_kind="retailer",
                                   opened_at=opened, due_at=opened + timedelta(days=2), closed_at=closed,
                                   resolution="noAction" if status == "resolved" else "")

    def returned(self, order: Order, quantity: int) -> None:
        ret = Return.objects.create(supplier=order.supplier, retail_partner=order.retail_partner, order=order)
        ReturnLine.objects.create(ret=ret, product=self.product, batch=self.batch, quantity=quantity, reason="damaged")


@pytest.fixture
def march(db):
    w = World()
    o1 = w.order(w.s1, w.r1, at(1), 10, 10, "delivered", date(2026, 3, 5))
    w.ship(o1, 10, at(2), at(4))  # 24 h to ship, 48 h to deliver, on time
    o2 = w.order(w.s1, w.r1, at(10), 20, 15, "partially_shipped", date(2026, 3, 12))
    w.ship(o2, 15, at(11, 12), at(13, 12))  # 36 h, 48 h; due and not complete: late
    o3 = w.order(w.s1, w.r2, at(20), 10, 10, "delivered", date(2026, 3, 25))
    w.ship(o3, 10, at(20, 6, 30), at(26, 6, 30))  # 6.5 h, 144 h; delivered after the 25th: late
    w.order(w.s1, w.r2, at(25), 5, 0, "backordered")  # no requested date: never due
    w.order(w.s1, w.r1, at(15), 100, 0, "cancelled", date(2026, 3, 20))  # cancelled: not counted
    w.order(w.s1, w.r1, at(28, 23, month=2), 50, 50, "delivered")  # February: outside the period
    o6 = w.order(w.s2, w.r1, at(5), 8, 8, "shipped", date(2026, 3, 10))
    w.ship(o6, 8, at(6), None)  # 24 h, still in transit after the requested date: late
    w.discrepancy(o1, "shortage", at(4), at(4, 12), "resolved")  # 12 h to resolve
    w.discrepancy(o2, "damage", at(13, 12), at(15, 12), "resolved")  # 48 h
    w.discrepancy(o3, "quality", at(26, 7))  # still open
    w.discrepancy(o3, "other", at(26, 8), at(27), "rejected")  # rejected claims do not count
    w.returned(o1, 2)
    w.returned(o3, 1)
    return w


SCA = {"supplierId": "SCA", "orders": 4, "orderedUnits": 45, "shippedUnits": 35, "fillRate": 0.7778,
       "ordersDue": 3, "ordersOnTime": 1, "onTimeDeliveryRate": 0.3333,
       "orderToShipHours": {"median": 24.0, "p90": 33.6, "count": 3},
       "shipToDeliverHours": {"median": 48.0, "p90": 124.8, "count": 3},
       "discrepancies": 3, "discrepancyRatePer1000Units": 85.71, "resolvedDiscrepancies": 2,
       "meanTimeToResolveHours": 30.0, "returnedUnits": 3, "returnRate": 0.0857,
       "slowestStep": {"step": "shipToDeliver", "hours": 48.0}}
SCB = {"supplierId": "SCB", "orders": 1, "orderedUnits": 8, "shippedUnits": 8, "fillRate": 1.0,
       "ordersDue": 1, "ordersOnTime": 0, "onTimeDeliveryRate": 0.0,
       "orderToShipHours": {"median": 24.0, "p90": 24.0, "count": 1},
       "shipToDeliverHours": {"median": None, "p90": None, "count": 0},
       "discrepancies": 0, "discrepancyRatePer1000Units": 0.0, "resolvedDiscrepancies": 0,
       "meanTimeToResolveHours": None, "returnedUnits": 0, "returnRate": 0.0,
       "slowestStep": {"step": "orderToShip", "hours": 24.0}}
RCA = {"retailPartnerId": "RCA", "orders": 3, "orderedUnits": 38, "shippedUnits": 33, "fillRate": 0.8684,
       "ordersDue": 3, "ordersOnTime": 1, "onTimeDeliveryRate": 0.3333,
       "orderToShipHours": {"median": 24.0, "p90": 33.6, "count": 3},
       "shipToDeliverHours": {"median": 48.0, "p90": 48.0, "count": 2},
       "discrepancies": 2, "discrepancyRatePer1000Units": 60.61, "resolvedDiscrepancies": 2,
       "meanTimeToResolveHours": 30.0, "returnedUnits": 2, "returnRate": 0.0606}
RCB = {"retailPartnerId": "RCB", "orders": 2, "orderedUnits": 15, "shippedUnits": 10, "fillRate": 0.6667,
       "ordersDue": 1, "ordersOnTime": 0, "onTimeDeliveryRate": 0.0,
       "orderToShipHours": {"median": 6.5, "p90": 6.5, "count": 1},
       "shipToDeliverHours": {"median": 144.0, "p90": 144.0, "count": 1},
       "discrepancies": 1, "discrepancyRatePer1000Units": 100.0, "resolvedDiscrepancies": 0,
       "meanTimeToResolveHours": None, "returnedUnits": 1, "returnRate": 0.1}


def camel(card: dict) -> dict:
    from djangorestframework_camel_case.util import camelize

    return camelize(card)


@pytest.mark.parametrize("in_sql", [
    pytest.param(False, id="portable"),
    pytest.param(True, id="percentile_cont", marks=pytest.mark.postgres)])
def test_hand_computed_march_matches_to_the_unit(march, in_sql):
    result = camel(scorecards(principal=BRAND_VIEW, in_sql=in_sql, **MARCH))
    assert result["from"] == "2026-03-01" and result["to"] == "2026-03-31"
    assert result["suppliers"] == [SCA, SCB]
    assert result["retailPartners"] == [RCA, RCB]


def test_the_api_gives_each_partner_its_own_card_only(march, make_caller):
    query = "/api/v1/analytics/scorecards?from=2026-03-01&to=2026-03-31"
    brand = make_caller("brand").get(query).json()
    assert brand == {"from": "2026-03-01", "to": "2026-03-31", "suppliers": [SCA, SCB], "retailPartners": [RCA, RCB]}
    assert make_caller("supplier", "SCA").get(query).json()["suppliers"] == [SCA]
    assert make_caller("supplier", "SCA").get(query).json()["retailPartners"] == []
    assert make_caller("retailer", "RCB").get(query).json() == {
        "from": "2026-03-01", "to": "2026-03-31", "suppliers": [], "retailPartners": [RCB]}
    idle = make_caller("supplier", "SCC").get(query).json()["suppliers"]
    assert [(c["supplierId"], c["orders"], c["fillRate"], c["slowestStep"]) for c in idle] == [("SCC", 0, None, None)]


def test_bad_periods_are_400s_naming_the_parameter(march, make_caller):
    brand = make_caller("brand")
    for query, fields in (("from=2026-03-31&to=2026-03-01", {"from"}), ("from=03/01/2026", {"from"}),
                          ("from=2026-02-30&to=x", {"from", "to"}), ("since=2026-01-01", {"since"}),
                          ("from=2020-01-01&to=2026-03-01", {"from"})):
        response = brand.get(f"/api/v1/analytics/scorecards?{query}")
        assert response.status_code == 400, query
        assert {e["field"] for e in problem(response)["errors"]} == fields, query
    default = brand.get("/api/v1/analytics/scorecards").json()
    today = timezone.now().date()
    assert (default["from"], default["to"]) == (str(today - timedelta(days=29)), str(today))


def test_percentile_follows_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([6.5, 24.0, 36.0], 0.9) == pytest.approx(33.6)


def bulk_world(n: int) -> date:
    """``n`` orders with shipments, every 10th with a discrepancy, every 20th with a return: bulk inserts only."""
    w = World()
    now = timezone.now()
    suppliers, retailers = [w.s1, w.s2, w.s3], [w.r1, w.r2, w.r3]
    orders = Order.objects.bulk_create([
        Order(supplier=suppliers[i % 3], retail_partner=retailers[i % 3], status="delivered",
              requested_delivery_date=now.date() + timedelta(days=1)) for i in range(n)])
    lines = OrderLine.objects.bulk_create([OrderLine(order=o, product=w.product, quantity=10, shipped_quantity=10)
                                           for o in orders])
    shipments = Shipment.objects.bulk_create([
        Shipment(order=o, supplier=o.supplier, retail_partner=o.retail_partner, status="delivered",
                 shipped_at=now + timedelta(hours=i % 48), delivered_at=now + timedelta(hours=48 + i % 24))
        for i, o in enumerate(orders)])
    ShipmentLine.objects.bulk_create([
        ShipmentLine(shipment=s, order_line=line, product=w.product, batch=w.batch, warehouse=w.lot.warehouse,
                     lot=w.lot, quantity=10) for s, line in zip(shipments, lines, strict=True)])
    Discrepancy.objects.bulk_create([
        Discrepancy(kind="shortage", status="resolved", resolution="credit", supplier=o.supplier,
                    retail_partner=o.retail_partner, order=o, opened_by_kind="retailer", opened_at=now,
                    due_at=now, closed_at=now + timedelta(hours=i % 7)) for i, o in enumerate(orders[::10])])
    returns = Return.objects.bulk_create([Return(supplier=o.supplier, retail_partner=o.retail_partner, order=o)
                                          for o in orders[::20]])
    ReturnLine.objects.bulk_create([ReturnLine(ret=r, product=w.product, batch=w.batch, quantity=1,
                                               reason="damaged") for r in returns])
    return now.date()


@pytest.mark.parametrize("n", [10, 10_000])
def test_the_query_count_is_the_same_for_10_and_10000_orders(db, n, django_assert_num_queries):
    today = bulk_world(n)
    with django_assert_num_queries(2 * QUERIES_PER_SIDE):
        result = scorecards(principal=BRAND_VIEW, date_from=today, date_to=today)
    assert sum(card["orders"] for card in result["suppliers"]) == n
    assert sum(card["shipped_units"] for card in result["retail_partners"]) == 10 * n
    assert sum(card["discrepancies"] for card in result["suppliers"]) == len(range(0, n, 10))
    assert sum(card["returned_units"] for card in result["suppliers"]) == len(range(0, n, 20))
    supplier_only = Principal(kind="supplier", scopes=frozenset(SCOPES), supplier_id=result and
                              Order.objects.values_list("supplier_id", flat=True).first())
    with django_assert_num_queries(QUERIES_PER_SIDE + 1):  # + its own code
        mine = scorecards(principal=supplier_only, date_from=today, date_to=today)
    assert len(mine["suppliers"]) == 1 and mine["retail_partners"] == []
    if ON_POSTGRES:  # both percentile paths agree on the big set too
        portable = scorecards(principal=BRAND_VIEW, date_from=today, date_to=today, in_sql=False)
        assert portable == result


def test_the_staff_dashboard_draws_the_scorecards_as_svg_charts(db, client):
    bulk_world(12)  # 12 orders created now: 4 per supplier, all shipped complete
    Discrepancy.objects.filter(retail_partner__code="RCA").update(status="rejected")
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    page = client.get("/admin/dashboard/").content.decode()
    fill = re.search(r'<svg id="scorecard-fill-rate".*?</svg>', page, re.S).group(0)
    assert re.findall(r'data-value="(\d+)"', fill) == ["100", "100", "100"]
    assert [label for label in ("SCA", "SCB", "SCC") if f">{label}<" in fill] == ["SCA", "SCB", "SCC"]
    ship = re.search(r'<svg id="scorecard-order-to-ship".*?</svg>', page, re.S).group(0)
    assert len(re.findall(r'<rect class="bar"', ship)) == 3
    disc = re.search(r'<svg id="scorecard-discrepancies".*?</svg>', page, re.S).group(0)
    # Orders 0 and 10 have discrepancies: retailers RCA (rejected: not counted) and RCB (1 per 40 units).
    assert re.findall(r'data-value="(\d+)"', disc) == ["25", "0", "0"]
    assert 'id="scorecard-suppliers"' in page and "shipToDeliver (48.0 h)" in page
