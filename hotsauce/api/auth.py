"""How API callers authenticate: OAuth bearer tokens, API keys, staff sessions.

Each class resolves the caller to a ``Principal`` (``request.user``), so the rest of the
API never has to know which credential was used.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication, exceptions

from partners.models import AuthAuditLog
from partners.principal import Principal
from partners.services import api_key_lookup, audit_record, ip_allowed


def client_ip(request) -> str | None:
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


def _audit(request, event, success, client=None, identifier="", detail=""):
    audit_record(
        event=event, success=success, client=client, client_identifier=identifier,
        ip=client_ip(request), method=request.method, path=request.path, detail=detail,
    )


def _refuse_disallowed_ip(request, client, allowlist: str, identifier: str) -> None:
    if not ip_allowed(client_ip(request), allowlist):
        _audit(request, AuthAuditLog.Event.IP_REFUSED, False, client, identifier,
               f"{client_ip(request)} is outside the allowlist")
        raise exceptions.AuthenticationFailed("This credential may not be used from your address.")


class BearerTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header.lower().startswith("bearer "):
                _audit(request, AuthAuditLog.Event.AUTH_FAILED, False, detail="invalid or expired bearer token")
                raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
            return None
        _user, token = result
        client = token.application
        if client is None or not client.is_active:
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        _refuse_disallowed_ip(request, client, client.allowed_ips, client.client_id)
        return Principal.for_client(client, frozenset(token.scope.split()), "oauth"), token


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "ApiKey"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        api_key = api_key_lookup(raw) if raw else None
        identifier = raw[:16]
        if api_key is None:
            _audit(request, AuthAuditLog.Event.API_KEY_REFUSED, False, identifier=identifier, detail="unknown key")
            raise exceptions.AuthenticationFailed("Invalid API key.")
        client = api_key.client
        if api_key.revoked_at is not None or (api_key.expires_at and api_key.expires_at <= timezone.now()) \
                or not client.is_active:
            _audit(request, AuthAuditLog.Event.API_KEY_REFUSED, False, client, identifier, "revoked or expired")
            raise exceptions.AuthenticationFailed("This API key is revoked or expired.")
        _refuse_disallowed_ip(request, client, api_key.allowed_ips, identifier)
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
