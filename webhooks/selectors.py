"""Reads: the changes feed (5.3) shared by the SSE stream, and a partner's endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet

from hotsauce.errors import CursorExpired, NotFound
from webhooks import sequencing
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event, EventAudience, EventCounter

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

    Every reader of the outbox in sequence order comes through here, so the visibility rule
    (which events a cursor may pass yet: ``webhooks.sequencing``) is applied once.
    """
    if audience is None:
        qs = sequencing.passable(Event.objects.all(), after=after).order_by("sequence")
        if types:
            qs = qs.filter(type__in=types)
        rows = list(qs[: limit + 1])
        return rows[:limit], len(rows) > limit
    # Audiences were fixed when each event was written; the audience's own copy of the
    # sequence makes the page a range scan of the (kind, partner, sequence) index, and its
    # own data (when it has one) is what this partner sees of the event.
    seen = sequencing.passable(EventAudience.objects.filter(partner_kind=audience[0], partner_id=audience[1]),
                               after=after).select_related("event").order_by("sequence")
    if types:
        seen = seen.filter(event__type__in=types)
    rows = [row.event.for_audience(row.data) for row in seen[: limit + 1]]
    return rows[:limit], len(rows) > limit


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
