"""Retailers' stock reports against shipped − sold − returned: a stockMismatch beyond the tolerance, once."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection

from inventory.models import Product
from orders.feedback import services
from orders.feedback.models import Discrepancy, StockReport
from orders.feedback.services import reconciliation
from orders.feedback.tasks import stock_reconcile_task
from orders.models import Shipment
from orders.services import (
    LineRequest,
    ReturnLineRequest,
    order_create,
    return_create,
    shipment_create,
    shipment_deliver,
)
from partners.models import RetailPartner, Supplier
from tests.conftest import problem
from webhooks.models import Event

TODAY = date.today()


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def tolerance(settings):
    settings.STOCK_RECONCILIATION_TOLERANCE_UNITS = 2
    settings.STOCK_RECONCILIATION_TOLERANCE_PERCENT = 0
    return settings


def deliver_to(retailer_code: str, quantity: int, *, sold: int = 0, returned: int = 0, days_ago: int = 0):
    """Ship and deliver ``quantity`` of HOTSAUCE789 to a retailer ``days_ago``, report ``sold``, return ``returned``."""
    supplier, retailer = Supplier.objects.get(code="SUP123"), RetailPartner.objects.get(code=retailer_code)
    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=supplier, retail_partner=retailer, lines=[LineRequest(product, quantity)])
    shipment = shipment_deliver(shipment=shipment_create(order=order))
    if days_ago:
        Shipment.objects.filter(pk=shipment.pk).update(delivered_at=shipment.delivered_at - timedelta(days=days_ago))
    if sold:
        from inventory.forecasting import sell_through_report

        sell_through_report(retail_partner=retailer, day=TODAY - timedelta(days=1),
                            lines=[{"product_id": "HOTSAUCE789", "units_sold": sold, "on_hand": 0}])
    if returned:
        return_create(supplier=supplier, retail_partner=retailer, order=order,
                      lines=[ReturnLineRequest(product, "BATCH202406", returned, "damaged")])
    return shipment


def report(retailer_code: str, on_hand: int, day: date = TODAY):
    services.stock_report_submit(retail_partner=RetailPartner.objects.get(code=retailer_code), day=day,
                                 lines=[{"product_id": "HOTSAUCE789", "on_hand": on_hand}])


def mismatches():
    return list(Discrepancy.objects.filter(kind="stockMismatch").order_by("pk").values_list(
        "retail_partner__code", "expected_quantity", "actual_quantity", "quantity", "supplier__code"))


def test_beyond_tolerance_opens_exactly_one_mismatch_within_opens_none_and_a_rerun_adds_nothing(sandbox, tolerance):
    deliver_to("RETAIL456", 20, sold=5, returned=1)  # expected on hand: 20 − 5 − 1 = 14
    deliver_to("RETAIL500", 10, sold=4)  # expected 6
    report("RETAIL456", 17)  # 3 over: beyond 2
    report("RETAIL500", 8)  # 2 over: within
    opened = services.stock_reports_reconcile()
    assert mismatches() == [("RETAIL456", 14, 17, 3, "SUP123")]
    [discrepancy] = opened
    assert (discrepancy.cause, discrepancy.status, discrepancy.stock_report.on_hand) == ("stockReport", "open", 17)
    assert "received 20, sold 5, returned 1" in discrepancy.description
    assert services.stock_reports_reconcile() == [] and stock_reconcile_task() == 0
    assert len(mismatches()) == 1
    event = Event.objects.get(type="discrepancy.opened")
    assert sorted(event.audience.values_list("partner_kind", flat=True)) == ["retailer", "supplier"]
    assert event.data["reportDate"] == TODAY.isoformat() and event.data["kind"] == "stockMismatch"


def test_only_the_latest_report_counts_and_a_judged_report_is_never_judged_again(sandbox, tolerance):
    deliver_to("RETAIL456", 20, days_ago=3)
    report("RETAIL456", 5, TODAY - timedelta(days=2))  # an old, wrong count
    report("RETAIL456", 20, TODAY - timedelta(days=1))
    assert services.stock_reports_reconcile() == []
    report("RETAIL456", 30, TODAY - timedelta(days=1))  # the day reported again
    assert len(services.stock_reports_reconcile()) == 1
    # Resolved, but the same report still differs: it was judged once, it stays judged.
    Discrepancy.objects.update(status="resolved", resolution="noAction")
    assert services.stock_reports_reconcile() == []
    # The next day's report may open the next mismatch.
    report("RETAIL456", 31)
    services.stock_reports_reconcile()
    assert [row[2] for row in mismatches()] == [30, 31]


def test_an_active_mismatch_holds_back_the_next_one_for_that_retailer_and_product(sandbox, tolerance):
    deliver_to("RETAIL456", 20, days_ago=2)
    report("RETAIL456", 30, TODAY - timedelta(days=1))
    services.stock_reports_reconcile()
    report("RETAIL456", 31)
    assert services.stock_reports_reconcile() == []
    assert len(mismatches()) == 1


def test_counted_receipts_replace_shipped_quantities_and_in_transit_goods_do_not_count(
        sandbox, tolerance, make_caller):
    shipment = deliver_to("RETAIL456", 20)
    make_caller("retailer", "RETAIL456").post(f"/api/v1/shipments/{shipment.code}/receipt", {"lines": [
        {"productId": "HOTSAUCE789", "batchNumber": "BATCH202406", "receivedQuantity": 16}]}, key=key())
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"),
                         lines=[LineRequest(Product.objects.get(sku="HOTSAUCE789"), 50)])
    shipment_create(order=order)  # in transit: not on the retailer's shelves yet
    report("RETAIL456", 16)
    assert services.stock_reports_reconcile() == []
    report("RETAIL456", 19)
    services.stock_reports_reconcile()
    assert mismatches() == [("RETAIL456", 16, 19, 3, "SUP123")]


def test_the_percentage_tolerance_applies_when_it_is_larger(sandbox, settings):
    settings.STOCK_RECONCILIATION_TOLERANCE_UNITS = 2
    settings.STOCK_RECONCILIATION_TOLERANCE_PERCENT = 10
    deliver_to("RETAIL456", 100)
    report("RETAIL456", 90)  # 10 short of 100: within 10 %
    assert services.stock_reports_reconcile() == []
    report("RETAIL456", 89)
    services.stock_reports_reconcile()
    assert mismatches() == [("RETAIL456", 100, 89, 11, "SUP123")]


def test_a_product_never_delivered_names_no_supplier(sandbox, tolerance):
    report("RETAIL456", 9)
    [discrepancy] = services.stock_reports_reconcile()
    assert discrepancy.supplier_id is None and discrepancy.expected_quantity == 0
    event = Event.objects.get(type="discrepancy.opened")
    assert list(event.audience.values_list("partner_kind", "partner_id")) == [
        ("retailer", discrepancy.retail_partner_id)]


def test_the_job_is_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["feedback-stock-reconcile"]
    assert entry["task"] == stock_reconcile_task.name == "feedback.stock_reconcile"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_open_one_mismatch(sandbox, tolerance, monkeypatch):
    deliver_to("RETAIL456", 20)
    report("RETAIL456", 40)
    original = reconciliation.stock_report_candidates
    both_read = threading.Barrier(2, timeout=20)

    def candidates_then_wait():
        found = list(original())
        both_read.wait()  # both runs hold the same candidate before either inserts
        return found

    monkeypatch.setattr(reconciliation, "stock_report_candidates", candidates_then_wait)
    results, errors = [], []

    def run():
        try:
            results.append(len(services.stock_reports_reconcile()))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(results) == [0, 1]
    assert len(mismatches()) == 1
    assert Event.objects.filter(type="discrepancy.opened").count() == 1


def test_stock_reports_api_is_the_retailers_own_and_replaces_a_day(retailer_caller, make_caller):
    path = "/api/v1/retailPartners/RETAIL456/stockReports"
    body = {"date": TODAY.isoformat(), "lines": [{"productId": "HOTSAUCE789", "onHand": 12}]}
    response = retailer_caller.post(path, body, key=key())
    assert response.status_code == 201, response.content
    assert response.json() == {"retailPartnerId": "RETAIL456", "date": TODAY.isoformat(),
                               "lines": [{"productId": "HOTSAUCE789", "onHand": 12}]}
    body["lines"][0]["onHand"] = 11
    assert retailer_caller.post(path, body, key=key()).status_code == 201
    assert list(StockReport.objects.values_list("on_hand", flat=True)) == [11]
    assert make_caller("retailer", "RETAIL500").post(path, body, key=key()).status_code == 404
    assert make_caller("supplier", "SUP123").post(path, body, key=key()).status_code == 403
    bad = retailer_caller.post(path, {"date": (TODAY + timedelta(days=5)).isoformat(), "lines": [
        {"productId": "NOPE", "onHand": -1}]}, key=key())
    assert bad.status_code == 400
    assert {e["field"] for e in problem(bad)["errors"]} == {"date", "lines[0].onHand"}
    twice = retailer_caller.post(path, {"date": TODAY.isoformat(), "lines": [
        {"productId": "HOTSAUCE789", "onHand": 1}, {"productId": "HOTSAUCE789", "onHand": 2},
        {"productId": "NOPE", "onHand": 2}]}, key=key())
    assert {e["field"] for e in problem(twice)["errors"]} == {"lines[1].productId", "lines[2].productId"}
    assert list(StockReport.objects.values_list("on_hand", flat=True)) == [11]
