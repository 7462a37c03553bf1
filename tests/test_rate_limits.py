"""Per-client rate limits on the shared cache, with RateLimit headers on every answer."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from partners.models import ApiClient
from partners.services import api_client_create, api_key_create
from tests.conftest import problem

POLICY = re.compile(r'^"[a-z]+";q=(\d+);w=(\d+)$')
STATE = re.compile(r'^"[a-z]+";r=(\d+);t=(\d+)$')


@pytest.fixture
def five_per_minute(settings, db):
    settings.API_RATE_LIMIT = "5/min"
    cache.clear()
    yield
    cache.clear()


def headers(response) -> tuple[int, int, int, int]:
    policy, state = POLICY.match(response["RateLimit-Policy"]), STATE.match(response["RateLimit"])
    assert policy and state, (response["RateLimit-Policy"], response["RateLimit"])
    return int(policy[1]), int(policy[2]), int(state[1]), int(state[2])


def test_the_sixth_call_in_a_minute_is_a_429_problem_while_another_client_is_unaffected(
        five_per_minute, supplier_caller, retailer_caller):
    remaining = []
    for _ in range(5):
        response = supplier_caller.get("/api/v1/suppliers")
        assert response.status_code == 200
        limit, window, left, reset = headers(response)
        assert (limit, window) == (5, 60) and 0 < reset <= 60
        remaining.append(left)
    assert remaining == [4, 3, 2, 1, 0]

    sixth = supplier_caller.get("/api/v1/suppliers")
    assert sixth.status_code == 429
    body = problem(sixth)
    assert body["code"] == "rate_limited"
    assert 1 <= int(sixth["Retry-After"]) <= 60
    assert headers(sixth)[:3] == (5, 60, 0)
    assert sixth["X-Request-Id"]

    other = retailer_caller.get("/api/v1/suppliers")
    assert other.status_code == 200
    assert headers(other)[2] == 4


def test_the_limit_follows_the_client_not_the_address_nor_the_credential(five_per_minute, sandbox):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    key_one, _ = api_key_create(client=client)
    key_two, _ = api_key_create(client=client)
    statuses = []
    for index in range(6):
        key = key_one if index % 2 else key_two
        http = APIClient(REMOTE_ADDR=f"10.0.0.{index + 1}")
        statuses.append(http.get("/api/v1/suppliers", HTTP_AUTHORIZATION=f"ApiKey {key}").status_code)
    assert statuses == [200] * 5 + [429]
    # Another partner calling from the very same address keeps its own budget.
    _other, other_creds = api_client_create(kind="supplier", partner_code="SUP400", with_api_key=True)
    same_ip = APIClient(REMOTE_ADDR="10.0.0.6")
    assert same_ip.get("/api/v1/suppliers", HTTP_AUTHORIZATION=f"ApiKey {other_creds['apiKey']}").status_code == 200


def test_a_per_client_override_replaces_the_default(five_per_minute, sandbox, make_caller):
    caller = make_caller("supplier", "SUP123")
    ApiClient.objects.filter(pk=caller.client.pk).update(rate_limit="8/min")
    statuses = [caller.get("/api/v1/suppliers").status_code for _ in range(9)]
    assert statuses == [200] * 8 + [429]


def test_refused_and_failing_calls_carry_the_headers_too(five_per_minute, sandbox, make_caller):
    caller = make_caller("retailer", "RETAIL456", scopes=["catalog:read"])
    forbidden = caller.get("/api/v1/inventory/SUP123/HOTSAUCE789")
    assert forbidden.status_code == 403
    assert headers(forbidden)[:3] == (5, 60, 4)
    missing = caller.get("/api/v1/suppliers/NOPE")
    assert missing.status_code == 404
    assert headers(missing)[2] == 3
    anonymous = APIClient().get("/api/v1/suppliers")
    assert anonymous.status_code == 401
    assert "RateLimit" in anonymous and "RateLimit-Policy" in anonymous


def test_calls_to_forbidden_operations_use_up_the_budget(five_per_minute, sandbox, make_caller):
    caller = make_caller("retailer", "RETAIL456", scopes=["catalog:read"])
    for _ in range(5):
        assert caller.get("/api/v1/inventory/SUP123/HOTSAUCE789").status_code == 403
    assert caller.get("/api/v1/suppliers").status_code == 429


def test_counters_live_in_the_shared_cache_so_every_process_sees_them(five_per_minute, supplier_caller):
    for _ in range(5):
        assert supplier_caller.get("/api/v1/suppliers").status_code == 200
    keys = [k for k in _cache_keys() if f"client:{supplier_caller.client.pk}" in k] if _cache_keys() else None
    if keys is not None:
        assert keys
    # A fresh HTTP client (as another web process would be) is refused as well.
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {supplier_caller.token}")
    assert fresh.get("/api/v1/suppliers").status_code == 429


def _cache_keys() -> list[str] | None:
    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return [k.decode() for k in client.get_client().keys("*ratelimit*")]


def test_a_bad_rate_setting_is_refused_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "API_RATE_LIMIT": "lots"}
    result = subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault("
                             "'DJANGO_SETTINGS_MODULE', 'hotsauce.settings'); django.setup()"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "API_RATE_LIMIT" in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_never_exceed_the_limit_on_redis(settings, sandbox):
    """Many threads (as many web processes would) share one budget: exactly the limit gets through."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("atomic counting is promised on Redis; the database cache may lose a count")
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    settings.API_RATE_LIMIT = "10/min"
    cache.clear()
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True)

    def one_call(_):
        try:
            http = APIClient()
            return http.get("/api/v1/suppliers", HTTP_AUTHORIZATION=f"ApiKey {creds['apiKey']}").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one_call, range(24)))
    assert sorted(statuses) == [200] * 10 + [429] * 14
    cache.clear()


def test_the_event_stream_answers_429_when_the_budget_is_spent(five_per_minute, supplier_caller):
    from tests.test_tenancy_matrix import api_routes

    if "events/stream" not in api_routes():
        pytest.skip("no stream route")
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    for _ in range(5):
        assert supplier_caller.get("/api/v1/suppliers").status_code == 200

    async def open_stream():
        return await AsyncClient().get("/api/v1/events/stream",
                                       headers={"Authorization": f"Bearer {supplier_caller.token}"})

    response = async_to_sync(open_stream)()
    assert response.status_code == 429
    assert problem(response)["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert headers(response)[:3] == (5, 60, 0)
