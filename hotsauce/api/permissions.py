"""Scope and kind checks, declared on every API view.

A view states, per HTTP method, the scope it needs (``required_scopes``) and optionally
which kinds of client may call it at all (``allowed_kinds``). A view that declares
nothing refuses everyone: forgetting a declaration can never open an endpoint.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.permissions import BasePermission
from rest_framework.request import clone_request

from hotsauce.api.auth import audit
from hotsauce.api.throttling import rate_limit_enforce
from partners.models import AuthAuditLog
from partners.principal import Principal

# Writes under these scopes move stock (directly, or by reserving, shipping or returning it).
STOCK_WRITE_SCOPES = frozenset({"inventory:write", "orders:write", "shipments:write", "returns:write"})


class InsufficientScope(exceptions.PermissionDenied):
    problem_code = "insufficient_scope"


class KindNotAllowed(exceptions.PermissionDenied):
    problem_code = "permission_denied"


def required_scope(view, method: str) -> str | None:
    scopes = getattr(view, "required_scopes", None) or {}
    if method == "HEAD":
        method = "GET"
    return scopes.get(method)


class ScopePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method == "OPTIONS":
            return True
        principal = request.user
        # Before the scope check: calls a client may not make still use up its budget.
        rate_limit_enforce(request)
        if not isinstance(principal, Principal):
            raise exceptions.NotAuthenticated()
        scope = required_scope(view, request.method)
        if scope is None:
            self._deny(request, "no scope declared for this operation")
            raise KindNotAllowed("This operation is not available.")
        if scope not in principal.scopes:
            self._deny(request, f"missing scope {scope}")
            raise InsufficientScope(f"This operation needs the '{scope}' scope.")
        kinds = (getattr(view, "allowed_kinds", None) or {}).get(request.method)
        if kinds is not None and principal.kind not in kinds:
            self._deny(request, f"{principal.kind} clients may not call this")
            raise KindNotAllowed(f"{principal.kind.capitalize()} clients may not perform this operation.")
        if principal.is_staff and scope in STOCK_WRITE_SCOPES:
            # Audited with its outcome once answered (StaffStockAuditMiddleware).
            request._request.staff_stock_scope = scope
        return True

    @staticmethod
    def _deny(request, detail: str) -> None:
        principal = request.user
        audit(request, AuthAuditLog.Event.PERMISSION_DENIED, False,
               client=getattr(principal, "client", None), detail=detail)


class ApiMetadata(SimpleMetadata):
    """OPTIONS answers without loading the object behind the URL.

    DRF's default calls ``get_object()`` to describe PUT, which our views (they look objects
    up through tenancy-aware selectors) do not implement: that turned OPTIONS into a 500.
    """

    def determine_actions(self, request, view):
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                serializer = view.get_serializer() if hasattr(view, "get_serializer") else None
            except Exception:  # OPTIONS describes what it can; it must never fail
                continue
            finally:
                view.request = request
            if serializer is not None:
                actions[method] = self.get_serializer_info(serializer)
        return actions
