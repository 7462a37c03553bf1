"""How API callers authenticate: OAuth bearer tokens, API keys, staff sessions.

Each class resolves the caller to a ``Principal`` (``request.user``), so the rest of the
API never has to know which credential was used. Every refusal is written to the audit
log; what is logged identifies the credential (client id, key prefix) but never contains
the secret part of it.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from hotsauce.proxies import client_ip
from partners.models import AuthAuditLog
from partners.principal import Principal
from partners.services import api_key_lookup, api_key_prefix, api_key_touch, audit_record, ip_allowed
from partners.tokens import token_resolve


def audit(request, event: str, success: bool, client=None, identifier: str = "", detail: str = "") -> None:
    audit_record(
        event=event, success=success, client=client, client_identifier=identifier,
        ip=client_ip(request), method=request.method, path=request.path, detail=detail,
    )




def _refuse_disallowed_ip(request, client, allowlist: str, identifier: str) -> None:
    ip = client_ip(request)
    if not ip_allowed(ip, allowlist):
        audit(request, AuthAuditLog.Event.IP_REFUSED, False, client, identifier, f"{ip} is outside the allowlist")
        raise exceptions.AuthenticationFailed("This credential may not be used from your address.")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` from ``/oauth/token/``; resolved through a short shared cache
    (``partners.tokens``) that a revocation busts at once."""

    keyword = "Bearer"

    def authenticate(self, request):
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        raw = raw.strip()
        grant = token_resolve(raw) if raw else None
        if grant is None:
            audit(request, AuthAuditLog.Event.AUTH_FAILED, False, detail="invalid or expired bearer token")
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        client = grant.client
        if not client.is_active:
            audit(request, AuthAuditLog.Event.AUTH_FAILED, False, client, detail="client deactivated")
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        _refuse_disallowed_ip(request, client, client.allowed_ips, client.client_id)
        return Principal.for_client(client, frozenset(grant.scope.split()), "oauth"), grant

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: ApiKey hsk_<prefix>_<secret>``; same scopes and tenancy as the key's client."""

    keyword = "ApiKey"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        # Only the public prefix is ever logged, never what follows it.
        identifier = api_key_prefix(raw) or ""
        api_key = api_key_lookup(raw) if raw else None
        if api_key is None:
            audit(request, AuthAuditLog.Event.API_KEY_REFUSED, False, identifier=identifier, detail="unknown key")
            raise exceptions.AuthenticationFailed("Invalid API key.")
        client = api_key.client
        now = timezone.now()
        if api_key.revoked_at is not None or not client.is_active:
            audit(request, AuthAuditLog.Event.API_KEY_REFUSED, False, client, identifier, "revoked")
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if api_key.expires_at is not None and api_key.expires_at <= now:
            audit(request, AuthAuditLog.Event.API_KEY_REFUSED, False, client, identifier, "expired")
            raise exceptions.AuthenticationFailed("This API key has expired.")
        _refuse_disallowed_ip(request, client, api_key.allowed_ips, identifier)
        if api_key_touch(api_key=api_key, now=now):
            audit(request, AuthAuditLog.Event.API_KEY_USED, True, client, identifier)
        return Principal.for_client(client, client.scope_set, "api_key"), api_key

    def authenticate_header(self, request):
        return 'ApiKey realm="api"'


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """Staff signed in to the admin may use the API as the brand (CSRF enforced)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        if not (user.is_active and user.is_staff):
            return None
        return Principal.for_staff(user), None


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: under /api/ a refused cookie-authenticated write is a 403 problem.

    API clients use bearer tokens or keys and never meet CSRF; this is a browser session
    (staff) writing without the token, or a write to an unknown /api/ path.
    """
    from django.views.csrf import csrf_failure as django_csrf_failure

    from hotsauce.api.problems import problem_response

    if request.path.startswith("/api/"):
        from django.urls import Resolver404, resolve

        from hotsauce import health

        try:
            unknown = resolve(request.path_info).func is health.not_found
        except Resolver404:
            unknown = True
        if unknown:  # the write never had anywhere to go: say so, as for a GET
            return problem_response(request, 404, "not_found", "No such resource.")
        return problem_response(request, 403, "permission_denied", "CSRF verification failed.")
    return django_csrf_failure(request, reason)
