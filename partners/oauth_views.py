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
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.models import AccessToken

from hotsauce.api.throttling import failure_record, failures_exceeded, window_check
from hotsauce.proxies import client_ip
from partners.models import ApiClient, AuthAuditLog
from partners.oauth import ForeignTokenRevocation
from partners.services import audit_record, ip_allowed
from partners.tokens import token_checksum, token_digest


def _client_id_sent(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1]).decode()
            return unquote_plus(decoded.split(":", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return ""
    return request.POST.get("client_id", "")


def _oauth_error(error: str, description: str, status: int, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _token_audit(request, client, client_id: str, ok: bool, detail: str) -> None:
    audit_record(event=AuthAuditLog.Event.TOKEN_ISSUED if ok else AuthAuditLog.Event.TOKEN_REFUSED, success=ok,
                 client=client, client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path,
                 detail=detail)


def _rate_limited(request, client_id: str, client_id_known: bool | None = None) -> JsonResponse | None:
    """The token endpoint's own budgets: per address first, then per claimed client id.

    Both are counted before any secret is checked (the check is what costs CPU), so a storm
    of token requests is refused cheaply and other tenants' calls do not queue behind it.
    """
    if client_id_known is None:
        identity, rate, what = f"token-ip:{client_ip(request) or '-'}", settings.TOKEN_ADDRESS_RATE_LIMIT, "address"
    else:
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:32]
        identity, rate, what = f"token-client:{digest}", settings.TOKEN_RATE_LIMIT, "client"
    state = window_check(identity, rate, "token")
    if state["allowed"]:
        return None
    return _oauth_error("slow_down", f"Too many token requests from this {what}; retry in {state['reset']} s.",
                        429, retry_after=state["reset"])


class TokenView(dot_views.TokenView):
    """``client_credentials`` only; every other grant gets one and the same answer, before anything
    else in the request is looked at, so nothing (a staff password above all) can be tested here."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def post(self, request, *args, **kwargs):
        client_id = _client_id_sent(request)
        refused = _rate_limited(request, client_id)
        if refused is not None:
            _token_audit(request, None, client_id, False, "token requests from this address over the limit")
            return refused
        if request.POST.getlist("grant_type") != ["client_credentials"]:
            _token_audit(request, None, client_id, False, "unsupported_grant_type")
            return _oauth_error("unsupported_grant_type", "Only grant_type=client_credentials is supported.", 400)
        client = ApiClient.objects.filter(client_id=client_id).first() if client_id else None
        refused = _rate_limited(request, client_id, client is not None)
        if refused is not None:
            _token_audit(request, client, client_id, False, "token requests for this client over the limit")
            return refused
        if client is not None and not ip_allowed(client_ip(request), client.allowed_ips):
            # Refused before the secret is even checked: a token must not be minted for an
            # address the client's allowlist excludes.
            audit_record(event=AuthAuditLog.Event.IP_REFUSED, success=False, client=client,
                         client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path,
                         detail=f"{client_ip(request)} is outside the allowlist")
            return _oauth_error("invalid_client", "This client may not be used from your address.", 401)
        # Failures per client id and address are capped (the right secret is refused too
        # meanwhile, so guessing learns nothing).
        identity = f"{client_id}|{client_ip(request)}"
        limit, window = settings.TOKEN_FAILURE_LIMIT, settings.TOKEN_FAILURE_WINDOW_SECONDS
        if failures_exceeded("token", identity, limit):
            _token_audit(request, client, client_id, False, "too many failed attempts")
            return _oauth_error("invalid_client", "Too many failed attempts; retry later.", 429, retry_after=window)
        response = self._token_response(request)
        try:
            payload = json.loads(response.content or b"{}")
        except ValueError:
            payload = {}
        ok = response.status_code == 200
        if response.status_code == 401:
            failure_record("token", identity, window)
        _token_audit(request, client, client_id, ok,
                     f"scope={payload.get('scope', '')}" if ok else
                     f"{payload.get('error', 'error')}: {payload.get('error_description', '')}")
        return response


    def _token_response(self, request) -> HttpResponse:
        # The toolkit's own post() reloads the token by sha256(token) for a signal nobody here
        # listens to; with tokens stored hashed that lookup would fail.
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


class RevokeTokenView(dot_views.RevokeTokenView):
    """RFC 7009, for the caller's own tokens only: another client's token is refused and stays valid."""

    def post(self, request, *args, **kwargs):
        client_id = _client_id_sent(request)
        client = ApiClient.objects.filter(client_id=client_id).first() if client_id else None
        detail = ""
        try:
            response = super().post(request, *args, **kwargs)
        except ForeignTokenRevocation:
            # RFC 7009 section 2.1: the token was not issued to the caller; it stays valid.
            response = _oauth_error("unauthorized_client", "This token was not issued to you.", 400)
            detail = "refused: the token belongs to another client"
        audit_record(
            event=AuthAuditLog.Event.TOKEN_REVOKED, success=response.status_code == 200, client=client,
            client_identifier=client_id, ip=client_ip(request), method="POST", path=request.path, detail=detail,
        )
        return response


class IntrospectTokenView(dot_views.IntrospectTokenView):
    """RFC 7662. A partner's client may introspect only its own tokens; brand clients any."""

    def post(self, request, *args, **kwargs):
        caller = ApiClient.objects.filter(client_id=_client_id_sent(request)).first()
        token_value = request.POST.get("token")
        if caller is not None and caller.kind != "brand" and token_value:
            token = AccessToken.objects.filter(token_checksum=token_checksum(token_value)).only(
                "application_id").first()
            if token is None or token.application_id != caller.pk:
                return JsonResponse({"active": False})
        return self.get_token_response(token_value)

    @staticmethod
    def get_token_response(token_value=None):
        # The toolkit looks a token up by sha256(value); stored tokens are hashed once already.
        return dot_views.IntrospectTokenView.get_token_response(
            token_digest(token_value) if token_value is not None else None)

    def get(self, request, *args, **kwargs):
        return JsonResponse({"error": "invalid_request", "error_description": "Use POST."}, status=405)
