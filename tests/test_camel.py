"""``hotsauce.api.camel.camelize`` gives what the library's ``camelize`` gives, on any JSON-like data."""

from __future__ import annotations

import json

from djangorestframework_camel_case import util
from hypothesis import given, settings
from hypothesis import strategies as st

from hotsauce.api.camel import camelize

KEYS = st.one_of(st.sampled_from(["on_hand", "item_version", "a_1", "_x", "x_", "already", "ab__cd", "limitedEdition",
                                  "gtin_14", "sscc_18_code", "attributes"]),
                 st.text(alphabet="ab_01Z", max_size=8))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
                    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_same_keys_values_and_nesting_as_the_library(data):
    assert json.dumps(camelize(data)) == json.dumps(util.camelize(data))


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_ignore_fields_as_the_library(data):
    options = ("attributes",)
    assert json.dumps(camelize(data, options)) == json.dumps(util.camelize(data, ignore_fields=options))


def test_tuples_and_keys_converted_once():
    assert camelize({"lot_codes": ({"batch_number": 1},)}) == {"lotCodes": [{"batchNumber": 1}]}
    assert camelize({"attributes": {"heat_level": 3}}, ("attributes",)) == {"attributes": {"heat_level": 3}}
