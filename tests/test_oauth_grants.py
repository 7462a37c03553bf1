"""/oauth/token/ grants client_credentials only; revocation is per client; tokens hashed and cached."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from partners.models import ApiClient, AuthAuditLog
from partners.services import api_client_create, api_client_deactivate
from partners.tokens import token_resolve
from tests.conftest import obtain_token, token_request

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("ops", "ops@example.com", "correct horse battery")


def _answer(response) -> tuple[int, bytes, str | None]:
    return response.status_code, response.content, response.get("Content-Type")


def test_the_password_grant_answers_the_same_for_a_right_and_a_wrong_staff_password(sandbox, staff):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    answers = []
    for password in ("correct horse battery", "wrong", ""):
        for basic in ((creds["clientId"], creds["clientSecret"]), (creds["clientId"], "wrong-secret"), None):
            response = token_request(APIClient(), {"grant_type": "password", "username": "ops",
                                                   "password": password}, basic=basic)
            answers.append(_answer(response))
    assert len(set(answers)) == 1
    status, body, _type = answers[0]
    assert status == 400 and json.loads(body)["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("data", [
    {"grant_type": "authorization_code", "code": "abc", "redirect_uri": "https://example.com"},
    {"grant_type": "refresh_token", "refresh_token": "abc"},
    {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x"},
    {"grant_type": "CLIENT_CREDENTIALS"},
    [("grant_type", "client_credentials"), ("grant_type", "password")],
])
def test_every_other_grant_gets_the_same_error_whatever_the_request_holds(sandbox, data):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    body = urlencode(data)
    basic = "Basic " + base64.b64encode(f"{creds['clientId']}:{creds['clientSecret']}".encode()).decode()
    response = APIClient().post("/oauth/token/", body, content_type="application/x-www-form-urlencoded",
                                HTTP_AUTHORIZATION=basic)
    reference = token_request(APIClient(), {"grant_type": "password", "username": "x", "password": "y"})
    assert _answer(response) == _answer(reference)
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.TOKEN_REFUSED, detail="unsupported_grant_type",
                                       client_identifier=creds["clientId"]).exists()


def test_no_password_guessing_through_the_token_endpoint_even_with_many_tries(sandbox, staff, fresh_cache):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    answers = {_answer(token_request(APIClient(), {"grant_type": "password", "username": "ops", "password": guess},
                                     basic=(creds["clientId"], creds["clientSecret"])))
               for guess in ["a", "b", "correct horse battery", "c"]}
    assert len(answers) == 1


# --- revocation ----------------------------------------------------------------------------------


def _revoke(client_creds: dict, token: str):
    basic = base64.b64encode(f"{client_creds['clientId']}:{client_creds['clientSecret']}".encode()).decode()
    return APIClient().post("/oauth/revoke_token/", urlencode({"token": token}),
                            content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=f"Basic {basic}")


def test_a_client_cannot_revoke_another_clients_token(sandbox):
    _victim, victim_creds = api_client_create(kind="supplier", partner_code="SUP123")
    _other, other_creds = api_client_create(kind="supplier", partner_code="SUP400")
    token = obtain_token(APIClient(), victim_creds["clientId"], victim_creds["clientSecret"])["access_token"]
    refused = _revoke(other_creds, token)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    assert APIClient().get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.TOKEN_REVOKED, client_identifier=other_creds["clientId"])
    assert entry.success is False and "another client" in entry.detail


def test_revoking_ones_own_token_takes_effect_on_the_very_next_call_despite_the_cache(sandbox, fresh_cache):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert http.get(ITEM).status_code == 200  # now cached
    with CaptureQueriesContext(connection) as queries:
        assert token_resolve(token) is not None
    assert not [q for q in queries.captured_queries if "oauth2_provider_accesstoken" in q["sql"]]
    done = _revoke(creds, token)
    assert done.status_code == 200
    assert http.get(ITEM).status_code == 401
    assert _revoke(creds, "no-such-token").status_code == 200  # RFC 7009: unknown tokens are no error


def test_deactivating_a_client_refuses_its_cached_tokens_at_once(sandbox, fresh_cache):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    assert APIClient().get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    api_client_deactivate(client=client)
    assert APIClient().get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_an_allowlist_change_in_the_admin_applies_to_cached_tokens_at_once(sandbox, staff, fresh_cache):
    from django.test import Client

    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    assert APIClient(REMOTE_ADDR="192.0.2.1").get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    browser = Client()
    browser.force_login(staff)
    client.refresh_from_db()
    changed = browser.post(f"/admin/partners/apiclient/{client.pk}/change/", {
        "name": client.name, "allowed_scopes": client.allowed_scopes, "allowed_ips": "10.9.0.0/24",
        "rate_limit": "", "api_keys-TOTAL_FORMS": "0", "api_keys-INITIAL_FORMS": "0"})
    assert changed.status_code == 302, [line for line in changed.content.decode().splitlines() if "error" in line][:20]
    assert APIClient(REMOTE_ADDR="192.0.2.1").get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


# --- tokens stored hashed ------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_looked_up_by_hash(sandbox):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    stored = AccessToken.objects.get(application=client)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert stored.token == digest
    assert stored.token_checksum == hashlib.sha256(digest.encode()).hexdigest()
    assert token not in json.dumps(list(AccessToken.objects.values()), default=str)
    # The stored value is not a bearer token.
    assert APIClient().get(ITEM, HTTP_AUTHORIZATION=f"Bearer {stored.token}").status_code == 401


def test_a_client_introspects_its_own_hashed_token(sandbox):
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])["access_token"]
    basic = "Basic " + base64.b64encode(f"{creds['clientId']}:{creds['clientSecret']}".encode()).decode()
    response = APIClient().post("/oauth/introspect/", urlencode({"token": token}),
                                content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=basic)
    assert response.status_code == 200 and response.json()["active"] is True


def test_a_secret_under_the_old_slow_hasher_still_works_and_is_rehashed(sandbox, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    ApiClient.objects.filter(pk=client.pk).update(
        client_secret=make_password(creds["clientSecret"], hasher="pbkdf2_sha256"))
    obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])
    client.refresh_from_db()
    assert client.client_secret.startswith("client_secret_pbkdf2$")
    obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])


# --- the token endpoint's own rate limits --------------------------------------------------------


def test_token_requests_are_limited_per_client_with_retry_after(sandbox, settings, fresh_cache):
    settings.TOKEN_RATE_LIMIT = "3/min"
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    _other, other_creds = api_client_create(kind="supplier", partner_code="SUP400")
    statuses = [token_request(APIClient(REMOTE_ADDR=f"192.0.2.{i}"), {"grant_type": "client_credentials"},
                              basic=(creds["clientId"], creds["clientSecret"])) for i in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[-1].json()["error"] == "slow_down" and 1 <= int(statuses[-1]["Retry-After"]) <= 60
    assert obtain_token(APIClient(REMOTE_ADDR="192.0.2.1"), other_creds["clientId"], other_creds["clientSecret"])


def test_token_requests_are_limited_per_address(sandbox, settings, fresh_cache):
    settings.TOKEN_ADDRESS_RATE_LIMIT = "3/min"
    clients = [api_client_create(kind="supplier", partner_code="SUP123")[1] for _ in range(4)]
    statuses = [token_request(APIClient(REMOTE_ADDR="203.0.113.3"), {"grant_type": "client_credentials"},
                              basic=(c["clientId"], c["clientSecret"])).status_code for c in clients]
    assert statuses == [200, 200, 200, 429]
    assert token_request(APIClient(REMOTE_ADDR="203.0.113.4"), {"grant_type": "client_credentials"},
                         basic=(clients[3]["clientId"], clients[3]["clientSecret"])).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_token_storm_from_one_client_is_refused_cheaply_and_another_tenant_is_served(settings, sandbox):
    """48 parallel token requests from one client while another tenant calls the API (real threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from partners.oauth import AuditingValidator

    settings.TOKEN_RATE_LIMIT = "5/min"
    cache.clear()
    _storm_client, storm = api_client_create(kind="supplier", partner_code="SUP123")
    tenant, tenant_creds = api_client_create(kind="retailer", partner_code="RETAIL456")
    tenant_token = obtain_token(APIClient(), tenant_creds["clientId"], tenant_creds["clientSecret"])["access_token"]
    checked = []
    original = AuditingValidator._check_secret

    def counting(self, provided, stored):
        checked.append(1)
        return original(self, provided, stored)

    AuditingValidator._check_secret = counting

    def mint(index):
        try:
            return token_request(APIClient(REMOTE_ADDR=f"10.1.0.{index % 8}"), {"grant_type": "client_credentials"},
                                 basic=(storm["clientId"], storm["clientSecret"])).status_code
        finally:
            connection.close()

    def tenant_call(_):
        try:
            return APIClient().get(ITEM, HTTP_AUTHORIZATION=f"Bearer {tenant_token}").status_code
        finally:
            connection.close()

    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            storm_statuses = pool.map(mint, range(48))
            tenant_statuses = pool.map(tenant_call, range(24))
            storm_statuses, tenant_statuses = list(storm_statuses), list(tenant_statuses)
    finally:
        AuditingValidator._check_secret = original
        cache.clear()
    assert sorted(storm_statuses) == [200] * 5 + [429] * 43
    assert len(checked) == 5  # the refused 43 never reached the (CPU-bound) secret check
    assert tenant_statuses == [200] * 24
    assert AccessToken.objects.filter(application=tenant).count() == 1
