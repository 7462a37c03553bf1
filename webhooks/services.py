"""Writing events (``event_emit``, the one service domain apps call), webhook
subscriptions, and the retention purge.

It knows envelopes and audiences, not stock: callers pass the resource data and the
partner ids that may see it. Sending lives in ``webhooks.delivery``.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.utils import timezone

from hotsauce.api.camel import camelize
from hotsauce.errors import InvalidState, ValidationFailed
from webhooks.delivery import (
    deliveries_create_for_event,
    deliveries_create_for_events,
    deliveries_resend,
    deliveries_schedule,
    endpoint_disable,
)
from webhooks.models import Delivery, Endpoint, Event, EventAudience, EventCounter
from webhooks.sequencing import sequence_next, sequences_next
from webhooks.streaming import stream_notify, streams_notify
from webhooks.types import EVENT_TYPES, WILDCARD
from webhooks.urlguard import UnsafeUrlError, url_check

if TYPE_CHECKING:
    from partners.principal import Principal

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def event_id_new() -> str:
    return f"evt_{_ulid()}"


def event_audience(*, supplier_ids: Iterable[int] = (), retail_partner_ids: Iterable[int] = (),
                   audience_data: dict[int, dict] | None = None,
                   partner_data: dict | None = None) -> list[tuple[str, int, dict | None]]:
    """(partner kind, partner id, camelCased data or None) of each audience row of an event, in the
    order ``event_emit`` writes them (the inventory fast path writes the same rows)."""
    shared = camelize(partner_data) if partner_data is not None else None
    own = audience_data or {}
    return ([("supplier", pk, shared) for pk in set(supplier_ids)]
            + [("retailer", pk, camelize(own[pk]) if pk in own else shared) for pk in set(retail_partner_ids)])


def event_emit(*, type: str, data: dict, supplier_ids: Iterable[int] = (),
               retail_partner_ids: Iterable[int] = (), audience_data: dict[int, dict] | None = None,
               partner_data: dict | None = None) -> Event:
    """Append an event to the outbox inside the caller's transaction.

    ``data`` is what the brand sees, and suppliers unless ``partner_data`` is given: then
    every partner in the audience without data of its own sees that (``data`` less what only
    the brand may read). ``audience_data`` maps a retail partner id to the data that retailer
    sees instead. All camelCased here, once.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it describes")
    # No lock is held for the sequence: events of different items commit in parallel, and
    # readers pass them in order (``webhooks.sequencing``).
    sequence, horizon = sequence_next()
    event = Event.objects.create(
        sequence=sequence,
        horizon=horizon,
        event_id=event_id_new(),
        type=type,
        timestamp=timezone.now(),
        data=camelize(data),
    )
    event.horizon = None  # stored by the database; not needed here
    audience = _audience(event, supplier_ids, retail_partner_ids, audience_data, partner_data)
    if audience:
        EventAudience.objects.bulk_create(audience)
    deliveries_create_for_event(event)
    stream_notify(sequence=event.sequence, type=event.type, audience_pairs=event.audience_pairs)
    return event


def events_emit(events: list[dict]) -> list[Event]:
    """``event_emit`` for several events of one transaction (each a dict of its arguments), in sequence
    order and a fixed number of statements whatever their number (an order touching many items)."""
    if len(events) <= 1:
        return [event_emit(**kwargs) for kwargs in events]
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it describes")
    sequences, horizon = sequences_next(len(events))
    now = timezone.now()
    rows = [Event(sequence=sequence, horizon=horizon, event_id=event_id_new(), type=kwargs["type"], timestamp=now,
                  data=camelize(kwargs["data"])) for sequence, kwargs in zip(sequences, events, strict=True)]
    Event.objects.bulk_create(rows)
    audience = []
    for event, kwargs in zip(rows, events, strict=True):
        event.horizon = None  # stored by the database; not needed here
        audience += _audience(event, kwargs.get("supplier_ids", ()), kwargs.get("retail_partner_ids", ()),
                              kwargs.get("audience_data"), kwargs.get("partner_data"))
    if audience:
        EventAudience.objects.bulk_create(audience)
    deliveries_create_for_events(rows)
    streams_notify([(event.sequence, event.type, event.audience_pairs) for event in rows])
    return rows


def _audience(event: Event, supplier_ids: Iterable[int], retail_partner_ids: Iterable[int],
              audience_data: dict[int, dict] | None, partner_data: dict | None) -> list[EventAudience]:
    audience = [EventAudience(event=event, partner_kind=kind, partner_id=pk, sequence=event.sequence, data=seen)
                for kind, pk, seen in event_audience(supplier_ids=supplier_ids, retail_partner_ids=retail_partner_ids,
                                                     audience_data=audience_data, partner_data=partner_data)]
    # The delivery fan-out decides from the audience just written, without a re-read.
    event.audience_pairs = [(row.partner_kind, row.partner_id) for row in audience]
    return audience


