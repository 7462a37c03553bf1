"""API keys: ``Authorization: ApiKey <key>``, hashed at rest, revocable, expiring, IP-allowlisted."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import ApiKey, AuthAuditLog
from partners.services import api_client_create, api_key_create, api_key_revoke
from tests.conftest import problem

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


def key_client(key: str, ip: str = "127.0.0.1") -> APIClient:
    http = APIClient(REMOTE_ADDR=ip)
    http.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    return http


@pytest.fixture
def supplier_key(sandbox):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True,
                                      allowed_ips="10.20.0.0/16,2001:db8::/32")
    return client, creds["apiKey"]


def test_an_api_key_has_a_recognisable_prefix_and_only_its_hash_is_stored(supplier_key):
    client, key = supplier_key
    assert key.startswith("hsk_")
    stored = ApiKey.objects.get(client=client)
    assert key.startswith(f"hsk_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(list(ApiKey.objects.values()), default=str)


def test_an_api_key_from_inside_its_allowlist_reads_like_an_oauth_client(supplier_key):
    _client, key = supplier_key
    response = key_client(key, "10.20.3.4").get(ITEM)
    assert response.status_code == 200, response.content
    assert response.json()["inventoryLevel"] == 500
    assert "RateLimit" in response


def test_an_api_key_used_from_outside_its_allowlist_is_refused_and_audited(supplier_key):
    client, key = supplier_key
    response = key_client(key, "192.0.2.7").get(ITEM)
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.IP_REFUSED, client=client)
    assert entry.success is False
    assert entry.ip == "192.0.2.7"
    assert entry.path == ITEM
    assert entry.method == "GET"
    assert entry.client_identifier.startswith("hsk_") and key not in entry.client_identifier
    assert key.split("_", 2)[2] not in entry.detail


def test_a_forged_forwarded_for_header_does_not_pass_the_allowlist(supplier_key):
    _client, key = supplier_key
    response = key_client(key, "192.0.2.7").get(ITEM, HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert response.status_code == 401


def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(supplier_key, settings):
    _client, key = supplier_key
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("172.16.0.0/12")]
    # The client wrote "10.20.3.4" itself; our proxy appended the address it really saw.
    refused = key_client(key, "172.16.0.1").get(ITEM, HTTP_X_FORWARDED_FOR="10.20.3.4, 192.0.2.7")
    assert refused.status_code == 401
    allowed = key_client(key, "172.16.0.1").get(ITEM, HTTP_X_FORWARDED_FOR="192.0.2.7, 10.20.3.4")
    assert allowed.status_code == 200


def test_a_revoked_key_is_refused_on_the_very_next_call(supplier_key):
    client, key = supplier_key
    http = key_client(key, "10.20.0.9")
    assert http.get(ITEM).status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(client=client))
    response = http.get(ITEM)
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.API_KEY_REFUSED, client=client,
                                       detail="revoked").exists()


def test_an_expired_key_is_refused(sandbox):
    client, _ = api_client_create(kind="supplier", partner_code="SUP123")
    key, _ = api_key_create(client=client, expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(key).get(ITEM)
    assert response.status_code == 401
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.API_KEY_REFUSED, detail="expired").exists()


def test_a_key_not_yet_expired_works(sandbox):
    client, _ = api_client_create(kind="supplier", partner_code="SUP123")
    key, _ = api_key_create(client=client, expires_at=timezone.now() + timedelta(days=1))
    assert key_client(key).get(ITEM).status_code == 200


@pytest.mark.parametrize("header", [
    "ApiKey hsk_000000000000_notarealkeynotarealkeynotarealkeynotarea",
    "ApiKey garbage",
    "ApiKey ",
])
def test_an_unknown_or_malformed_key_is_401_and_audited_without_the_secret(db, header):
    response = APIClient().get("/api/v1/suppliers", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.API_KEY_REFUSED)
    assert "notarealkey" not in entry.client_identifier + entry.detail


def test_a_tampered_secret_with_a_real_prefix_is_refused(supplier_key):
    _client, key = supplier_key
    tampered = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert key_client(tampered, "10.20.0.1").get(ITEM).status_code == 401


def test_an_api_key_is_bound_by_its_clients_scopes_and_tenancy(sandbox):
    _client, creds = api_client_create(kind="retailer", partner_code="RETAIL456", scopes=["catalog:read"],
                                       with_api_key=True)
    http = key_client(creds["apiKey"])
    assert http.get("/api/v1/suppliers").status_code == 200
    denied = http.get(ITEM)
    assert denied.status_code == 403
    assert problem(denied)["code"] == "insufficient_scope"
    # RETAIL700 trades only with SUP400: SUP123's item does not exist for it.
    _c, other = api_client_create(kind="retailer", partner_code="RETAIL700", with_api_key=True)
    assert key_client(other["apiKey"]).get(ITEM).status_code == 404


def test_a_deactivated_client_cannot_use_its_key(supplier_key):
    from partners.services import api_client_deactivate

    client, key = supplier_key
    api_client_deactivate(client=client)
    assert key_client(key, "10.20.0.1").get(ITEM).status_code == 401


def test_use_of_a_key_is_audited_without_a_write_per_call(supplier_key):
    client, key = supplier_key
    http = key_client(key, "10.20.0.1")
    for _ in range(3):
        assert http.get(ITEM).status_code == 200
    used = AuthAuditLog.objects.filter(event=AuthAuditLog.Event.API_KEY_USED, client=client)
    assert used.count() == 1
    assert ApiKey.objects.get(client=client).last_used_at is not None


def test_create_api_client_command_prints_the_key_once_with_its_allowlist(sandbox):
    out = io.StringIO()
    call_command("create_api_client", "--kind", "retailer", "--partner", "RETAIL456", "--api-key",
                 "--allowed-ips", "127.0.0.1/32", stdout=out)
    creds = json.loads(out.getvalue())
    assert creds["apiKey"].startswith("hsk_") and "clientSecret" not in creds
    assert creds["kind"] == "retailer" and creds["partnerId"] == "RETAIL456"
    assert key_client(creds["apiKey"], "127.0.0.1").get("/api/v1/suppliers").status_code == 200
    assert key_client(creds["apiKey"], "127.0.0.2").get("/api/v1/suppliers").status_code == 401


def test_a_bad_allowlist_is_refused_at_creation(sandbox):
    from hotsauce.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True, allowed_ips="10.0.0.0/33")
