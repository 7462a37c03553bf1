"""Base classes every API view uses: idempotency on POST/PATCH, rate-limit headers."""

from __future__ import annotations

import re

from django.urls import Resolver404, resolve
from rest_framework import generics
from rest_framework.views import APIView

from hotsauce.api.idempotency import run_idempotently
from hotsauce.api.throttling import ratelimit_headers

_PROBE = "__created__"
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def path_kwargs(kwargs: dict) -> dict:
    """URL path parameters are camelCase as the contract writes them; handlers take snake_case."""
    return {_CAMEL_HUMP.sub(r"_\1", name).lower(): value for name, value in kwargs.items()}


class ApiMixin:
    #: methods for which an ``Idempotency-Key`` is required (it is honoured on all writes)
    idempotency_required: tuple[str, ...] = ()
    #: method -> scope, e.g. ``{"GET": "catalog:read"}``
    required_scopes: dict[str, str] = {}
    #: method -> kinds that may call it at all
    allowed_kinds: dict[str, set[str]] = {}
    #: query parameters accepted besides the filterset's and pagination's
    extra_query_params: tuple[str, ...] = ()

    @property
    def principal(self):
        return self.request.user

    def dispatch(self, request, *args, **kwargs):
        # DRF's dispatch, with POST and PATCH handlers run under the idempotency protocol.
        kwargs = path_kwargs(kwargs)
        self.args = args
        self.kwargs = kwargs
        if request.method in ("POST", "PATCH", "PUT"):
            # Cache the raw body before authentication reads the stream: the idempotency
            # fingerprint needs the exact bytes.
            try:
                request.body  # noqa: B018
            except Exception:  # too large or unreadable: DRF's parser reports it properly
                pass
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, self.http_method_not_allowed) \
                if method in self.http_method_names else self.http_method_not_allowed
            if request.method in ("POST", "PATCH") and handler != self.http_method_not_allowed:
                response = run_idempotently(self, request, self._locating(handler), args, kwargs)
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def created_location(self, data) -> str | None:
        """The path of what a 201 created: by default the detail route under this path, named by
        the id field the route's parameter names (``orders`` + ``orderId`` → ``orders/ORD-1``)."""
        if not isinstance(data, dict):
            return None
        base = self.request.path.rstrip("/")
        try:
            match = resolve(f"{base}/{_PROBE}")
        except Resolver404:
            return None
        names = [name for name, value in match.kwargs.items() if value == _PROBE]
        if len(names) != 1:
            return None
        value = data.get(path_kwargs({names[0]: None}).popitem()[0], data.get(names[0]))
        return f"{base}/{value}" if isinstance(value, str | int) and value != "" else None

    def _locating(self, handler):
        # Inside the idempotent run, so a replay carries the same Location (it is a kept header).
        def located(request, *args, **kwargs):
            response = handler(request, *args, **kwargs)
            if getattr(response, "status_code", None) == 201 and not response.has_header("Location"):
                path = self.created_location(getattr(response, "data", None))
                if path:
                    response["Location"] = request.build_absolute_uri(path)
            return response

        return located

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in ratelimit_headers(request).items():
            response[name] = value
        return response


class ApiView(ApiMixin, APIView):
    pass


class GenericApiView(ApiMixin, generics.GenericAPIView):
    pass
