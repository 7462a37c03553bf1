"""Input no API view should ever see, refused up front as a problem (issue 12: each was a 500).

- control characters in the path (404: nothing we name contains one, and PostgreSQL cannot
  even compare a string holding NUL) or in the query (400);
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413; Django raises only when the body is
  first read, which the idempotency layer did outside DRF's error handling);
- JSON nested deeper than ``MAX_JSON_DEPTH`` (the parser and every recursive walk after it
  would overflow the stack) or holding a NUL character.
"""

from __future__ import annotations

import re

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from hotsauce.api.problems import PROBLEM_CONTENT_TYPE, problem_body

API_PREFIX = "/api/"
MAX_JSON_DEPTH = 64
# Control characters, as a regex class body (the schema's patterns say the same: hotsauce.api.schema).
CONTROL_CLASS = r"\x00-\x1F\x7F"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")
# \u0000 escaped in JSON: an odd number of backslashes before "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_depth(body: bytes, stop_above: int = MAX_JSON_DEPTH) -> int:
    """Deepest nesting of arrays and objects (brackets inside strings do not count)."""
    depth = peak = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > peak:
                peak = depth
                if peak > stop_above:
                    break
        else:
            depth -= 1
    return peak


def _query_refusal(request) -> tuple | None:
    for name, values in request.GET.lists():
        if _CONTROL.search(name) or any(_CONTROL.search(value) for value in values):
            return 400, "validation_error", "Query parameters may not contain control characters.", name
    return None


def _body_refusal(request) -> tuple | None:
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        return None  # file uploads are limited by Django's own upload handlers
    try:
        body = request.body
    except RequestDataTooBig:
        return (413, "payload_too_large",
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.", None)
    if body and "json" in content_type:
        if json_depth(body) > MAX_JSON_DEPTH:
            return 400, "validation_error", f"JSON may be nested at most {MAX_JSON_DEPTH} levels deep.", None
        if b"\x00" in body or _JSON_NUL.search(body):
            return 400, "validation_error", "JSON strings may not contain NUL characters.", None
    return None


def refusal(request) -> tuple | None:
    """(status, code, detail, field) for input refused before any view, else None."""
    if not request.path.startswith(API_PREFIX):
        return None
    if _CONTROL.search(request.path):
        return 404, "not_found", "No resource is named with control characters.", None
    return _query_refusal(request) or _body_refusal(request)


def _problem(request, refused: tuple):
    from django.http import JsonResponse

    status, code, detail, field = refused
    errors = [{"field": field, "message": detail}] if field else []
    title = "Payload too large" if status == 413 else None
    return JsonResponse(problem_body(status=status, code=code, detail=detail, request=request, title=title,
                                     errors_list=errors), status=status, content_type=PROBLEM_CONTENT_TYPE)


class InputGuardMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        refused = refusal(request)
        return _problem(request, refused) if refused else self.get_response(request)

    async def __acall__(self, request):
        refused = refusal(request)
        return _problem(request, refused) if refused else await self.get_response(request)
