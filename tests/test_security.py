"""Kind rules for scopes, principals, permission audit, secrets hygiene, OAuth IP allowlists, admin login."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve
from rest_framework.test import APIClient

from hotsauce.errors import ValidationFailed
from partners.models import ApiClient, AuthAuditLog
from partners.principal import Principal
from partners.scopes import KIND_SCOPES, SCOPES
from partners.services import api_client_create
from tests.conftest import obtain_token, problem, token_request

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


# --- kind rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("scope", sorted(set(SCOPES) - KIND_SCOPES["retailer"]))
def test_a_retailer_client_cannot_be_created_with_a_scope_its_kind_may_not_hold(sandbox, scope):
    before = ApiClient.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        api_client_create(kind="retailer", partner_code="RETAIL456", scopes=["catalog:read", scope])
    assert caught.value.errors[0]["field"] == "scopes"
    assert ApiClient.objects.count() == before


def test_an_admin_edit_giving_a_forbidden_scope_fails_validation(sandbox):
    client, _ = api_client_create(kind="retailer", partner_code="RETAIL456")
    client.allowed_scopes += " inventory:write"
    with pytest.raises(ValidationError) as caught:
        client.full_clean(exclude=["client_secret"])
    assert "allowed_scopes" in caught.value.message_dict


@pytest.mark.parametrize("field,value", [("allowed_scopes", "catalog:read nonsense:scope"),
                                         ("allowed_ips", "10.0.0.0/8,not-an-ip"),
                                         ("rate_limit", "lots")])
def test_an_admin_edit_with_malformed_values_fails_validation(sandbox, field, value):
    client, _ = api_client_create(kind="supplier", partner_code="SUP123")
    setattr(client, field, value)
    with pytest.raises(ValidationError) as caught:
        client.full_clean(exclude=["client_secret"])
    assert field in caught.value.message_dict


def test_a_forbidden_scope_slipped_into_the_database_is_never_granted(sandbox):
    client, creds = api_client_create(kind="retailer", partner_code="RETAIL456")
    ApiClient.objects.filter(pk=client.pk).update(allowed_scopes=client.allowed_scopes + " inventory:write")
    refused = token_request(APIClient(), {"grant_type": "client_credentials", "scope": "inventory:write"},
                            basic=(creds["clientId"], creds["clientSecret"]))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    token = obtain_token(APIClient(), creds["clientId"], creds["clientSecret"])
    assert "inventory:write" not in token["scope"].split()
    entry = AuthAuditLog.objects.filter(event=AuthAuditLog.Event.TOKEN_REFUSED, client=client).get()
    assert "invalid_scope" in entry.detail


def test_an_unknown_client_is_refused_and_audited(db):
    response = token_request(APIClient(), {"grant_type": "client_credentials"}, basic=("nobody", "nothing"))
    assert response.status_code == 401
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.TOKEN_REFUSED, client=None,
                                       client_identifier="nobody").exists()


# --- principals and permission audit --------------------------------------------------------


def test_request_user_is_a_principal_for_every_credential(supplier_caller, sandbox):
    seen = []
    from hotsauce.api.permissions import ScopePermission

    original = ScopePermission.has_permission

    def spy(self, request, view):
        seen.append(request.user)
        return original(self, request, view)

    ScopePermission.has_permission = spy
    try:
        assert supplier_caller.get(ITEM).status_code == 200
        _c, creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True)
        assert APIClient().get(ITEM, HTTP_AUTHORIZATION=f"ApiKey {creds['apiKey']}").status_code == 200
    finally:
        ScopePermission.has_permission = original
    assert [type(p) for p in seen] == [Principal, Principal]
    assert [p.credential for p in seen] == ["oauth", "api_key"]
    assert all(p.kind == "supplier" and p.client is not None for p in seen)


def test_permission_denied_is_audited_with_client_ip_path_and_outcome(sandbox, make_caller):
    caller = make_caller("retailer", "RETAIL456", scopes=["catalog:read"])
    response = caller.get(ITEM, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 403
    assert problem(response)["code"] == "insufficient_scope"
    entry = AuthAuditLog.objects.get(event=AuthAuditLog.Event.PERMISSION_DENIED)
    assert (entry.client, entry.ip, entry.path, entry.method, entry.success) == (
        caller.client, "198.51.100.4", ITEM, "GET", False)
    assert entry.at is not None and "inventory:read" in entry.detail


def test_a_kind_refused_operation_is_403_and_audited(retailer_caller):
    response = retailer_caller.post("/api/v1/suppliers", {"supplierId": "SUPX", "name": "X"})
    assert response.status_code == 403
    assert problem(response)["code"] in ("permission_denied", "insufficient_scope")
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.PERMISSION_DENIED,
                                       client=retailer_caller.client).exists()


def test_a_view_without_declared_scopes_refuses_everyone(supplier_caller):
    from hotsauce.api.views import ApiView

    class Undeclared(ApiView):
        def get(self, request):  # pragma: no cover - must never run
            raise AssertionError("reached")

    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/undeclared", HTTP_AUTHORIZATION=f"Bearer {supplier_caller.token}")
    response = Undeclared.as_view()(request)
    assert response.status_code == 403


# --- OAuth client IP allowlists ---------------------------------------------------------------


def test_an_oauth_client_with_an_allowlist_is_refused_elsewhere_for_tokens_and_calls(sandbox):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", allowed_ips="10.9.0.0/24")
    refused = token_request(APIClient(REMOTE_ADDR="192.0.2.1"), {"grant_type": "client_credentials"},
                            basic=(creds["clientId"], creds["clientSecret"]))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    http = APIClient(REMOTE_ADDR="10.9.0.5")
    token = obtain_token(http, creds["clientId"], creds["clientSecret"])["access_token"]
    assert http.get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    stolen = APIClient(REMOTE_ADDR="192.0.2.1").get(ITEM, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert stolen.status_code == 401
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.IP_REFUSED, client=client).count() == 2


# --- secrets are never logged nor returned after creation -------------------------------------


def test_client_secrets_api_keys_and_tokens_never_reach_logs_audit_or_later_responses(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    _kc, key_creds = api_client_create(kind="supplier", partner_code="SUP123", with_api_key=True,
                                       allowed_ips="10.1.0.0/16")
    secret, key = creds["clientSecret"], key_creds["apiKey"]
    http = APIClient()
    token = obtain_token(http, creds["clientId"], secret)["access_token"]
    bodies = []
    for auth in (f"Bearer {token}", f"ApiKey {key}", f"Bearer {token}x", f"ApiKey {key}x"):
        for path in ("/api/v1/suppliers", ITEM, "/api/v1/inventory/transactions", "/api/v1/nowhere"):
            bodies.append(APIClient(REMOTE_ADDR="10.1.2.3").get(path, HTTP_AUTHORIZATION=auth).content)
    bodies.append(APIClient(REMOTE_ADDR="192.0.2.9").get(ITEM, HTTP_AUTHORIZATION=f"ApiKey {key}").content)
    bodies.append(token_request(APIClient(), {"grant_type": "client_credentials", "client_id": creds["clientId"],
                                              "client_secret": secret + "x"}).content)
    bodies.append(APIClient().get("/api/schema/").content)
    audit = json.dumps(list(AuthAuditLog.objects.values()), default=str)
    key_secret = key.split("_", 2)[2]
    for value in (secret, key_secret, token):
        assert value not in caplog.text
        assert value not in audit
        assert all(value.encode() not in body for body in bodies)
    assert not ApiClient.objects.filter(client_secret=secret).exists()  # hashed at rest


def test_webhook_secrets_are_shown_on_creation_only(supplier_caller, settings):
    if resolve_or_none("/api/v1/webhooks") is None:
        pytest.skip("webhooks routes not installed yet")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    created = supplier_caller.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "eventTypes": ["*"]},
                                   key="wh-1")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    hook_id = created.json()["id"]
    for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{hook_id}", f"/api/v1/webhooks/{hook_id}/deliveries"):
        assert secret.encode() not in supplier_caller.get(path).content


def resolve_or_none(path):
    from django.urls import Resolver404

    try:
        return resolve(path)
    except Resolver404:
        return None


# --- admin sign-in throttling -------------------------------------------------------------------


def test_admin_sign_in_is_locked_after_repeated_failures_for_that_user_and_address(db, settings):
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    settings.ADMIN_LOGIN_MAX_FAILURES = 3
    get_user_model().objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    browser = Client(REMOTE_ADDR="203.0.113.50")
    cache.clear()
    for _ in range(3):
        response = browser.post("/admin/login/", {"username": "ops", "password": "wrong"})
        assert response.status_code == 200
    locked = browser.post("/admin/login/", {"username": "ops", "password": "correct horse battery"})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    # Another address is not locked out by the attacker's failures.
    elsewhere = Client(REMOTE_ADDR="203.0.113.99")
    ok = elsewhere.post("/admin/login/", {"username": "ops", "password": "correct horse battery"})
    assert ok.status_code == 302
    rows = AuthAuditLog.objects.filter(event=AuthAuditLog.Event.ADMIN_SIGN_IN, client_identifier="ops")
    assert [(r.success, r.ip) for r in rows.order_by("id")] == [(False, "203.0.113.50")] * 4 + [(True, "203.0.113.99")]
    assert rows.filter(success=True).get().user.username == "ops"


def test_the_admin_requires_a_staff_login(db):
    from django.test import Client

    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- staff stock changes ------------------------------------------------------------------------


def test_a_staff_stock_change_through_the_api_is_audited_with_its_outcome(sandbox):
    from django.contrib.auth import get_user_model

    # A superuser holds every staff role's write scopes (partners/staff_roles.py).
    staff = get_user_model().objects.create_superuser("clerk", "clerk@example.com", "pw-long-enough-1")
    http = APIClient(REMOTE_ADDR="198.51.100.20")
    http.force_login(staff)
    done = http.post(ITEM, {"type": "reservation", "quantity": 3}, format="json", headers={"Idempotency-Key": "s-1"})
    assert done.status_code == 201, done.content
    refused = http.post(ITEM, {"type": "reservation", "quantity": 10**6}, format="json",
                        headers={"Idempotency-Key": "s-2"})
    assert refused.status_code == 409
    assert http.get(ITEM).status_code == 200  # reads are not stock changes
    entries = list(AuthAuditLog.objects.filter(event=AuthAuditLog.Event.STAFF_STOCK_CHANGE).order_by("id"))
    assert [(e.user, e.success, e.ip, e.path, e.method) for e in entries] == [
        (staff, True, "198.51.100.20", ITEM, "POST"), (staff, False, "198.51.100.20", ITEM, "POST")]
    assert "inventory:write" in entries[0].detail


def test_client_calls_are_not_recorded_as_staff_changes(supplier_caller):
    assert supplier_caller.post(ITEM, {"type": "reservation", "quantity": 1}, key="c-1").status_code == 201
    assert not AuthAuditLog.objects.filter(event=AuthAuditLog.Event.STAFF_STOCK_CHANGE).exists()


def test_repeated_wrong_secrets_lock_that_client_out_at_that_address_only(sandbox, settings):
    from django.core.cache import cache

    settings.TOKEN_FAILURE_LIMIT = 3
    cache.clear()
    _client, creds = api_client_create(kind="supplier", partner_code="SUP123")
    http = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        wrong = token_request(http, {"grant_type": "client_credentials"}, basic=(creds["clientId"], "wrong"))
        assert wrong.status_code == 401
    locked = token_request(http, {"grant_type": "client_credentials"}, basic=(creds["clientId"], creds["clientSecret"]))
    assert locked.status_code == 429
    assert locked.json()["error"] == "invalid_client" and int(locked["Retry-After"]) > 0
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.8")
    assert token_request(elsewhere, {"grant_type": "client_credentials"},
                         basic=(creds["clientId"], creds["clientSecret"])).status_code == 200
    assert AuthAuditLog.objects.filter(event=AuthAuditLog.Event.TOKEN_REFUSED,
                                       detail="too many failed attempts").exists()
    cache.clear()


def test_middlewares_work_under_asgi_too(db, settings):
    """The ASGI app serves the API: request ids and the admin sign-in throttle must hold there too."""
    from asgiref.sync import async_to_sync
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import AsyncClient

    settings.ADMIN_LOGIN_MAX_FAILURES = 2
    cache.clear()
    get_user_model().objects.create_superuser("asgi", "asgi@example.com", "correct horse battery")

    async def run():
        client = AsyncClient(REMOTE_ADDR="203.0.113.77")
        echoed = await client.get("/healthz", headers={"X-Request-Id": "trace-123"})
        statuses = [(await client.post("/admin/login/", {"username": "asgi", "password": "nope"})).status_code
                    for _ in range(3)]
        return echoed["X-Request-Id"], statuses

    request_id, statuses = async_to_sync(run)()
    assert request_id == "trace-123"
    assert statuses == [200, 200, 429]
    cache.clear()


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_a_write_to_an_unknown_api_path_is_a_404_problem_not_an_html_csrf_page(supplier_caller, method):
    # Bearer-authenticated API views are CSRF-exempt; the catch-all for unknown paths is not.
    http = APIClient(enforce_csrf_checks=True)  # as a real client: no test-client CSRF exemption
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {supplier_caller.token}")
    response = getattr(http, method)("/api/v1/tradingRelationships/not-a-number", {}, format="json")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


# --- inputs that used to crash ------------------------------------------------------------------


@pytest.mark.parametrize("value,status", [("2024-01-01T00:00:00-18:29", 200), ("2024-01-01T00:00:00%2B17:59", 200),
                                          ("0001-01-01T00:00:00%2B05:00", 400)])
def test_datetime_filters_with_extreme_offsets_never_crash(supplier_caller, value, status):
    response = supplier_caller.get(f"/api/v1/inventory/transactions?createdAfter={value}")
    assert response.status_code == status, response.content
    if status == 400:
        assert problem(response)["errors"][0]["field"] == "createdAfter"


def test_options_describes_an_operation_without_crashing(supplier_caller):
    response = supplier_caller.http.options("/api/v1/products/HOTSAUCE789")
    assert response.status_code == 200
    assert "PUT" in response.json().get("actions", {})


def test_a_replayed_problem_keeps_its_problem_content_type(supplier_caller):
    first = supplier_caller.post("/api/v1/inventory/SUP123/NOSUCHSAUCE", {"type": "reservation", "quantity": 1},
                                 key="replay-problem")
    again = supplier_caller.post("/api/v1/inventory/SUP123/NOSUCHSAUCE", {"type": "reservation", "quantity": 1},
                                 key="replay-problem")
    assert first.status_code == again.status_code == 404
    assert again["Idempotent-Replayed"] == "true"
    assert problem(again)["code"] == "not_found"
