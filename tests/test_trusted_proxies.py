"""Forwarding headers are believed only from TRUSTED_PROXIES: allowlists, lockouts, limits and audit."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from hotsauce.proxies import TrustedProxyMiddleware, client_ip
from partners.models import AuthAuditLog
from partners.services import api_client_create
from tests.conftest import token_request

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"
PROXY = "172.16.0.1"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("2001:db8:1::/48")]


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_trusted_proxies_the_header_is_ignored_even_from_loopback(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip("127.0.0.1", "10.20.3.4") == "127.0.0.1"
    assert _ip("198.51.100.9", "10.20.3.4, 127.0.0.1") == "198.51.100.9"


def test_from_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(behind_proxy):
    # The client wrote "10.20.3.4" itself; our proxies appended what they saw.
    assert _ip(PROXY, "10.20.3.4, 192.0.2.7") == "192.0.2.7"
    assert _ip(PROXY, "10.20.3.4, 192.0.2.7, 172.16.5.5") == "192.0.2.7"  # two of our proxies
    assert _ip(PROXY, "") == PROXY
    assert _ip(PROXY, "garbage, 192.0.2.7") == "192.0.2.7"
    assert _ip(PROXY, "192.0.2.7, garbage") == PROXY  # a malformed hop ends what can be believed
    assert _ip(PROXY, "[2001:db8::7]:443") == "2001:db8::7"
    assert _ip("::ffff:172.16.0.1", "192.0.2.8") == "192.0.2.8"  # IPv4-mapped peer
    assert _ip("192.0.2.50", "10.20.3.4") == "192.0.2.50"  # not our proxy


def test_a_bad_trusted_proxies_setting_is_refused_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,not-a-network"}
    result = subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault("
                             "'DJANGO_SETTINGS_MODULE', 'hotsauce.settings'); django.setup()"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr


def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("172.16.0.0/12")]
    seen = []
    middleware = TrustedProxyMiddleware(lambda request: seen.append(request.is_secure()))
    middleware(RequestFactory().get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https"))
    middleware(RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https"))
    assert seen == [False, True]


# --- API-key allowlist ---------------------------------------------------------------------------


@pytest.fixture
def allowlisted_key(sandbox):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True,
                                      allowed_ips="10.20.0.0/16")
    return client, creds["apiKey"]


def test_a_spoofed_forwarded_for_does_not_pass_an_api_key_allowlist_and_the_audit_names_the_peer(
        allowlisted_key, settings):
    settings.TRUSTED_PROXIES = []
    client, key = allowlisted_key
    response = APIClient(REMOTE_ADDR="127.0.0.1").get(ITEM, HTTP_AUTHORIZATION=f"ApiKey {key}",
                                                      HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert response.status_code == 401
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.IP_REFUSED, client=client)
    assert entry.ip == "127.0.0.1"


def test_through_a_trusted_proxy_the_forwarded_address_opens_the_allowlist_and_is_audited(
        allowlisted_key, behind_proxy):
    _client, key = allowlisted_key
    allowed = APIClient(REMOTE_ADDR=PROXY).get(ITEM, HTTP_AUTHORIZATION=f"ApiKey {key}",
                                               HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert allowed.status_code == 200
    refused = APIClient(REMOTE_ADDR=PROXY).get(ITEM, HTTP_AUTHORIZATION=f"ApiKey {key}",
                                               HTTP_X_FORWARDED_FOR="10.20.3.4, 192.0.2.7")
    assert refused.status_code == 401
    assert AuthAuditLog.objects.get(event=AuthAuditLog.Event.IP_REFUSED).ip == "192.0.2.7"


# --- OAuth client allowlist (token endpoint and calls) ---------------------------------------------


def test_a_spoofed_forwarded_for_does_not_pass_an_oauth_client_allowlist(sandbox, settings):
    settings.TRUSTED_PROXIES = []
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", allowed_ips="10.9.0.0/24")
    spoofed = token_request(APIClient(REMOTE_ADDR="127.0.0.1"), {"grant_type": "client_credentials"},
                            basic=(creds["clientId"], creds["clientSecret"]), HTTP_X_FORWARDED_FOR="10.9.0.5")
    assert spoofed.status_code == 401 and spoofed.json()["error"] == "invalid_client"
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.IP_REFUSED, client=client)
    assert entry.ip == "127.0.0.1"


def test_through_a_trusted_proxy_the_oauth_client_allowlist_sees_the_forwarded_address(sandbox, behind_proxy):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", allowed_ips="10.9.0.0/24")
    http = APIClient(REMOTE_ADDR=PROXY)
    issued = token_request(http, {"grant_type": "client_credentials"},
                           basic=(creds["clientId"], creds["clientSecret"]), HTTP_X_FORWARDED_FOR="10.9.0.5")
    assert issued.status_code == 200, issued.content
    assert AuthAuditLog.objects.get(event=AuthAuditLog.Event.TOKEN_ISSUED, client=client).ip == "10.9.0.5"
    token = issued.json()["access_token"]
    assert http.get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_FORWARDED_FOR="10.9.0.5").status_code == 200
    assert http.get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 401


# --- lockouts ------------------------------------------------------------------------------------


def test_rotating_a_spoofed_forwarded_for_does_not_escape_the_admin_lockout(db, settings, fresh_cache):
    from django.contrib.auth import get_user_model

    settings.TRUSTED_PROXIES = []
    settings.ADMIN_LOGIN_MAX_FAILURES = 3
    get_user_model().objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    browser = Client(REMOTE_ADDR="203.0.113.50")
    for index in range(3):
        response = browser.post("/admin/login/", {"username": "ops", "password": "wrong"},
                                HTTP_X_FORWARDED_FOR=f"198.51.100.{index}")
        assert response.status_code == 200
    locked = browser.post("/admin/login/", {"username": "ops", "password": "correct horse battery"},
                          HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert locked.status_code == 429
    ips = set(AuthAuditLog.objects.filter(client_identifier="ops").values_list("ip", flat=True))
    assert ips == {"203.0.113.50"}


def test_behind_a_trusted_proxy_the_admin_lockout_is_per_forwarded_address(db, behind_proxy, settings, fresh_cache):
    from django.contrib.auth import get_user_model

    settings.ADMIN_LOGIN_MAX_FAILURES = 2
    get_user_model().objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    browser = Client(REMOTE_ADDR=PROXY)
    for _ in range(2):
        browser.post("/admin/login/", {"username": "ops", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert browser.post("/admin/login/", {"username": "ops", "password": "correct horse battery"},
                        HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    colleague = browser.post("/admin/login/", {"username": "ops", "password": "correct horse battery"},
                             HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert colleague.status_code == 302
    assert AuthAuditLog.objects.filter(client_identifier="ops", ip="203.0.113.5").exists()


def test_rotating_a_spoofed_forwarded_for_does_not_escape_the_token_lockout(sandbox, settings, fresh_cache):
    settings.TRUSTED_PROXIES = []
    settings.TOKEN_FAILURE_LIMIT = 3
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    http = APIClient(REMOTE_ADDR="203.0.113.7")
    for index in range(3):
        wrong = token_request(http, {"grant_type": "client_credentials"}, basic=(creds["clientId"], "wrong"),
                              HTTP_X_FORWARDED_FOR=f"198.51.100.{index}")
        assert wrong.status_code == 401
    locked = token_request(http, {"grant_type": "client_credentials"}, basic=(creds["clientId"], creds["clientSecret"]),
                           HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert locked.status_code == 429
    assert set(AuthAuditLog.objects.filter(client_identifier=creds["clientId"]).values_list("ip", flat=True)) == {
        "203.0.113.7"}


def test_a_spoofed_forwarded_for_does_not_get_a_fresh_anonymous_budget(sandbox, settings, fresh_cache):
    settings.TRUSTED_PROXIES = []
    settings.API_ANON_RATE_LIMIT = "3/min"
    statuses = [APIClient(REMOTE_ADDR="203.0.113.9").get("/api/v1/suppliers",
                                                         HTTP_X_FORWARDED_FOR=f"198.51.100.{index}").status_code
                for index in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_metrics_allowlist_ignores_a_spoofed_forwarded_for(db, settings):
    settings.TRUSTED_PROXIES = []
    settings.METRICS_BEARER_TOKEN = ""
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("203.0.113.9/32")]
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
