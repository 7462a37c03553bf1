"""If-Match on a physical count: strong comparison, ``*`` and lists as RFC 9110 13.1.1 says."""

from __future__ import annotations

import pytest

from hotsauce.errors import PreconditionFailed
from inventory.api import parse_if_match

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"
BODY = {"reason": "cycle count", "lots": [{"warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406",
                                           "inventoryLevel": 480}]}


@pytest.mark.parametrize("header,parsed", [
    ('"3"', frozenset({3})), ('W/"3"', frozenset()), ('"1", W/"3", "7"', frozenset({1, 7})),
    ('"1","2"', frozenset({1, 2})), (' "4" ,, "5" ', frozenset({4, 5})), ("*", "*"), ('"abc"', frozenset()),
    ('"a,b", "9"', frozenset({9})),
])
def test_if_match_parses_to_the_strong_versions_it_accepts(header, parsed):
    assert parse_if_match(header) == parsed


@pytest.mark.parametrize("header", ["3", '"3', '"3" "4"', "W/3", '"3";'])
def test_a_malformed_if_match_is_a_precondition_failure(header):
    with pytest.raises(PreconditionFailed):
        parse_if_match(header)


def _count(caller, if_match: str):
    return caller.patch(ITEM, BODY, headers={"If-Match": if_match})


def test_a_weak_etag_never_matches(supplier_caller):
    version = supplier_caller.get(ITEM).json()["version"]
    refused = _count(supplier_caller, f'W/"{version}"')
    assert refused.status_code == 412 and refused.json()["code"] == "precondition_failed"
    assert supplier_caller.get(ITEM).json()["version"] == version


def test_a_list_matches_when_any_strong_tag_does(supplier_caller):
    version = supplier_caller.get(ITEM).json()["version"]
    assert _count(supplier_caller, f'"{version + 5}", W/"{version}"').status_code == 412
    done = _count(supplier_caller, f'"{version + 5}", "{version}"')
    assert done.status_code == 200 and done["ETag"] == f'"{version + 1}"'


def test_a_star_matches_any_existing_item(supplier_caller):
    version = supplier_caller.get(ITEM).json()["version"]
    done = _count(supplier_caller, "*")
    assert done.status_code == 200 and done["ETag"] == f'"{version + 1}"'
    assert supplier_caller.patch("/api/v1/inventory/SUP123/NOSUCHSAUCE", BODY,
                                 headers={"If-Match": "*"}).status_code == 404
