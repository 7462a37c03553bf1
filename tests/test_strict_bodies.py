"""The API reads request bodies and queries as strictly as the schema describes them (issue 13).

Found by Schemathesis' negative_data_rejection: DRF coerced ``0``/``1`` to booleans and numbers to
strings, and a form body's empty value to null; each is now a 400 problem naming the field, and
bodies are JSON only (positive_data_acceptance: a form cannot carry the numbers and lists the
schema describes).
"""

import pytest

from inventory.models import InventoryTransaction
from partners.models import TradingRelationship
from tests.conftest import problem

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"
FORM = "application/x-www-form-urlencoded"


def fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    return {error["field"] for error in problem(response)["errors"]}


def test_a_number_for_a_string_field_is_a_400_and_writes_nothing(supplier_caller):
    before = InventoryTransaction.objects.count()
    response = supplier_caller.post(ITEM, {"type": "reservation", "quantity": 1, "reason": 0}, key="reason-0")
    assert fields(response) == {"reason"}
    assert InventoryTransaction.objects.count() == before


def test_a_number_in_a_list_of_strings_is_a_400(brand_caller):
    body = {"key": "channelTier", "label": "Channel tier", "type": "enum", "values": [0],
            "appliesTo": ["retailPartner"], "validFrom": "2026-01-01"}
    assert "values" in fields(brand_caller.post("/api/v1/attributeDefinitions", body, key="values-0"))


def _relationship(brand_caller) -> int:
    created = brand_caller.post("/api/v1/tradingRelationships", {"supplierId": "SUP400",
                                                                 "retailPartnerId": "RETAIL456"})
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def test_0_or_1_for_a_boolean_is_a_400(brand_caller):
    rel_id = _relationship(brand_caller)
    path = f"/api/v1/tradingRelationships/{rel_id}"
    assert fields(brand_caller.patch(path, {"active": 0})) == {"active"}
    assert TradingRelationship.objects.get(pk=rel_id).active is True
    ok = brand_caller.patch(path, {"active": False})
    assert ok.status_code == 200 and ok.json()["active"] is False


@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=x", "text/plain"])
def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(brand_caller, content_type):
    # Bodies are JSON only: a form cannot say 5 rather than "5", or send a list of lines.
    rel_id = _relationship(brand_caller)
    path = f"/api/v1/tradingRelationships/{rel_id}"
    response = brand_caller.http.patch(path, "active=false", content_type=content_type)
    assert response.status_code == 415, response.content
    assert problem(response)["code"] == "unsupported_media_type"
    assert TradingRelationship.objects.get(pk=rel_id).active is True


def test_scorecards_take_no_empty_to(brand_caller):
    assert fields(brand_caller.get("/api/v1/analytics/scorecards?to=")) == {"to"}
    assert brand_caller.get("/api/v1/analytics/scorecards").status_code == 200
