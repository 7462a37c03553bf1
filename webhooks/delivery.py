"""Sending events to webhook endpoints (API-CONTRACT.md 5.5).

Deliveries are rows with a next-attempt time; the broker only carries "look at delivery
N now" hints. A task that is lost (dead broker, killed worker) costs latency, never an
event: the beat sweeper re-publishes whatever is due and has not been handed out lately.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from hotsauce import metrics
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event
from webhooks.selectors import event_for_endpoint
from webhooks.urlguard import PinnedTarget, UnsafeUrlError, pin

logger = logging.getLogger("hotsauce.webhooks")

SEND_TIMEOUT_SECONDS = 15
# Retries sooner than this ride on a short broker countdown; longer ones wait in the
# database for the sweeper, so the broker never holds hours-long ETAs.
SHORT_RETRY_SECONDS = 10
DISABLE_AFTER = timedelta(days=5)
JITTER = 0.1
RESPONSE_EXCERPT = 1000
USER_AGENT = "hotsauce-webhooks/1"


# A claimed attempt is invisible to other workers for WEBHOOK_CLAIM_LEASE_SECONDS (60 s by
# default, longer than a send may take). If its worker dies mid-send, or the database goes
# away before the outcome is written, the lease runs out, the row is due again and the
# sweeper hands it out again: at-least-once, same webhook-id, nothing pending forever.


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS)


def enqueue_grace() -> timedelta:
    """How long the sweeper leaves a published row alone (its task is probably queued): half
    the lease, 30 s by default. After it, a task lost with its worker or broker is replaced."""
    return claim_lease() / 2


# --- fan-out (inside the transaction of the change) ---------------------------------------


def deliveries_create_for_event(event: Event) -> list[Delivery]:
    """After-emit hook: one delivery per matching endpoint, in the change's transaction."""
    if event.type == "webhook.test":  # sent only to the endpoint that asked for it
        return []
    audience = getattr(event, "audience_pairs", None)
    if audience is None:
        audience = list(event.audience.values_list("partner_kind", "partner_id"))
    owners = Q(owner_kind=Endpoint.OwnerKind.BRAND)
    for kind in (Endpoint.OwnerKind.SUPPLIER, Endpoint.OwnerKind.RETAILER):
        ids = [pk for k, pk in audience if k == kind]
        if ids:
            owners |= Q(owner_kind=kind, owner_id__in=ids)
    endpoints = [e for e in Endpoint.objects.filter(owners, enabled=True).only("id", "event_types")
                 if e.wants(event.type)]
    if endpoints and connection.vendor == "postgresql":
        # KEY SHARE keeps a partner's concurrent DELETE of an endpoint from committing
        # between this read and our insert; otherwise the deferred foreign key check would
        # fail the stock movement's commit. It does not conflict with ordinary updates.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Endpoint._meta.db_table} WHERE id = ANY(%s) FOR KEY SHARE",
                           [[e.pk for e in endpoints]])
            alive = {row[0] for row in cursor.fetchall()}
        endpoints = [e for e in endpoints if e.pk in alive]
    if not endpoints:
        return []
    return deliveries_schedule(event=event, endpoints=endpoints)


def deliveries_create_for_events(events: list[Event]) -> list[Delivery]:
    """``deliveries_create_for_event`` for several events of one transaction, in a fixed number of statements."""
    audience = {pair for event in events for pair in event.audience_pairs}
    owners = Q(owner_kind=Endpoint.OwnerKind.BRAND)
    for kind in (Endpoint.OwnerKind.SUPPLIER, Endpoint.OwnerKind.RETAILER):
        ids = sorted(pk for k, pk in audience if k == kind)
        if ids:
            owners |= Q(owner_kind=kind, owner_id__in=ids)
    endpoints = list(Endpoint.objects.filter(owners, enabled=True).only("id", "event_types", "owner_kind",
                                                                          "owner_id"))
    if endpoints and connection.vendor == "postgresql":
        # KEY SHARE, as in ``deliveries_create_for_event``.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Endpoint._meta.db_table} WHERE id = ANY(%s) FOR KEY SHARE",
                           [[e.pk for e in endpoints]])
            alive = {row[0] for row in cursor.fetchall()}
        endpoints = [e for e in endpoints if e.pk in alive]
    pairs = []
    for event in events:
        if event.type == "webhook.test":
            continue
        seen = set(event.audience_pairs)
        pairs += [(event, endpoint) for endpoint in endpoints if endpoint.wants(event.type) and (
            endpoint.owner_kind == Endpoint.OwnerKind.BRAND or (endpoint.owner_kind, endpoint.owner_id) in seen)]
    return _deliveries_create(pairs)


