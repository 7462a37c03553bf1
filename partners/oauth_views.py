"""The OAuth endpoints under /oauth/, with every token request audited.

They answer in RFC 6749's error format (``{"error": "invalid_client"}``), as OAuth client
libraries expect, not in problem details.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import JsonResponse
from oauth2_provider import views as dot_views
from oauth2_provider.models import AccessToken

from hotsauce.api.auth import client_ip
from hotsauce.api.throttling import failure_record, failures_exceeded
from partners.models import ApiClient, AuthAuditLog
from partners.services import audit_record, ip_allowed


def _client_id_sent(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1]).decode()
            return unquote_plus(decoded.split(":", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return ""
    return request.POST.get("client_id", "")


class TokenView(dot_views.TokenView):
    def post(self, request, *args, **kwargs):
        client_id = _client_id_sent(request)
        client = ApiClient.objects.filter(client_id=client_id).first() if client_id else None
        if client is not None and not ip_allowed(client_ip(request), client.allowed_ips):
            # Refused before the secret is even checked: a token must not be minted for an
            # address the client's allowlist excludes.
            audit_record(event=AuthAuditLog.Event.IP_REFUSED, success=False, client=client,
                         client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path,
                         detail=f"{client_ip(request)} is outside the allowlist")
            return JsonResponse({"error": "invalid_client",
                                 "error_description": "This client may not be used from your address."}, status=401)
        # Secrets are checked with a deliberately slow hash: a client retrying a wrong secret
        # in a loop would burn CPU for everyone, so failures per client id and address are
        # capped (the right secret is refused too meanwhile, so guessing learns nothing).
        identity = f"{client_id}|{client_ip(request)}"
        limit, window = settings.TOKEN_FAILURE_LIMIT, settings.TOKEN_FAILURE_WINDOW_SECONDS
        if failures_exceeded("token", identity, limit):
            audit_record(event=AuthAuditLog.Event.TOKEN_REFUSED, success=False, client=client,
                         client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path,
                         detail="too many failed attempts")
            refused = JsonResponse({"error": "invalid_client",
                                    "error_description": "Too many failed attempts; retry later."}, status=429)
            refused["Retry-After"] = str(window)
            return refused
        response = super().post(request, *args, **kwargs)
        try:
            payload = json.loads(response.content or b"{}")
        except ValueError:
            payload = {}
        ok = response.status_code == 200
        if response.status_code == 401:
            failure_record("token", identity, window)
        audit_record(
            event=AuthAuditLog.Event.TOKEN_ISSUED if ok else AuthAuditLog.Event.TOKEN_REFUSED,
            success=ok, client=client, client_identifier=client_id, ip=client_ip(request),
            method="POST", path=request.path,
            detail=(f"scope={payload.get('scope', '')}" if ok else
                    f"{payload.get('error', 'error')}: {payload.get('error_description', '')}"),
        )
        return response


class RevokeTokenView(dot_views.RevokeTokenView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        client_id = _client_id_sent(request)
        audit_record(
            event=AuthAuditLog.Event.TOKEN_REVOKED, success=response.status_code == 200,
            client=ApiClient.objects.filter(client_id=client_id).first() if client_id else None,
            client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path,
        )
        return response


class IntrospectTokenView(dot_views.IntrospectTokenView):
    """RFC 7662. A partner's client may introspect only its own tokens; brand clients any."""

    def post(self, request, *args, **kwargs):
        caller = ApiClient.objects.filter(client_id=_client_id_sent(request)).first()
        token_value = request.POST.get("token")
        if caller is not None and caller.kind != "brand" and token_value:
            checksum = hashlib.sha256(token_value.encode()).hexdigest()
            token = AccessToken.objects.filter(token_checksum=checksum).only("application_id").first()
            if token is None or token.application_id != caller.pk:
                return JsonResponse({"active": False})
        return self.get_token_response(token_value)

    def get(self, request, *args, **kwargs):
        return JsonResponse({"error": "invalid_request", "error_description": "Use POST."}, status=405)
