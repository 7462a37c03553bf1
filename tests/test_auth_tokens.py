import pytest
from rest_framework.test import APIClient

from partners.models import AuthAuditLog
from tests.conftest import obtain_token, problem, token_request


@pytest.mark.parametrize("kind,partner", [("supplier", "SUP123"), ("retailer", "RETAIL456"), ("brand", None)])
def test_each_client_kind_gets_a_bearer_token_with_its_allowed_scopes(sandbox, make_caller, kind, partner):
    caller = make_caller(kind, partner)
    token = obtain_token(APIClient(), caller.creds["clientId"], caller.creds["clientSecret"])
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert "refresh_token" not in token
    assert set(token["scope"].split()) == set(caller.creds["scopes"])
    assert AuthAuditLog.objects.filter(event="token_issued", client=caller.client).exists()


def test_a_retailer_cannot_be_granted_a_scope_its_kind_may_not_hold(sandbox, make_caller):
    caller = make_caller("retailer", "RETAIL456")
    response = token_request(APIClient(), {"grant_type": "client_credentials", "scope": "inventory:write",
                                           "client_id": caller.creds["clientId"],
                                           "client_secret": caller.creds["clientSecret"]})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert AuthAuditLog.objects.filter(event="token_refused", client=caller.client).exists()


def test_a_wrong_secret_is_refused_in_oauth_format_and_audited(sandbox, make_caller):
    caller = make_caller("supplier", "SUP123")
    response = token_request(APIClient(), {"grant_type": "client_credentials",
                                           "client_id": caller.creds["clientId"], "client_secret": "nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    entry = AuthAuditLog.objects.get(event="token_refused", client_identifier=caller.creds["clientId"])
    assert entry.success is False


def test_a_token_with_fewer_scopes_gets_403_insufficient_scope(sandbox, make_caller):
    caller = make_caller("supplier", "SUP123", scopes=["catalog:read"])
    response = caller.post("/api/v1/products", {"productId": "NEWSAUCE", "name": "New"})
    body = problem(response)
    assert response.status_code == 403
    assert body["code"] == "insufficient_scope"


def test_no_credentials_is_a_401_problem_with_www_authenticate(db):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/suppliers")
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    assert "Bearer" in response["WWW-Authenticate"]


def test_an_unknown_bearer_token_is_401(db):
    from rest_framework.test import APIClient

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = http.get("/api/v1/suppliers")
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
