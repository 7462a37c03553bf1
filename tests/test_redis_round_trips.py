"""The hot paths' Redis traffic, counted on a real Redis with MONITOR: one round trip per rate limit."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from hotsauce.shared_redis import redis_client
from partners.services import api_client_create
from tests.conftest import obtain_token

pytestmark = pytest.mark.skipif("redis" not in django_settings.CACHES["default"]["BACKEND"].lower(),
                                reason="needs REDIS_URL (a real Redis); runs in CI")


# A new pooled connection's handshake, and redis-py's health check: a PING before the first command on a
# connection idle for HEALTH_CHECK_INTERVAL (30 s) or more. Both are per connection, not per request, so a
# pool connection left idle by an earlier test may add one PING here without the hot path costing more.
_HANDSHAKE = {"SELECT", "HELLO", "AUTH", "CLIENT", "PING"}


class RedisMonitor:
    """Every command the clients of our Redis database send, as MONITOR reports them."""

    def __init__(self):
        self.client = redis_client()
        self.db = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.marker = f"end-of-capture-{uuid.uuid4().hex}"
        self.commands: list[dict] = []
        self._ready = threading.Event()

    def _run(self):
        with self.client.monitor() as monitor:
            self._ready.set()
            for command in monitor.listen():
                if self.marker in command["command"]:
                    return
                if int(command["db"]) == int(self.db):
                    self.commands.append(command)

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)
        self.client.echo("start")  # MONITOR is live once it reports our own command
        return self

    def __exit__(self, *exc):
        self.client.echo(self.marker)
        self._thread.join(10)
        self.commands = [c for c in self.commands if c["command"] != "ECHO start"]

    def round_trips(self, needle: str = "") -> list[str]:
        """Commands sent by clients (a script's own commands are reported as from 'lua'), without the
        handshake or health check of a pooled connection (MONITOR holds one of the pool's connections)."""
        return [c["command"] for c in self.commands if c.get("client_type") != "lua" and needle in c["command"]
                and c["command"].split(" ", 1)[0] not in _HANDSHAKE]


@pytest.fixture
def fresh_cache(settings):
    cache.clear()
    yield
    cache.clear()


def test_the_rate_limit_is_one_eval_per_request_on_a_reused_client(sandbox, fresh_cache):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"ApiKey {creds['apiKey']}")
    assert http.get("/api/v1/suppliers").status_code == 200  # first call opens the window
    client = redis_client()
    with RedisMonitor() as monitor:
        for _ in range(3):
            response = http.get("/api/v1/suppliers")
            assert response.status_code == 200
    limited = monitor.round_trips("ratelimit")
    assert len(limited) == 3, [c[:20] for c in monitor.round_trips()]
    assert all(command.startswith("EVAL ") for command in limited)
    # API keys are not cached: the limiter is the only Redis traffic of such a call.
    assert len(monitor.round_trips()) == 3
    assert redis_client() is client  # one client per process, not one per call


def test_a_bearer_call_costs_two_round_trips_once_its_token_is_cached(sandbox, fresh_cache):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert http.get("/api/v1/suppliers").status_code == 200  # caches the token
    with RedisMonitor() as monitor:
        assert http.get("/api/v1/suppliers").status_code == 200
    commands = monitor.round_trips()
    assert [c.split(" ", 1)[0] for c in commands] == ["GET", "EVAL"], commands
    assert token not in " ".join(commands)  # keys carry a hash of the token, never the token
