"""Partners and API clients in the admin: credentials shown once, never the stored hash."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from partners.models import ApiClient, ApiKey, AuthAuditLog, TradingRelationship
from partners.staff_roles import AUDITOR
from tests.conftest import obtain_token

ADD_CLIENT = "/admin/partners/apiclient/add/"


@pytest.fixture
def superuser_client(sandbox):
    user = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def shown_secret(page: str, element_id: str = "client-secret") -> str:
    match = re.search(rf'<code id="{element_id}">([^<]+)</code>', page)
    assert match, "no credential on the page"
    return match.group(1)


def test_creating_a_client_shows_its_secret_once_and_the_secret_works(superuser_client):
    response = superuser_client.post(ADD_CLIENT, {"kind": "retailer", "retail_partner": _retailer_pk("RETAIL456"),
                                                  "name": "FreshMart POS",
                                                  "allowed_scopes": ["inventory:read", "orders:read"]})
    assert response.status_code == 200
    page = response.content.decode()
    secret = shown_secret(page)
    client = ApiClient.objects.get(name="FreshMart POS")
    assert client.kind == "retailer" and client.retail_partner.code == "RETAIL456"
    assert client.scope_set == {"inventory:read", "orders:read"}
    assert client.client_secret != secret  # only a hash is stored
    token = obtain_token(APIClient(), client.client_id, secret)
    assert token["scope"].split() == ["inventory:read", "orders:read"] or set(token["scope"].split()) == {
        "inventory:read", "orders:read"}
    assert AuthAuditLog.objects.filter(event="secret_shown", client=client).exists()

    change = superuser_client.get(f"/admin/partners/apiclient/{client.pk}/change/").content.decode()
    assert secret not in change and client.client_secret not in change
    listing = superuser_client.get("/admin/partners/apiclient/").content.decode()
    assert client.client_secret not in listing


def test_scopes_may_be_sent_as_one_oauth_string(superuser_client):
    response = superuser_client.post(ADD_CLIENT, {"kind": "brand", "name": "ERP",
                                                  "allowed_scopes": "orders:read events:read"})
    assert response.status_code == 200 and shown_secret(response.content.decode())
    assert ApiClient.objects.get(name="ERP").scope_set == {"orders:read", "events:read"}


def test_a_client_may_be_created_with_an_api_key_instead(superuser_client):
    response = superuser_client.post(ADD_CLIENT, {"kind": "supplier", "supplier": _supplier_pk("SUP123"),
                                                  "with_api_key": "on"})
    key = shown_secret(response.content.decode())
    assert key.startswith("hsk_")
    stored = ApiKey.objects.get()
    assert key not in superuser_client.get(f"/admin/partners/apikey/{stored.pk}/change/").content.decode()
    assert stored.key_hash not in superuser_client.get(f"/admin/partners/apikey/{stored.pk}/change/").content.decode()
    answer = APIClient().get("/api/v1/inventory", HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert answer.status_code == 200


def test_a_client_that_breaks_the_kind_rules_is_refused_and_nothing_is_created(superuser_client):
    before = ApiClient.objects.count()
    response = superuser_client.post(ADD_CLIENT, {"kind": "retailer", "retail_partner": _retailer_pk("RETAIL456"),
                                                  "allowed_scopes": ["inventory:write"]})
    assert response.status_code == 200
    assert "may not hold" in response.content.decode()
    assert ApiClient.objects.count() == before


def test_issuing_a_new_api_key_from_the_list_shows_it_once(superuser_client, make_caller):
    caller = make_caller("supplier", "SUP123")
    response = superuser_client.post("/admin/partners/apiclient/",
                                     {"action": "issue_api_key", "_selected_action": [caller.client.pk]})
    key = re.search(r'<code class="api-key">([^<]+)</code>', response.content.decode()).group(1)
    assert APIClient().get("/api/v1/inventory", HTTP_AUTHORIZATION=f"ApiKey {key}").status_code == 200


def test_deactivating_a_client_revokes_its_tokens(superuser_client, make_caller):
    caller = make_caller("supplier", "SUP123")
    assert caller.get("/api/v1/inventory").status_code == 200
    superuser_client.post("/admin/partners/apiclient/", {"action": "deactivate",
                                                          "_selected_action": [caller.client.pk]})
    assert caller.get("/api/v1/inventory").status_code == 401


def test_trading_relationships_are_managed_from_the_admin(superuser_client, make_caller):
    retailer = make_caller("retailer", "RETAIL456")
    assert retailer.get("/api/v1/inventory/SUP123/HOTSAUCE789").status_code == 200
    relationship = TradingRelationship.objects.get(supplier__code="SUP123", retail_partner__code="RETAIL456")
    superuser_client.post("/admin/partners/tradingrelationship/",
                          {"action": "deactivate", "_selected_action": [relationship.pk]})
    assert retailer.get("/api/v1/inventory/SUP123/HOTSAUCE789").status_code == 404


def test_an_auditor_cannot_create_clients(sandbox):
    user = User.objects.create_user("aud", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=AUDITOR))
    client = Client()
    client.force_login(user)
    before = ApiClient.objects.count()
    assert client.get(ADD_CLIENT).status_code == 403
    assert client.post(ADD_CLIENT, {"kind": "brand"}).status_code == 403
    assert ApiClient.objects.count() == before


def _retailer_pk(code):
    from partners.models import RetailPartner

    return RetailPartner.objects.get(code=code).pk


def _supplier_pk(code):
    from partners.models import Supplier

    return Supplier.objects.get(code=code).pk
