"""HTTP for events (5.3 feed, 5.4 stream) and webhook subscriptions (5.5)."""

from __future__ import annotations

import json
import time
from functools import partial

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
from webhooks import selectors, services, streaming
from webhooks.models import DeliveryAttempt
from webhooks.schema import SEQUENCE_SCHEMA, TYPES_SCHEMA
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
# Polling only where no listener wakes streams (SQLite; PostgreSQL while the listener reconnects).
STREAM_POLL_SECONDS = 1.0
STREAM_KEEPALIVE_SECONDS = 15.0
# With a listener: a read now and then in case a wake-up was lost.
STREAM_SAFETY_READ_SECONDS = 60.0
# An announced event not yet passable (an older transaction still open) is retried soon.
STREAM_RETRY_FIRST_SECONDS = 0.05
STREAM_RETRY_MAX_SECONDS = 1.0
STREAM_BATCH = 200


def _reject_unknown_params(query_params, allowed: set[str]) -> None:
    unknown = sorted(set(query_params) - allowed)
    if unknown:
        raise ValidationFailed("Unknown query parameter(s): " + ", ".join(unknown),
                               errors=[{"field": name, "message": "Unknown query parameter."} for name in unknown])


def _sequence(raw: str | None, field: str) -> int:
    if raw is None or raw == "":
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
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
    OpenApiParameter("after", SEQUENCE_SCHEMA, description="Return events with a greater sequence; 0 = oldest kept."),
    OpenApiParameter("types", TYPES_SCHEMA, description="Comma-separated event types to include."),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": FEED_MAX_LIMIT},
                     description=f"Page size, 1–{FEED_MAX_LIMIT} (default {FEED_DEFAULT_LIMIT})."),
]


# --- changes feed -------------------------------------------------------------------------


class EventFeedApi(ApiView):
    required_scopes = {"GET": "events:read"}
    # Event data is stored camelCase: the page is written camelCase here and rendered as it is.
    renderer_classes = CAMEL_CASE_READY

    @extend_schema(summary="Changes feed: events after a sequence", parameters=_FEED_PARAMS,
                   responses={200: EventFeedSerializer})
    def get(self, request):
        params = request.query_params
        _reject_unknown_params(params, {"after", "types", "limit"})
        after = _sequence(params.get("after"), "after")
        types = _types(params.get("types"))
        limit = _limit(params.get("limit"))
        selectors.cursor_check(after=after)
        # Each event comes rendered as its envelope, stored data spliced in as text (issue 19).
        events, last, has_more = selectors.feed_page_rendered(principal=request.user, after=after, types=types,
                                                              limit=limit)
        return Response({"results": events, "nextAfter": last if events else after, "hasMore": has_more})


# --- Server-Sent Events -------------------------------------------------------------------


class _StreamScope:
    """What ScopePermission needs to know about the stream (it is not a DRF view)."""

    required_scopes = {"GET": "events:read"}


def _unauthenticated(request, detail: str):
    return problem_response(request, 401, "not_authenticated", detail,
                            headers={"WWW-Authenticate": 'Bearer realm="api"'})


def _stream_authorize(request):
    """(principal, None) or (None, a problem response): credentials, scope and rate limit."""
    drf_request = Request(request, authenticators=[BearerTokenAuthentication(), ApiKeyAuthentication()])
    try:
        principal = drf_request.user
    except drf_exceptions.AuthenticationFailed as exc:
        return None, _unauthenticated(request, str(exc.detail))
    if principal is None:
        return None, _unauthenticated(request, "Authentication credentials were not provided.")
    try:
        ScopePermission().has_permission(drf_request, _StreamScope())
    except drf_exceptions.Throttled as exc:  # the rate limit is enforced with the scope check
        return None, problem_response(request, 429, "rate_limited", f"Rate limit exceeded; retry in {exc.wait} s.",
                                      headers={"Retry-After": str(exc.wait), **ratelimit_headers(drf_request)})
    except drf_exceptions.PermissionDenied as exc:
        return None, problem_response(request, 403, getattr(exc, "problem_code", "permission_denied"),
                                      str(exc.detail))
    return principal, None


def _stream_cursor(request):
    """(after, types); raises ApplicationError on bad parameters or an expired cursor."""
    _reject_unknown_params(request.GET, {"after", "types"})
    # Last-Event-ID is what a reconnecting EventSource sends; it wins over the URL.
    header = request.headers.get("Last-Event-ID")
    after = _sequence(header.strip(), "Last-Event-ID") if header else _sequence(request.GET.get("after"), "after")
    types = _types(request.GET.get("types"))
    selectors.cursor_check(after=after)
    return after, types


def _stream_open(request):
    """Authenticate, validate and take a stream slot (in a thread): (principal, after, types, lease) or a problem."""
    try:
        principal, refused = _stream_authorize(request)
        if refused is not None:
            return refused
        try:
            after, types = _stream_cursor(request)
        except ApplicationError as exc:
            return JsonResponse(problem_body(status=exc.status, code=exc.code, detail=exc.detail, request=request,
                                             title=exc.title, errors_list=exc.errors),
                                status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
        try:
            # By client_id, not pk: leases in Redis outlive a database (tests) and must not be shared.
            lease = streaming.SLOTS.acquire(getattr(principal.client, "client_id", "") or principal.key)
        except streaming.StreamRefused as exc:
            code = "rate_limited" if exc.status == 429 else "unavailable"
            return problem_response(request, exc.status, code, exc.detail,
                                    headers={"Retry-After": str(exc.retry_after)})
        return principal, after, types, lease
    finally:
        # The stream then waits without a connection (webhooks/streaming.py).
        streaming.release_connection()


def _frame(event) -> str:
    payload = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.sequence}\nevent: {event.type}\ndata: {payload}\n\n"


