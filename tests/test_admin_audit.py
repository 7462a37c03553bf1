"""Admin sign-ins are audited with the trusted address; people see clients by name, not by raw id."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from partners.models import ApiClient, AuthAuditLog
from partners.services import api_client_create
from tests.conftest import token_request

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


@pytest.fixture
def staff(db):
    cache.clear()
    yield get_user_model().objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    cache.clear()


def test_a_failed_and_a_successful_admin_sign_in_are_both_audit_rows(staff):
    browser = Client(REMOTE_ADDR="198.51.100.30")
    assert browser.post("/admin/login/", {"username": "ops", "password": "wrong"}).status_code == 200
    assert browser.post("/admin/login/", {"username": "ops", "password": "correct horse battery"}).status_code == 302
    rows = list(AuthAuditLog.objects.filter(event=AuthAuditLog.Event.ADMIN_SIGN_IN).order_by("id"))
    assert [(r.success, r.client_identifier, r.ip, r.user) for r in rows] == [
        (False, "ops", "198.51.100.30", None), (True, "ops", "198.51.100.30", staff)]


def test_the_ledger_and_the_admin_name_a_client_never_by_its_raw_id(sandbox, staff):
    client, creds = api_client_create(kind="supplier", partner_code="SUP123", name="Co-packer ERP")
    nameless, nameless_creds = api_client_create(kind="supplier", partner_code="SUP123")
    ApiClient.objects.filter(pk=nameless.pk).update(name="")
    from tests.conftest import Caller

    named, unnamed = Caller(creds, client), Caller(nameless_creds, nameless)
    assert named.post(ITEM, {"type": "reservation", "quantity": 1}, key="n-1").status_code == 201
    assert unnamed.post(ITEM, {"type": "reservation", "quantity": 1}, key="n-2").status_code == 201
    ledger = named.get("/api/v1/inventory/transactions?type=reservation").json()["results"]
    actors = {row["actor"] for row in ledger}
    assert {"Co-packer ERP", "supplier SUP123"} <= actors
    assert not actors & {creds["clientId"], nameless_creds["clientId"]}
    token_request(Client(), {"grant_type": "client_credentials"}, basic=(creds["clientId"], "wrong"))
    browser = Client()
    browser.force_login(staff)
    paths = ("/admin/inventory/inventorytransaction/", "/admin/partners/authauditlog/",
             "/admin/oauth2_provider/accesstoken/")
    pages = [browser.get(path).content.decode() for path in paths]
    assert "Co-packer ERP" in pages[0] and "supplier SUP123" in pages[0]
    assert "Co-packer ERP" in pages[1]
    for page in pages:
        assert nameless_creds["clientId"] not in page
    assert creds["clientId"] not in pages[0]
