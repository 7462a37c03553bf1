"""camelCase keys, as ``djangorestframework_camel_case.util.camelize`` makes them, at a fraction of its cost.

The library runs a regular expression on every key of every answer and every event; the keys are
the same few hundred names over and over, so each is converted once and remembered (issue 19: the
library's walk was 14 % of a reservation's CPU). Same keys, same values, same nesting, and the same
``ignore_fields`` option (``attributes``: the brand's own keys, kept as written).
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.encoding import force_str
from django.utils.functional import Promise
from djangorestframework_camel_case.util import camelize_re, is_iterable, underscore_to_camel
from rest_framework.utils.serializer_helpers import ReturnDict

_SCALARS = (str, int, float, bool, type(None))


@lru_cache(maxsize=8192)
def camel_key(key: str) -> str:
    return camelize_re.sub(underscore_to_camel, key) if "_" in key else key


def camelize(data, ignore_fields: tuple | frozenset = ()):
    """``data`` with every dict key camelCased (dicts, lists, tuples and other iterables, nested)."""
    if isinstance(data, _SCALARS):
        return data
    if isinstance(data, Promise):
        return force_str(data)
    if isinstance(data, dict):
        return _dict(data, ignore_fields)
    if isinstance(data, (list, tuple)) or is_iterable(data):
        return [camelize(item, ignore_fields) for item in data]
    return data


def _dict(data: dict, ignore_fields) -> dict:
    out = ReturnDict(serializer=data.serializer) if isinstance(data, ReturnDict) else {}
    for key, value in data.items():
        if isinstance(key, Promise):
            key = force_str(key)
        new_key = camel_key(key) if isinstance(key, str) else key
        skip = ignore_fields and (key in ignore_fields or new_key in ignore_fields)
        out[new_key] = value if skip else camelize(value, ignore_fields)
    return out