def deliveries_schedule(*, event: Event, endpoints: list[Endpoint]) -> list[Delivery]:
    return _deliveries_create([(event, endpoint) for endpoint in endpoints])


def _deliveries_create(pairs: list[tuple[Event, Endpoint]]) -> list[Delivery]:
    if not pairs:
        return []
    delay, due, enqueued_at = first_attempt(timezone.now())
    rows = Delivery.objects.bulk_create([
        Delivery(event=event, endpoint=endpoint, next_attempt_at=due, enqueued_at=enqueued_at)
        for event, endpoint in pairs
    ])
    deliveries_enqueue_on_commit([row.pk for row in rows], delay)
    return rows


def first_attempt(now: datetime) -> tuple[float, datetime, datetime | None]:
    """(delay, next_attempt_at, enqueued_at) of a new delivery: the schedule's first entry is the first
    attempt's delay; a short one rides on a broker countdown (published on commit)."""
    delay = settings.WEBHOOK_RETRY_SCHEDULE[0]
    due = now + timedelta(seconds=delay)
    return delay, due, due if delay <= SHORT_RETRY_SECONDS else None


def deliveries_enqueue_on_commit(delivery_ids: list[int], delay: float) -> None:
    if delivery_ids and delay <= SHORT_RETRY_SECONDS:
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=delivery_ids, countdown=delay))


# After a failed publish this process stops trying for a while: each try against a dead
# broker costs the HTTP request about two seconds, and the sweeper will publish anyway.
BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def deliveries_enqueue(*, delivery_ids: list[int], countdown: float = 0) -> int:
    """Publish send tasks; a broker failure is logged, never raised (the sweeper catches up)."""
    global _broker_down_until
    from webhooks.tasks import delivery_send  # tasks imports this module

    for index, delivery_id in enumerate(delivery_ids):
        try:
            if time.monotonic() < _broker_down_until:
                raise ConnectionError("broker recently unreachable; leaving it to the sweeper")
            delivery_send.apply_async(args=[delivery_id], countdown=countdown or None)
        except Exception:  # kombu raises several types for one unreachable broker
            if time.monotonic() >= _broker_down_until:
                logger.warning("Broker unavailable: deliveries left for the sweeper", exc_info=True)
                _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            remaining = delivery_ids[index:]
            # Cleared so the sweeper takes them at once instead of after the grace period.
            Delivery.objects.filter(id__in=remaining, state=Delivery.State.PENDING).update(enqueued_at=None)
            return index
    return len(delivery_ids)


