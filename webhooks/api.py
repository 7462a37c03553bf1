"""HTTP for events (5.3 feed, 5.4 stream) and webhook subscriptions (5.5)."""

from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from hotsauce import metrics
from hotsauce.api.auth import ApiKeyAuthentication, BearerTokenAuthentication
from hotsauce.api.permissions import ScopePermission
from hotsauce.api.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_response
from hotsauce.api.renderers import CAMEL_CASE_READY
from hotsauce.api.throttling import ratelimit_headers
from hotsauce.api.views import ApiView, GenericApiView
from hotsauce.errors import ApplicationError, ValidationFailed
from webhooks import selectors, services
from webhooks.models import DeliveryAttempt
from webhooks.serializers import (
    DeliveryAttemptSerializer,
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    EndpointWithSecretSerializer,
    EventFeedSerializer,
    RecoverSerializer,
)
from webhooks.types import EVENT_TYPES

FEED_DEFAULT_LIMIT = 100
FEED_MAX_LIMIT = 500
STREAM_POLL_SECONDS = 1.0
STREAM_KEEPALIVE_SECONDS = 15.0
STREAM_BATCH = 200


def _reject_unknown_params(query_params, allowed: set[str]) -> None:
    unknown = sorted(set(query_params) - allowed)
    if unknown:
        raise ValidationFailed("Unknown query parameter(s): " + ", ".join(unknown),
                               errors=[{"field": name, "message": "Unknown query parameter."} for name in unknown])


def _sequence(raw: str | None, field: str) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed.for_field(field, "Must be a non-negative whole number (an event sequence).")
    return int(raw)


def _types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    types = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed.for_field("types", f"Unknown event type(s) {', '.join(unknown)}.")
    return types


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return FEED_DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= FEED_MAX_LIMIT:
        raise ValidationFailed.for_field("limit", f"Must be a whole number between 1 and {FEED_MAX_LIMIT}.")
    return int(raw)


_FEED_PARAMS = [
    OpenApiParameter("after", int, description="Return events with a greater sequence; 0 = oldest kept."),
    OpenApiParameter("types", str, description="Comma-separated event types to include."),
    OpenApiParameter("limit", int, description=f"Page size, 1–{FEED_MAX_LIMIT} (default {FEED_DEFAULT_LIMIT})."),
]


# --- changes feed -------------------------------------------------------------------------


class EventFeedApi(ApiView):
    required_scopes = {"GET": "events:read"}
    # Event data is stored camelCase: the page is written camelCase here and rendered as it is.
    renderer_classes = CAMEL_CASE_READY

    @extend_schema(summary="Changes feed: events after a sequence", parameters=_FEED_PARAMS,
                   responses={200: EventFeedSerializer, 410: OpenApiResponse(description="cursor_expired")})
    def get(self, request):
        params = request.query_params
        _reject_unknown_params(params, {"after", "types", "limit"})
        after = _sequence(params.get("after"), "after")
        types = _types(params.get("types"))
        limit = _limit(params.get("limit"))
        selectors.cursor_check(after=after)
        events, has_more = selectors.event_page(principal=request.user, after=after, types=types, limit=limit)
        return Response({
            "results": [event.envelope() for event in events],
            "nextAfter": events[-1].sequence if events else after,
            "hasMore": has_more,
        })


# --- Server-Sent Events -------------------------------------------------------------------


class _StreamScope:
    """What ScopePermission needs to know about the stream (it is not a DRF view)."""

    required_scopes = {"GET": "events:read"}


