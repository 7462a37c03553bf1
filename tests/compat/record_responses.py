"""Record a response of every list and detail GET route, as each kind of caller sees it.

The recording was made once from ``main`` *before* brand-defined attributes (issue 20)
existed, and committed as ``tests/compat/recorded_responses.json``. ``tests/test_attributes_compat.py``
checks that every one of those old answers still validates against today's OpenAPI schema and
that today's answers have the same shape, plus the new ``attributes`` key only.

It is not collected by the suite (its name does not start with ``test_``). To record again::

    RECORD_COMPAT=1 .venv/bin/python -m pytest tests/compat/record_responses.py -p no:cacheprovider -q

The world it reads is the tenancy matrix's (``tests/test_tenancy_matrix.py``): SUP123 and its
trading retailer RETAIL456 with orders, shipments, returns, webhooks, sell-through and alerts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_tenancy_matrix import (  # noqa: F401  (world is a fixture)
    BRAND,
    OWNER,
    RETAILER,
    ROUTES,
    api_routes,
    expected,
    view_allowed_kinds,
    view_methods,
    world,
)

OUT = Path(__file__).with_name("recorded_responses.json")
CALLERS = (BRAND, OWNER, RETAILER)
LIST_LIMIT = 20


def get_routes() -> list[str]:
    """Every route answering GET with JSON (the SSE stream is text/event-stream)."""
    return sorted(route for route, callback in api_routes().items()
                  if "GET" in view_methods(route, callback) and not ROUTES[route].stream)


def fill(route: str, args: dict) -> str:
    url = "/api/v1/" + route
    for name, value in args.items():
        segment = next(p for p in route.split("/") if p.endswith(f":{name}>"))
        url = url.replace(segment, str(value))
    assert "<" not in url, url
    return url


def record(world) -> list[dict]:  # noqa: F811  (the fixture, passed in)
    records = []
    for route in get_routes():
        callback = api_routes()[route]
        scope = view_methods(route, callback)["GET"]
        entry = ROUTES[route]
        args = entry.args(world) if callable(entry.args) else (entry.args or {})
        url = fill(route, args)
        for caller in CALLERS:
            if expected(route, "GET", caller, scope, view_allowed_kinds(route, callback)) != {200}:
                continue
            needed = getattr(entry, "query", "")  # a query string the route needs to answer at all
            query = "?after=0&limit=50" if route == "events" else (f"?{needed}" if needed else "")
            if _is_page(world.callers[caller].get(url + query)):
                query = f"?{needed}&limit={LIST_LIMIT}" if needed else f"?limit={LIST_LIMIT}"
            response = world.callers[caller].get(url + query)
            assert response.status_code == 200, (caller, url, response.content[:300])
            if not response["Content-Type"].startswith("application/json"):
                continue  # labels (PDF, PNG) and raw EDI documents are not JSON resources
            records.append({"route": route, "method": "get", "caller": caller, "path": url + query,
                            "status": response.status_code, "body": response.json()})
    return records


def _is_page(response) -> bool:
    json_answer = response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json() if json_answer else None
    return isinstance(body, dict) and {"next", "previous", "results"} <= set(body)


@pytest.mark.skipif(not os.environ.get("RECORD_COMPAT"), reason="records fixtures only when RECORD_COMPAT=1")
def test_record_responses(world):  # noqa: F811
    records = record(world)
    OUT.write_text(json.dumps(records, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"recorded {len(records)} responses of {len(get_routes())} routes to {OUT}")
