"""RFC 9457 problem details for every error the API can answer with.

One place turns exceptions into problems: services' ``ApplicationError``s, DRF's own
exceptions, Django's 404, and anything unexpected (logged, answered as a bare 500 with no
internals). Views never build an error body by hand.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from hotsauce import errors, metrics

logger = logging.getLogger("hotsauce.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
_SNAKE = re.compile(r"_([a-z0-9])")

_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """Turn DRF's nested error detail into ``[{"field": "lines[0].quantity", "message"}]``."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            if key in ("non_field_errors", "__all__"):
                out.extend(flatten_errors(value, prefix))
                continue
            name = camel(key)
            path = f"{prefix}.{name}" if prefix else name
            out.extend(flatten_errors(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                out.append({"field": prefix or None, "message": str(item)})
        else:
            for index, item in enumerate(detail):
                if item in ({}, [], None, ""):
                    continue
                out.extend(flatten_errors(item, f"{prefix}[{index}]"))
    else:
        out.append({"field": prefix or None, "message": str(detail)})
    return out


def problem_body(*, status: int, code: str, detail: str, request=None, title: str | None = None,
                 errors_list: list[dict] | None = None, extra: dict | None = None) -> dict:
    body = {
        "type": settings.PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": getattr(request, "path", None),
        "code": code,
        "requestId": getattr(request, "request_id", None),
    }
    if errors_list:
        body["errors"] = errors_list
    if extra:
        body.update(extra)
    return body


# Exceptions that map to a fixed status and code: (types, status, code, detail or None for str(exc.detail)).
_FIXED = (
    ((Http404, drf.NotFound), 404, "not_found", "No such resource."),
    (DjangoPermissionDenied, 403, "permission_denied", "You do not have permission to perform this action."),
    (drf.MethodNotAllowed, 405, "method_not_allowed", None),
    (drf.NotAcceptable, 406, "not_acceptable", None),
    (drf.UnsupportedMediaType, 415, "unsupported_media_type", None),
)


def _validation(exc) -> tuple:
    flat = flatten_errors(exc.detail)
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in flat[:5])
    return 400, "validation_error", detail or "Invalid request.", None, flat, {}, {}


def _authentication(exc) -> tuple:
    headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
    status = 401 if headers else 403
    return status, "not_authenticated" if status == 401 else "permission_denied", str(exc.detail), None, [], \
        headers, {}


def _throttled(exc) -> tuple:
    wait = int(exc.wait or 1) if exc.wait is not None else 1
    return 429, "rate_limited", f"Rate limit exceeded; retry in {wait} s.", None, [], {
        "Retry-After": str(max(wait, 1))}, {}


def _from_exception(exc) -> tuple[int, str, str, str | None, list[dict], dict, dict]:
    """(status, code, detail, title, errors, headers, extra) for a known exception, else raise."""
    if isinstance(exc, errors.ApplicationError):
        return exc.status, exc.code, exc.detail, exc.title, exc.errors, exc.headers, exc.extra
    for types, status, code, detail in _FIXED:
        if isinstance(exc, types):
            return status, code, detail or str(exc.detail), None, [], {}, {}
    if isinstance(exc, drf.ValidationError):
        return _validation(exc)
    if isinstance(exc, drf.ParseError):
        return 400, "validation_error", f"Malformed request body: {exc.detail}", None, [
            {"field": None, "message": str(exc.detail)}], {}, {}
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return _authentication(exc)
    if isinstance(exc, drf.Throttled):
        return _throttled(exc)
    if isinstance(exc, drf.PermissionDenied):
        return 403, getattr(exc, "problem_code", None) or "permission_denied", str(exc.detail), None, [], {}, {}
    if isinstance(exc, drf.APIException):
        return exc.status_code, "error", str(exc.detail), None, [], {}, {}
    raise exc


def exception_handler(exc, context):
    request = context.get("request")
    try:
        status, code, detail, title, errs, headers, extra = _from_exception(exc)
    except Exception:
        logger.exception("Unhandled error on %s", getattr(request, "path", "?"))
        status, code, detail, title, errs, headers, extra = (
            500, "internal_error", "An unexpected error occurred; it has been logged.", None, [], {}, {})
    set_rollback()
    metrics.problem_answered(code, status)
    body = problem_body(status=status, code=code, detail=detail, request=request, title=title,
                        errors_list=errs, extra=extra)
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(request, status: int, code: str, detail: str, headers: dict | None = None) -> JsonResponse:
    """A problem answered outside DRF (Django's 404/500 handlers, middleware)."""
    response = JsonResponse(
        problem_body(status=status, code=code, detail=detail, request=request),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


__all__ = ["exception_handler", "problem_response", "problem_body", "flatten_errors", "camel"]