def _stream_open(request):
    """Authenticate and validate in a thread: (principal, after, types) or a problem response."""
    drf_request = Request(request, authenticators=[BearerTokenAuthentication(), ApiKeyAuthentication()])
    try:
        principal = drf_request.user
    except drf_exceptions.AuthenticationFailed as exc:
        return problem_response(request, 401, "not_authenticated", str(exc.detail),
                                headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if principal is None:
        return problem_response(request, 401, "not_authenticated", "Authentication credentials were not provided.",
                                headers={"WWW-Authenticate": 'Bearer realm="api"'})
    try:
        ScopePermission().has_permission(drf_request, _StreamScope())
    except drf_exceptions.Throttled as exc:  # the rate limit is enforced with the scope check
        return problem_response(request, 429, "rate_limited", f"Rate limit exceeded; retry in {exc.wait} s.",
                                headers={"Retry-After": str(exc.wait), **ratelimit_headers(drf_request)})
    except drf_exceptions.PermissionDenied as exc:
        return problem_response(request, 403, getattr(exc, "problem_code", "permission_denied"), str(exc.detail))
    try:
        _reject_unknown_params(request.GET, {"after", "types"})
        # Last-Event-ID is what a reconnecting EventSource sends; it wins over the URL.
        header = request.headers.get("Last-Event-ID")
        after = _sequence(header.strip(), "Last-Event-ID") if header else _sequence(request.GET.get("after"), "after")
        types = _types(request.GET.get("types"))
        selectors.cursor_check(after=after)
    except ApplicationError as exc:
        return JsonResponse(problem_body(status=exc.status, code=exc.code, detail=exc.detail, request=request,
                                         title=exc.title, errors_list=exc.errors),
                            status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    return principal, after, types


def _frame(event) -> str:
    payload = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.sequence}\nevent: {event.type}\ndata: {payload}\n\n"


async def _event_frames(principal, after: int, types):
    page = sync_to_async(selectors.event_page)
    last_write = time.monotonic()
    # The polls run (thread-sensitive) in this request's own sync thread, whose database
    # connection Django closes with request_finished when the client goes away.
    # An opening comment lets clients and proxies see the stream is live at once.
    yield ": stream open\n\n"
    while True:
        events, has_more = await page(principal=principal, after=after, types=types, limit=STREAM_BATCH)
        if events:
            yield "".join(_frame(event) for event in events)
            after = events[-1].sequence
            last_write = time.monotonic()
            if has_more:
                continue
        elif time.monotonic() - last_write >= STREAM_KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        await asyncio.sleep(STREAM_POLL_SECONDS)


def _event_frames_sync(principal, after: int, types):
    """The same stream for a WSGI server (or the sync test client); it holds its thread."""
    last_write = time.monotonic()
    yield ": stream open\n\n"
    while True:
        events, has_more = selectors.event_page(principal=principal, after=after, types=types, limit=STREAM_BATCH)
        if events:
            yield "".join(_frame(event) for event in events)
            after = events[-1].sequence
            last_write = time.monotonic()
            if has_more:
                continue
        elif time.monotonic() - last_write >= STREAM_KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        time.sleep(STREAM_POLL_SECONDS)


async def event_stream(request):
    """GET events/stream: served by the ASGI app without holding a worker thread between polls."""
    if request.method != "GET":
        return problem_response(request, 405, "method_not_allowed", f'Method "{request.method}" not allowed.')
    opened = await sync_to_async(_stream_open)(request)
    if not isinstance(opened, tuple):
        return opened
    principal, after, types = opened
    # Under WSGI, Django would try to drain an async iterator into a list before sending:
    # an endless stream would never start, so WSGI gets the blocking generator.
    frames = _event_frames if isinstance(request, ASGIRequest) else _event_frames_sync
    response = StreamingHttpResponse(metrics.stream_tracked(frames(principal, after, types)),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx would otherwise buffer the stream
    return response


# --- webhook subscriptions ----------------------------------------------------------------


class EndpointListApi(GenericApiView):
    required_scopes = {"GET": "webhooks:manage", "POST": "webhooks:manage"}
    serializer_class = EndpointSerializer

    def get_queryset(self):
        return selectors.endpoint_list(principal=self.request.user)

    @extend_schema(summary="List your webhook endpoints")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(summary="Register a webhook endpoint (the secret is shown only now)",
                   request=EndpointCreateSerializer, responses={201: EndpointWithSecretSerializer})
    def post(self, request):
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(principal=request.user, **data.validated_data)
        return Response(EndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class _EndpointApi(GenericApiView):
    def endpoint(self):
        return selectors.endpoint_get(principal=self.request.user, public_id=self.kwargs["id"])


class EndpointDetailApi(_EndpointApi):
    required_scopes = {"GET": "webhooks:manage", "PATCH": "webhooks:manage", "DELETE": "webhooks:manage"}
    serializer_class = EndpointSerializer

    @extend_schema(summary="Get a webhook endpoint")
    def get(self, request, id):
        return Response(EndpointSerializer(self.endpoint()).data)

    @extend_schema(summary="Change a webhook endpoint (enabled=true re-enables a disabled one)",
                   request=EndpointUpdateSerializer, responses={200: EndpointSerializer})
    def patch(self, request, id):
        endpoint = self.endpoint()
        data = EndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
    def delete(self, request, id):
        services.endpoint_delete(endpoint=self.endpoint())
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretApi(_EndpointApi):
    required_scopes = {"POST": "webhooks:manage"}
    serializer_class = EndpointWithSecretSerializer

    @extend_schema(summary="Rotate the signing secret (the old one also signs for 24 h)", request=None,
                   responses={200: EndpointWithSecretSerializer})
    def post(self, request, id):
        endpoint = services.endpoint_rotate_secret(endpoint=self.endpoint())
        return Response(EndpointWithSecretSerializer(endpoint).data)


class EndpointTestApi(_EndpointApi):
    required_scopes = {"POST": "webhooks:manage"}
    serializer_class = DeliverySerializer

    @extend_schema(summary="Send a webhook.test delivery", request=None, responses={202: DeliverySerializer})
    def post(self, request, id):
        delivery = services.endpoint_test(endpoint=self.endpoint())
        delivery = selectors.delivery_get(endpoint=delivery.endpoint, delivery_id=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EndpointRecoverApi(_EndpointApi):
    required_scopes = {"POST": "webhooks:manage"}
    serializer_class = RecoverSerializer

    @extend_schema(summary="Re-send failed deliveries created since a time", request=RecoverSerializer,
                   responses={202: OpenApiTypes.OBJECT})
    def post(self, request, id):
        endpoint = self.endpoint()
        data = RecoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.endpoint_recover(endpoint=endpoint, since=data.validated_data["since"])
        return Response({"recovered": count}, status=status.HTTP_202_ACCEPTED)


class EndpointDeliveriesApi(_EndpointApi):
    required_scopes = {"GET": "webhooks:manage"}
    serializer_class = DeliveryAttemptSerializer
    extra_query_params = ("status",)
    # Tells the schema this is a page of attempts (get() reads the endpoint's own attempts).
    queryset = DeliveryAttempt.objects.none()

    @extend_schema(summary="Every delivery attempt to this endpoint, oldest first",
                   parameters=[OpenApiParameter("status", str, enum=["succeeded", "failed"])])
    def get(self, request, id):
        state = request.query_params.get("status")
        if state and state not in ("succeeded", "failed"):
            raise ValidationFailed.for_field("status", "Must be succeeded or failed.")
        qs = self.filter_queryset(selectors.attempt_list(endpoint=self.endpoint(), status=state))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeliveryAttemptSerializer(page, many=True).data)
