"""Shared fixtures: real OAuth clients and tokens, the sandbox, PostgreSQL-only marking."""

from __future__ import annotations

import base64
import io
import os
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from rest_framework.test import APIClient

from partners.services import api_client_create

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# The token endpoint's per-address budget (120/min by default) is counted in the shared cache, and
# every test and every live server a test starts asks for tokens from 127.0.0.1: a whole suite asks
# for far more than 120 a minute. Servers started by tests inherit this environment; the test process
# gets the same through ``_isolated_rate_limits``. The token-limit tests set their own budgets.
os.environ.setdefault("TOKEN_RATE_LIMIT", "100000/min")
os.environ.setdefault("TOKEN_ADDRESS_RATE_LIMIT", "100000/min")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI must run on PostgreSQL: set DATABASE_URL (the postgres-marked tests need it).")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _stream_listener_stopped(django_db_setup):
    # A stream opened in this process (PostgreSQL) starts the LISTEN thread; its connection
    # must be gone before the test database is dropped.
    yield
    from webhooks.streaming import HUB

    HUB.stop()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Staff passwords are PBKDF2-hashed in production; that costs ~1 s per sign-in in tests.
    # Client secrets keep their own (cheap) hasher, which must stay registered.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "partners.hashers.ClientSecretHasher"]


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings):
    # Counters are keyed by client pk, which repeats across rolled-back tests; a high
    # default keeps unrelated tests from tripping limits set by the rate-limit tests.
    settings.API_RATE_LIMIT = "100000/min"
    settings.TOKEN_RATE_LIMIT = settings.TOKEN_ADDRESS_RATE_LIMIT = "100000/min"


class Caller:
    """An API client acting as one partner, authenticated through the real /oauth/token/."""

    def __init__(self, creds: dict, client):
        self.creds = creds
        self.client = client
        self.http = APIClient()
        token = obtain_token(self.http, creds["clientId"], creds["clientSecret"])
        self.token = token["access_token"]
        self.http.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, data=None, key=None, **kw):
        headers = kw.pop("headers", {})
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(path, data, format="json", headers=headers, **kw)

    def patch(self, path, data=None, headers=None, **kw):
        return self.http.patch(path, data, format="json", headers=headers or {}, **kw)

    def put(self, path, data=None, **kw):
        return self.http.put(path, data, format="json", **kw)

    def delete(self, path, **kw):
        return self.http.delete(path, **kw)


def token_request(http: APIClient, data: dict, basic: tuple[str, str] | None = None, **extra):
    """POST /oauth/token/ as an OAuth client library does: form-encoded, optional HTTP Basic."""
    if basic:
        extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    return http.post("/oauth/token/", urlencode(data), content_type="application/x-www-form-urlencoded", **extra)


def obtain_token(http: APIClient, client_id: str, secret: str, scope: str | None = None) -> dict:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = token_request(http, data, basic=(client_id, secret))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def make_caller(db):
    def _make(kind: str, partner: str | None = None, scopes: list[str] | None = None) -> Caller:
        client, creds = api_client_create(kind=kind, partner_code=partner, scopes=scopes)
        return Caller(creds, client)

    return _make


@pytest.fixture
def sandbox(db):
    """The seed_demo sandbox (SUP123, RETAIL456, HOTSAUCE789, Warehouse_A, BATCH202406, ...).

    Without the 90 days of demand history: most tests build the demand they reason about
    themselves. ``sandbox_with_history`` is the sandbox exactly as ``make run`` loads it.
    """
    call_command("seed_demo", "--no-history", stdout=io.StringIO())


@pytest.fixture
def sandbox_with_history(db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def supplier_caller(sandbox, make_caller):
    return make_caller("supplier", "SUP123")


@pytest.fixture
def other_supplier_caller(sandbox, make_caller):
    return make_caller("supplier", "SUP400")


@pytest.fixture
def retailer_caller(sandbox, make_caller):
    return make_caller("retailer", "RETAIL456")


@pytest.fixture
def unrelated_retailer_caller(sandbox, make_caller):
    return make_caller("retailer", "RETAIL700")


@pytest.fixture
def brand_caller(sandbox, make_caller):
    return make_caller("brand")


def problem(response) -> dict:
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == response.status_code
    return body
