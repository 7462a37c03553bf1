"""No 500 on any route for anything a client sends (issue 12).

Every /api/v1/ route is taken from the URLconf (tests/test_tenancy_matrix.py ``api_routes``),
called by a brand, a supplier and a retailer client with hostile path parameters, tampered
cursors and odd body shapes. Every answer must be below 500, and every 4xx a problem.
"""

from __future__ import annotations

import json
import uuid

from tests.test_tenancy_matrix import BRAND, OWNER, RETAILER, ROUTES, api_routes, view_methods, world  # noqa: F401

CALLERS = (BRAND, OWNER, RETAILER)
PATH_VALUES = ["%00", "A%01B", "x%7F", "%F0%9F%8C%B6", "-1", "9" * 30, "..%2F..%2Fetc", "'%20OR%201=1--", "A" * 300]
CURSORS = ["cD14", "%00", "not-base64!", "cj0xJnA9JTAw", "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="]
BODIES = [
    b"[]", b'"text"', b"123", b"null", b"{", b'{"a": 1}{', b"\xff\xfe", b"{}",
    json.dumps({"lines": "x", "quantity": "many", "supplierId": 5, "productId": [], "date": "yesterday"}).encode(),
    json.dumps({"lines": [None, 1, {"quantity": 10**30}], "quantity": 10**30, "version": -1}).encode(),
    json.dumps({"name": "x" * 10_000, "attributes": {"a" * 500: {"b": [1, 2]}}, "eventTypes": {}}).encode(),
    b'{"quantity": 1e999, "version": NaN}',
    ("[" * 5000 + "]" * 5000).encode(),
    b'{"name": "a\\u0000b", "reason": "\\ud800"}',
]


def _url(route: str, fill) -> str:
    parts = []
    for part in route.split("/"):
        parts.append(fill(part) if part.startswith("<") else part)
    return "/api/v1/" + "/".join(parts)


def _check(failures: list, who: str, method: str, url: str, response) -> None:
    status = response.status_code
    if status >= 500:
        failures.append(f"{who} {method} {url[:120]}: {status} {response.content[:200]!r}")
    elif status >= 400 and not response["Content-Type"].startswith("application/problem+json") \
            and "/oauth/" not in url:
        failures.append(f"{who} {method} {url[:120]}: {status} is not a problem ({response['Content-Type']})")


def _send(http, method: str, url: str, body: bytes | None = None):
    headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {}
    if method == "GET":
        return http.get(url)
    return getattr(http, method.lower())(url, body if body is not None else b"{}", content_type="application/json",
                                         headers=headers)


def _real_args(route: str, world) -> dict:  # noqa: F811 (the fixture's value)
    entry = ROUTES.get(route)
    args = entry.args(world) if entry and callable(entry.args) else ((entry.args if entry else None) or {})
    return {str(k): str(v) for k, v in args.items()}


def _filled(route: str, args: dict) -> str:
    return _url(route, lambda part: args.get(part.strip("<>").split(":")[-1], "X1"))


def test_no_route_answers_500_to_hostile_input(world):  # noqa: F811
    routes = api_routes()
    failures: list[str] = []
    for route, callback in sorted(routes.items()):
        methods = [m for m in view_methods(route, callback) if m != "?"] or ["GET"]
        args = _real_args(route, world)
        for who in CALLERS:
            http = world.callers[who].http
            for method in methods:
                if "<" in route:
                    for value in PATH_VALUES:
                        url = _url(route, lambda _part, v=value: v)
                        _check(failures, who, method, url, _send(http, method, url))
                if route == "events/stream":
                    continue  # an endless stream: its parameters are checked in tests/test_events_feed.py
                url = _filled(route, args)
                if method == "GET":
                    for cursor in CURSORS:
                        _check(failures, who, method, url, _send(http, method, f"{url}?cursor={cursor}"))
                else:
                    for body in BODIES:
                        _check(failures, who, method, url, _send(http, method, url, body))
    assert not failures, f"{len(failures)} answers were 500s or not problems:\n  " + "\n  ".join(failures[:60])
