"""Base classes every API view uses: idempotency on POST/PATCH, rate-limit headers."""

from __future__ import annotations

import re

from rest_framework import generics
from rest_framework.views import APIView

from hotsauce.api.idempotency import run_idempotently
from hotsauce.api.throttling import ratelimit_headers

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
                response = run_idempotently(self, request, handler, args, kwargs)
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in ratelimit_headers(request).items():
            response[name] = value
        return response


class ApiView(ApiMixin, APIView):
    pass


class GenericApiView(ApiMixin, generics.GenericAPIView):
    pass