def deliveries_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish every due delivery that no task is known to be carrying.

    Also the reclaim: a delivery whose claim lease ran out (its worker died, or its outcome
    could not be written) is due again with no task in flight, so it is published here.
    """
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - enqueue_grace()))
        .order_by("next_attempt_at").values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0
    Delivery.objects.filter(id__in=ids).update(enqueued_at=now)
    return deliveries_enqueue(delivery_ids=ids)


def deliveries_resend(*, deliveries) -> int:
    """Start a fresh retry cycle for the given deliveries (admin re-send, /recover)."""
    now = timezone.now()
    ids = list(deliveries.values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        Delivery.objects.filter(id__in=ids).update(
            state=Delivery.State.PENDING, cycle_attempts=0, next_attempt_at=now, enqueued_at=now)
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids))
    return len(ids)


# --- one attempt (in a worker) ------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> bool:
    # Healthchecks' pattern: the conditional UPDATE is the lock. Two workers holding the
    # same id race on it and exactly one sees a changed row. Every condition must be on the
    # delivery's own columns: a filter across the join makes Django emit
    # "WHERE id IN (subquery)", which PostgreSQL does not re-check after waiting for the
    # other worker's row lock, and both would send.
    # enqueued_at is cleared: the task that carried it is consumed, so when the lease runs
    # out (a dead worker) the sweeper republishes at once instead of after the enqueue grace.
    enabled = Endpoint.objects.filter(enabled=True).values("id")
    return Delivery.objects.filter(
        id=delivery_id, state=Delivery.State.PENDING, next_attempt_at__lte=now, endpoint_id__in=enabled,
    ).update(next_attempt_at=now + claim_lease(), enqueued_at=None, attempts=F("attempts") + 1,
             cycle_attempts=F("cycle_attempts") + 1, last_attempt_at=now) == 1


def envelope_body(event: Event) -> str:
    return json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)


def signature_header(endpoint: Endpoint, *, msg_id: str, timestamp: int, body: str, now: datetime) -> str:
    """``v1,<sig>``, plus the old secret's signature during the 24 h after a rotation."""
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=signed_at, data=body) for secret in secrets)


def _post(endpoint: Endpoint, event: Event, now: datetime) -> tuple[int | None, int, str, str]:
    """(status code, latency ms, error, response excerpt) of one HTTP attempt."""
    body = envelope_body(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(endpoint, msg_id=event.event_id, timestamp=timestamp, body=body,
                                              now=now),
    }
    started = time.monotonic()
    try:
        # One resolution, every address checked, and the connection made to a checked one.
        target = pin(endpoint.url)
        response_status, excerpt = _send_pinned(target, body, headers)
        latency = int((time.monotonic() - started) * 1000)
        error = "" if 200 <= response_status < 300 else f"HTTP {response_status}"
        if 300 <= response_status < 400:
            error += " (redirects are not followed)"
        # httpx's timeout bounds each phase; the contract bounds the whole exchange.
        if latency > SEND_TIMEOUT_SECONDS * 1000:
            return None, latency, f"HTTP {response_status} after more than {SEND_TIMEOUT_SECONDS} s", ""
        return response_status, latency, error, excerpt[:RESPONSE_EXCERPT].decode("utf-8", "replace")
    except UnsafeUrlError as exc:
        return None, 0, f"Refused: {exc}", ""
    except httpx.TimeoutException:
        return None, int((time.monotonic() - started) * 1000), f"Timed out after {SEND_TIMEOUT_SECONDS} s", ""
    except httpx.HTTPError as exc:
        return None, int((time.monotonic() - started) * 1000), f"{type(exc).__name__}: {exc}"[:500], ""


def _send_pinned(target: PinnedTarget, body: str, headers: dict) -> tuple[int, bytes]:
    """POST to the first checked address that accepts a connection; (status, start of the body)."""
    attempts = target.requests()
    for index, (url, host_headers, extensions) in enumerate(attempts):
        try:
            return _send_one(url, body, {**headers, **host_headers}, extensions)
        except httpx.ConnectError:
            if index == len(attempts) - 1:
                raise
    raise httpx.ConnectError(f"No address for {target.host}")


