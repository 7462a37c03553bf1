"""How API callers authenticate: OAuth bearer tokens, API keys, staff sessions.

Each class resolves the caller to a ``Principal`` (``request.user``), so the rest of the
API never has to know which credential was used. Every refusal is written to the audit
log; what is logged identifies the credential (client id, key prefix) but never contains
the secret part of it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication, exceptions

from partners.models import AuthAuditLog
from partners.principal import Principal
from partners.services import api_key_lookup, api_key_prefix, api_key_touch, audit_record, ip_allowed


def client_ip(request) -> str | None:
    """The caller's address. ``X-Forwarded-For`` is honoured only behind known proxies.

    The left end of X-Forwarded-For is whatever the client wrote there, so trusting it would
    let anyone walk through an IP allowlist; the address our own N-th proxy saw is the entry
    N from the right.
    """
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


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


class BearerTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header[:7].lower() == "bearer ":
                audit(request, AuthAuditLog.Event.AUTH_FAILED, False, detail="invalid or expired bearer token")
                raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
            return None
        _user, token = result
        client = token.application
        if client is None or not client.is_active:
            audit(request, AuthAuditLog.Event.AUTH_FAILED, False, client, detail="client deactivated")
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        _refuse_disallowed_ip(request, client, client.allowed_ips, client.client_id)
        return Principal.for_client(client, frozenset(token.scope.split()), "oauth"), token


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
