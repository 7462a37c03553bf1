"""Reads: the changes feed (5.3) shared by the SSE stream, and a partner's endpoints."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from hotsauce.api.renderers import RenderedJSON
from hotsauce.errors import CursorExpired, NotFound
from webhooks import sequencing
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event, EventAudience, EventCounter, event_timestamp

if TYPE_CHECKING:
    from partners.principal import Principal


def audience_of(principal: Principal) -> tuple[str, int] | None:
    """The EventAudience row a principal reads by; None for brand clients and staff (all events)."""
    if principal.is_supplier:
        return "supplier", principal.supplier_id
    if principal.is_retailer:
        return "retailer", principal.retail_partner_id
    return None


def cursor_check(*, after: int) -> None:
    """410 when events after ``after`` are gone: the reader would silently miss them."""
    if after <= 0:
        return  # "from the oldest event still kept"
    purged = EventCounter.objects.filter(pk=1).values_list("purged_through", flat=True).first() or 0
    oldest = Event.objects.order_by("sequence").values_list("sequence", flat=True).first()
    if after < purged or _deleted_after(after, oldest):
        raise CursorExpired(
            f"Events after sequence {after} are no longer kept (retention is {settings.EVENT_RETENTION_DAYS} "
            "days); re-read current state and continue from after=0.")


def _deleted_after(after: int, oldest: int | None) -> bool:
    """Whether events after ``after`` were removed by other means than the purge (which records how far).

    A kept minimum above ``after + 1`` means something in between is gone. On SQLite sequences
    are gapless, so that is the whole test. On PostgreSQL a rolled-back transaction leaves a gap
    too; a cursor is the sequence of an event its reader saw, so while that event is kept the
    gap behind it is a rollback's, not a deletion's.
    """
    if oldest is None:
        return after < sequencing.sequence_newest()
    if oldest <= after + 1:
        return False
    return not sequencing.uses_sequence() or not Event.objects.filter(sequence=after).exists()


def event_page(*, principal: Principal, after: int, types: list[str] | None = None,
               limit: int = 100) -> tuple[list[Event], bool]:
    """Up to ``limit`` events after ``after`` the principal may see, ascending; and whether more exist."""
    return feed_page(audience=audience_of(principal), after=after, types=types, limit=limit)


def feed_page(*, audience: tuple[str, int] | None, after: int, types: list[str] | None = None,
              limit: int = 100) -> tuple[list[Event], bool]:
    """The feed as one audience reads it (None: every event, as the brand and the AMQP relay read it).

    Every reader of the outbox in sequence order comes through here (or ``feed_page_rendered``, the
    same rows), so the visibility rule (which events a cursor may pass yet: ``webhooks.sequencing``)
    is applied once, in ``_feed_rows``.
    """
    qs = _feed_rows(audience=audience, after=after, types=types)
    if audience is None:
        rows = list(qs[: limit + 1])
    else:
        rows = [row.event.for_audience(row.data) for row in qs.select_related("event")[: limit + 1]]
    return rows[:limit], len(rows) > limit


def _feed_rows(*, audience: tuple[str, int] | None, after: int, types: list[str] | None) -> QuerySet:
    if audience is None:
        qs = sequencing.passable(Event.objects.all(), after=after).order_by("sequence")
        return qs.filter(type__in=types) if types else qs
    # Audiences were fixed when each event was written; the audience's own copy of the
    # sequence makes the page a range scan of the (kind, partner, sequence) index, and its
    # own data (when it has one) is what this partner sees of the event.
    seen = sequencing.passable(EventAudience.objects.filter(partner_kind=audience[0], partner_id=audience[1]),
                               after=after).order_by("sequence")
    return seen.filter(event__type__in=types) if types else seen


def feed_page_rendered(*, principal: Principal, after: int, types: list[str] | None = None,
                       limit: int = 100) -> tuple[list[RenderedJSON], int | None, bool]:
    """``event_page``'s events as their JSON envelopes (``Event.envelope``), the last one's sequence,
    and whether more exist.

    The changes feed reads thousands of events a second (issue 19: 10,000 in ≤ 1.5 s). Stored event
    data is camelCase JSON already, so it is read as text and spliced into each envelope, not decoded
    into objects and encoded again: no model instances, no ``json`` round trip.
    """
    audience = audience_of(principal)
    qs = _feed_rows(audience=audience, after=after, types=types)
    prefix = "" if audience is None else "event__"
    columns = ["sequence", f"{prefix}event_id", f"{prefix}type", f"{prefix}timestamp"]
    data = [Cast(f"{prefix}data", TextField())]
    if audience is not None:
        data.append(Cast("data", TextField()))
    rows = list(qs.values_list(*columns, *data)[: limit + 1])
    page = rows[:limit]
    rendered = []
    for sequence, event_id, type_, timestamp, event_data, *own in page:
        seen = own[0] if own and own[0] not in (None, "null") else event_data  # Event.for_audience
        rendered.append(RenderedJSON(
            f'{{"id":{json.dumps(event_id)},"type":{json.dumps(type_)},"sequence":{sequence},'
            f'"timestamp":"{event_timestamp(timestamp)}","data":{seen}}}'))
    return rendered, (page[-1][0] if page else None), len(rows) > limit


def event_for_endpoint(event: Event, endpoint: Endpoint) -> Event:
    """The event as the endpoint's owner sees it (a retailer's own view of an item)."""
    if endpoint.owner_kind == Endpoint.OwnerKind.BRAND:
        return event
    data = (EventAudience.objects.filter(event=event, partner_kind=endpoint.owner_kind, partner_id=endpoint.owner_id)
            .values_list("data", flat=True).first())
    return event.for_audience(data)


def endpoint_list(*, principal: Principal) -> QuerySet[Endpoint]:
    from webhooks.services import owner_of

    kind, owner_id = owner_of(principal)
    return Endpoint.objects.filter(owner_kind=kind, owner_id=owner_id)


def endpoint_get(*, principal: Principal, public_id: str) -> Endpoint:
    endpoint = endpoint_list(principal=principal).filter(public_id=public_id).first()
    if endpoint is None:
        raise NotFound(f"No webhook {public_id}.")
    return endpoint


def delivery_get(*, endpoint: Endpoint, delivery_id: int) -> Delivery:
    return Delivery.objects.select_related("event").get(endpoint=endpoint, pk=delivery_id)


def attempt_list(*, endpoint: Endpoint, status: str | None = None) -> QuerySet[DeliveryAttempt]:
    qs = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).select_related("delivery__event")
    if status:
        qs = qs.filter(success=status == "succeeded")
    return qs