def _send_one(url: str, body: str, headers: dict, extensions: dict) -> tuple[int, bytes]:
    # trust_env=False: no proxy from the environment may see or redirect partner traffic.
    with httpx.Client(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client, \
            client.stream("POST", url, content=body.encode(), headers=headers, extensions=extensions) as response:
        excerpt = b""
        for chunk in response.iter_bytes():
            excerpt += chunk
            if len(excerpt) >= RESPONSE_EXCERPT:
                break
        return response.status_code, excerpt


def _retry_delay(cycle_attempts: int) -> float | None:
    """Seconds until the next attempt after ``cycle_attempts`` failures, None when out of retries."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if cycle_attempts >= len(schedule):
        return None
    base = schedule[cycle_attempts]
    # Jitter spreads retries of an endpoint that failed for many events at once.
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def delivery_attempt(*, delivery_id: int) -> DeliveryAttempt | None:
    """Claim a due delivery and make one attempt; None when it was not ours to send."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    event = event_for_endpoint(delivery.event, delivery.endpoint)
    status_code, latency, error, excerpt = _post(delivery.endpoint, event, now)
    return _record(delivery, status_code, latency, error, excerpt)


def _outcome(status_code: int | None, error: str) -> str:
    if status_code is not None:
        return "succeeded" if 200 <= status_code < 300 else "http_error"
    return "refused" if error.startswith("Refused") else "network_error"


def _record(delivery: Delivery, status_code: int | None, latency: int, error: str,
            excerpt: str) -> DeliveryAttempt | None:
    now = timezone.now()
    success = status_code is not None and 200 <= status_code < 300
    metrics.webhook_attempted(_outcome(status_code, error),
                              delivered_after=(now - delivery.event.timestamp).total_seconds() if success else None)
    retry_in: float | None = None
    with transaction.atomic():
        # NO KEY UPDATE: emitting transactions insert deliveries (a KEY SHARE lock on this
        # row) while holding the global sequence lock; a plain FOR UPDATE here would make
        # every event wait for this worker, and deadlock when disabling emits an event.
        # It still excludes a concurrent DELETE of the endpoint.
        endpoint = Endpoint.objects.select_for_update(no_key=True).filter(pk=delivery.endpoint_id).first()
        if endpoint is None:  # deleted while we were sending: nothing left to record against
            return None
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, attempted_at=delivery.last_attempt_at or now,
            status_code=status_code, latency_ms=latency, success=success, error=error[:500], response_body=excerpt)
        update = {"last_status_code": status_code, "last_error": error[:500]}
        if success:
            update |= {"state": Delivery.State.SUCCEEDED, "delivered_at": now, "next_attempt_at": None}
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        elif status_code == 410:
            update |= {"state": Delivery.State.FAILED, "next_attempt_at": None}
            endpoint_disable(endpoint=endpoint, reason="The receiver answered 410 Gone.", now=now)
        else:
            if endpoint.failing_since is None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
                endpoint.failing_since = now
            retry_in = _retry_delay(delivery.cycle_attempts)
            if endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
                endpoint_disable(endpoint=endpoint, reason="Every attempt failed for 5 days.", now=now, notify=True)
                retry_in = None
            if retry_in is None:
                update |= {"state": Delivery.State.FAILED, "next_attempt_at": None}
            else:
                short = retry_in <= SHORT_RETRY_SECONDS
                update |= {"next_attempt_at": now + timedelta(seconds=retry_in),
                           "enqueued_at": now + timedelta(seconds=retry_in) if short else None}
                if short:
                    transaction.on_commit(partial(deliveries_enqueue, delivery_ids=[delivery.pk],
                                                  countdown=retry_in))
        Delivery.objects.filter(pk=delivery.pk).update(**update)
    return attempt


def endpoint_disable(*, endpoint: Endpoint, reason: str, now: datetime, notify: bool = False) -> None:
    from webhooks.services import event_emit  # services registers this module's hook

    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=reason[:200], disabled_at=now)
    endpoint.enabled = False
    # What was still owed fails now, so /recover can re-send it once the endpoint is fixed.
    Delivery.objects.filter(endpoint=endpoint, state=Delivery.State.PENDING).update(
        state=Delivery.State.FAILED, next_attempt_at=None, last_error="The endpoint was disabled.")
    if notify:
        # No partner audience: only staff and brand systems see it.
        event_emit(type="webhook.endpoint_disabled", data={
            "webhook_id": endpoint.public_id, "url": endpoint.url, "owner_kind": endpoint.owner_kind,
            "reason": reason, "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
        })
