"""POST /api/v1/retailPartners/{retailPartnerId}/sellThrough."""

import pytest

from inventory.models import SellThroughReport
from tests.conftest import problem

URL = "/api/v1/retailPartners/RETAIL456/sellThrough"
REPORT = {"date": "2026-11-01", "lines": [{"productId": "HOTSAUCE789", "unitsSold": 12, "onHand": 30},
                                          {"productId": "HOTSAUCE101", "unitsSold": 0, "onHand": 8}]}


def test_retailer_reports_its_sell_through(retailer_caller):
    response = retailer_caller.post(URL, REPORT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["retailPartnerId"] == "RETAIL456" and body["date"] == "2026-11-01"
    assert body["lines"] == REPORT["lines"]
    rows = SellThroughReport.objects.order_by("product__sku")
    assert [(r.product.sku, r.units_sold, r.on_hand) for r in rows] == [("HOTSAUCE101", 0, 8),
                                                                        ("HOTSAUCE789", 12, 30)]


def test_re_reporting_a_day_replaces_it(retailer_caller):
    retailer_caller.post(URL, REPORT)
    again = {"date": "2026-11-01", "lines": [{"productId": "HOTSAUCE789", "unitsSold": 15, "onHand": 27}]}
    assert retailer_caller.post(URL, again).status_code == 201
    row = SellThroughReport.objects.get(product__sku="HOTSAUCE789")
    assert (row.units_sold, row.on_hand) == (15, 27)
    assert SellThroughReport.objects.count() == 2
    other_day = {"date": "2026-11-02", "lines": [{"productId": "HOTSAUCE789", "unitsSold": 3, "onHand": 24}]}
    assert retailer_caller.post(URL, other_day).status_code == 201
    assert SellThroughReport.objects.filter(product__sku="HOTSAUCE789").count() == 2


def test_idempotency_key_replays_the_first_answer(retailer_caller):
    first = retailer_caller.post(URL, REPORT, key="st-1")
    second = retailer_caller.post(URL, REPORT, key="st-1")
    assert second.status_code == 201 and second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    changed = dict(REPORT, date="2026-11-02")
    assert retailer_caller.post(URL, changed, key="st-1").status_code == 422


def test_a_retailer_cannot_report_for_another(retailer_caller):
    response = retailer_caller.post("/api/v1/retailPartners/RETAIL500/sellThrough", REPORT)
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"
    assert not SellThroughReport.objects.exists()


@pytest.mark.parametrize("caller", ["supplier_caller", "brand_caller"])
def test_only_retailers_report_sell_through(caller, request):
    response = request.getfixturevalue(caller).post(URL, REPORT)
    assert response.status_code == 403
    assert not SellThroughReport.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"date": "2026-11-01", "lines": [{"productId": "NOPE", "unitsSold": 1, "onHand": 1}]}, "lines[0].productId"),
    ({"date": "2026-11-01", "lines": [{"productId": "HOTSAUCE789", "unitsSold": "5", "onHand": 1}]},
     "lines[0].unitsSold"),
    ({"date": "2026-11-01", "lines": [{"productId": "HOTSAUCE789", "unitsSold": -1, "onHand": 1}]},
     "lines[0].unitsSold"),
    ({"date": "2026-11-01", "lines": [{"productId": "HOTSAUCE789", "unitsSold": 1}]}, "lines[0].onHand"),
    ({"date": "01/11/2026", "lines": REPORT["lines"]}, "date"),
    ({"date": "2999-01-01", "lines": REPORT["lines"]}, "date"),
    ({"date": "2026-11-01", "lines": []}, "lines"),
    ({"date": "2026-11-01", "lines": REPORT["lines"], "store": "x"}, "store"),
    ({"date": "2026-11-01", "lines": [REPORT["lines"][0], REPORT["lines"][0]]}, "lines[1].productId"),
])
def test_bad_reports_are_400_and_change_nothing(retailer_caller, body, field):
    response = retailer_caller.post(URL, body)
    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in problem(response)["errors"]]
    assert not SellThroughReport.objects.exists()