class _StreamClock:
    """When a waiting stream next reads or writes a keep-alive; it holds no connection meanwhile."""

    def __init__(self, waiter):
        self.waiter = waiter
        self.last_write = self.last_read = time.monotonic()
        self.backoff = STREAM_RETRY_FIRST_SECONDS
        self.chasing_since: float | None = None

    def wrote(self) -> None:
        self.last_write = time.monotonic()

    def read(self, after: int) -> None:
        self.last_read = now = time.monotonic()
        if self.waiter.target <= after:
            self.backoff, self.chasing_since = STREAM_RETRY_FIRST_SECONDS, None
        elif self.chasing_since is None:
            self.chasing_since = now
        elif now - self.chasing_since > STREAM_SAFETY_READ_SECONDS:
            # Announced long ago and still not readable (purged?): stop chasing it.
            self.waiter.target, self.chasing_since = after, None

    def _poll(self) -> float:
        # Without a listener (SQLite, or PostgreSQL while it reconnects) other processes'
        # events are found by polling; with one, a slow read only guards against a lost wake-up.
        return STREAM_SAFETY_READ_SECONDS if streaming.HUB.listening else STREAM_POLL_SECONDS

    def wait_seconds(self, after: int) -> float:
        now = time.monotonic()
        keepalive = STREAM_KEEPALIVE_SECONDS - (now - self.last_write)
        if self.waiter.target > after:
            # Announced but not yet passable (an older transaction is still open): retry soon.
            wait, self.backoff = self.backoff, min(self.backoff * 2, STREAM_RETRY_MAX_SECONDS)
            return max(min(wait, keepalive), 0)
        return max(min(self._poll() - (now - self.last_read), keepalive), 0)

    def keepalive_due(self) -> bool:
        return time.monotonic() - self.last_write >= STREAM_KEEPALIVE_SECONDS

    def read_due(self, woke: bool, after: int) -> bool:
        return woke or self.waiter.target > after or time.monotonic() - self.last_read >= self._poll()


async def _event_frames(principal, after: int, types, lease):
    waiter = streaming.HUB.subscribe(streaming.audience_key(selectors.audience_of(principal)), types)
    waiter.bind_loop()
    # Reads run (thread-sensitive) in this request's own sync thread and hand the
    # connection back after each one (streaming.stream_read).
    read = sync_to_async(partial(streaming.stream_read, selectors.event_page))
    refresh = sync_to_async(lease.refresh, thread_sensitive=False)
    clock = _StreamClock(waiter)
    try:
        # An opening comment lets clients and proxies see the stream is live at once.
        yield ": stream open\n\n"
        woke = True
        while True:
            if clock.read_due(woke, after):
                events, has_more = await read(principal=principal, after=after, types=types, limit=STREAM_BATCH)
                if events:
                    yield "".join(_frame(event) for event in events)
                    after = events[-1].sequence
                    clock.wrote()
                clock.read(after)
                if has_more:
                    continue
            woke = await waiter.wait(clock.wait_seconds(after))
            if clock.keepalive_due():
                yield ": keep-alive\n\n"
                clock.wrote()
                await refresh()
    finally:
        streaming.HUB.unsubscribe(waiter)
        lease.release()


def _event_frames_sync(principal, after: int, types, lease):
    """The same stream for a WSGI server (or the sync test client); it holds its thread."""
    waiter = streaming.HUB.subscribe(streaming.audience_key(selectors.audience_of(principal)), types)
    clock = _StreamClock(waiter)
    try:
        yield ": stream open\n\n"
        woke = True
        while True:
            if clock.read_due(woke, after):
                events, has_more = streaming.stream_read(selectors.event_page, principal=principal, after=after,
                                                         types=types, limit=STREAM_BATCH)
                if events:
                    yield "".join(_frame(event) for event in events)
                    after = events[-1].sequence
                    clock.wrote()
                clock.read(after)
                if has_more:
                    continue
            woke = waiter.wait_sync(clock.wait_seconds(after))
            if clock.keepalive_due():
                yield ": keep-alive\n\n"
                clock.wrote()
                lease.refresh()
    finally:
        streaming.HUB.unsubscribe(waiter)
        lease.release()


async def event_stream(request):
    """GET events/stream: served by the ASGI app without holding a connection between reads."""
    if request.method != "GET":
        return problem_response(request, 405, "method_not_allowed", f'Method "{request.method}" not allowed.',
                                headers={"Allow": "GET"})  # RFC 9110 15.5.6
    opened = await sync_to_async(_stream_open)(request)
    if not isinstance(opened, tuple):
        return opened
    principal, after, types, lease = opened
    # Under WSGI, Django would try to drain an async iterator into a list before sending:
    # an endless stream would never start, so WSGI gets the blocking generator.
    frames = _event_frames if isinstance(request, ASGIRequest) else _event_frames_sync
    response = StreamingHttpResponse(metrics.stream_tracked(frames(principal, after, types, lease)),
                                     content_type="text/event-stream")
    # Also when the body never starts (a client gone before the first frame).
    response._resource_closers.append(lease.release)
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
