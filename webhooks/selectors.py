"""Reads: the changes feed (5.3) shared by the SSE stream, and a partner's endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from hotsauce.errors import CursorExpired, NotFound
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event, EventCounter

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
    """410 when events after ``after`` were purged: the reader would silently miss them."""
    if after <= 0:
        return  # "from the oldest event still kept"
    purged = EventCounter.objects.filter(pk=1).values_list("purged_through", flat=True).first() or 0
    if after < purged:
        raise CursorExpired(
            f"Events after sequence {after} were purged (retention keeps events through {purged}); "
            "start again from after=0 and reconcile.")


def event_page(*, principal: Principal, after: int, types: list[str] | None = None,
               limit: int = 100) -> tuple[list[Event], bool]:
    """Up to ``limit`` events after ``after`` the principal may see, ascending; and whether more exist."""
    qs = Event.objects.filter(sequence__gt=after)
    if types:
        qs = qs.filter(type__in=types)
    audience = audience_of(principal)
    if audience is not None:
        # Audiences were fixed when each event was written; (event, kind, partner) is
        # unique, so the join cannot duplicate rows.
        qs = qs.filter(audience__partner_kind=audience[0], audience__partner_id=audience[1])
    rows = list(qs.order_by("sequence")[: limit + 1])
    return rows[:limit], len(rows) > limit


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