# --- subscriptions ------------------------------------------------------------------------


SECRET_ROTATION_OVERLAP = timedelta(hours=24)


def _secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def owner_of(principal: Principal) -> tuple[str, int | None]:
    """(owner kind, partner id) under which a principal's endpoints are kept."""
    if principal.is_supplier:
        return Endpoint.OwnerKind.SUPPLIER, principal.supplier_id
    if principal.is_retailer:
        return Endpoint.OwnerKind.RETAILER, principal.retail_partner_id
    return Endpoint.OwnerKind.BRAND, None


def _url_validate(url: str) -> str:
    try:
        url_check(url)
    except UnsafeUrlError as exc:
        raise ValidationFailed.for_field("url", str(exc)) from None
    return url


def _event_types_validate(event_types: list[str]) -> list[str]:
    if not event_types:
        raise ValidationFailed.for_field("eventTypes", 'List at least one event type, or ["*"] for all.')
    unknown = [t for t in event_types if t != WILDCARD and t not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed.for_field(
            "eventTypes", f"Unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)} or *.")
    return sorted(set(event_types))


def endpoint_create(*, principal: Principal, url: str, event_types: list[str], description: str = "") -> Endpoint:
    owner_kind, owner_id = owner_of(principal)
    return Endpoint.objects.create(
        public_id=f"wh_{_ulid()}", owner_kind=owner_kind, owner_id=owner_id, url=_url_validate(url),
        event_types=_event_types_validate(event_types), description=description, secret=_secret_new())


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, url: str | None = None, event_types: list[str] | None = None,
                    description: str | None = None, enabled: bool | None = None) -> Endpoint:
    if url is not None:
        endpoint.url = _url_validate(url)
    if event_types is not None:
        endpoint.event_types = _event_types_validate(event_types)
    if description is not None:
        endpoint.description = description
    if enabled and not endpoint.enabled:
        # A partner re-enabling says the receiver is fixed: the 5-day clock restarts.
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
        endpoint.failing_since = None
    endpoint.save()
    if enabled is False and endpoint.enabled:
        endpoint_disable(endpoint=endpoint, reason="Disabled by the partner.", now=timezone.now())
        endpoint.refresh_from_db()
    return endpoint


def endpoint_delete(*, endpoint: Endpoint) -> None:
    # Disabled first (committed), so new events stop choosing it; then the row lock waits
    # for changes that already chose it (they hold KEY SHARE on it until they commit) and
    # the cascade sees their deliveries. Deleting straight away would fail on the foreign
    # key of a delivery committed in between.
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if locked is not None:
            locked.delete()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + SECRET_ROTATION_OVERLAP
    endpoint.secret = _secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_test(*, endpoint: Endpoint) -> Delivery:
    """Send a ``webhook.test`` event to this endpoint only."""
    if not endpoint.enabled:
        raise InvalidState("The endpoint is disabled; enable it before testing.")
    owner = {"supplier_ids": [endpoint.owner_id]} if endpoint.owner_kind == Endpoint.OwnerKind.SUPPLIER else \
        {"retail_partner_ids": [endpoint.owner_id]} if endpoint.owner_kind == Endpoint.OwnerKind.RETAILER else {}
    event = event_emit(type="webhook.test", data={
        "webhook_id": endpoint.public_id, "url": endpoint.url,
        "message": "A test delivery: your endpoint received and can verify our webhooks.",
    }, **owner)
    return deliveries_schedule(event=event, endpoints=[endpoint])[0]


def endpoint_recover(*, endpoint: Endpoint, since: datetime) -> int:
    """Re-send every failed delivery created since ``since`` (a fresh retry cycle each)."""
    if not endpoint.enabled:
        raise InvalidState("The endpoint is disabled; enable it before recovering deliveries.")
    return deliveries_resend(deliveries=Delivery.objects.filter(
        endpoint=endpoint, state=Delivery.State.FAILED, created_at__gte=since))


# --- retention ----------------------------------------------------------------------------


def events_purge(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete events older than EVENT_RETENTION_DAYS, oldest first, and remember how far."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    newest = Event.objects.filter(timestamp__lt=cutoff).aggregate(seq=Max("sequence"))["seq"]
    if newest is None:
        return 0
    # Record the horizon first: a reader racing the delete gets 410 rather than a silent gap.
    # The one row is made by a migration; on PostgreSQL nothing else writes it, so make sure it is there.
    EventCounter.objects.get_or_create(pk=1)
    EventCounter.objects.filter(pk=1).update(purged_through=Greatest(F("purged_through"), newest))
    deleted = 0
    while True:
        ids = list(Event.objects.filter(sequence__lte=newest).order_by("sequence")
                   .values_list("id", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            Event.objects.filter(id__in=ids).delete()
        deleted += len(ids)


__all__ = ["event_emit"]
