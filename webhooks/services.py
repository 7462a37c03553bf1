"""Writing events: the one service domain apps call (``event_emit``).

It knows envelopes and audiences, not stock: callers pass the resource data and the
partner ids that may see it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone
from djangorestframework_camel_case.util import camelize

from webhooks.models import Event, EventAudience, EventCounter

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _next_sequence() -> int:
    # UPDATE takes the counter's row lock and holds it to commit: a later transaction
    # cannot get a sequence until this one commits, so sequence order is commit order.
    # Callers must take every stock lock they need before emitting, or two transactions
    # could each hold one lock and wait on the other.
    table = EventCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE id = 1 RETURNING value")
        row = cursor.fetchone()
        if row is None:
            EventCounter.objects.get_or_create(pk=1, defaults={"value": 0})
            cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE id = 1 RETURNING value")
            row = cursor.fetchone()
    return row[0]


def event_emit(*, type: str, data: dict, supplier_ids: Iterable[int] = (),
               retail_partner_ids: Iterable[int] = ()) -> Event:
    """Append an event to the outbox inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it describes")
    event = Event.objects.create(
        sequence=_next_sequence(),
        event_id=f"evt_{_ulid()}",
        type=type,
        timestamp=timezone.now(),
        data=camelize(data),
    )
    audience = [EventAudience(event=event, partner_kind="supplier", partner_id=pk) for pk in set(supplier_ids)]
    audience += [EventAudience(event=event, partner_kind="retailer", partner_id=pk)
                 for pk in set(retail_partner_ids)]
    if audience:
        EventAudience.objects.bulk_create(audience)
    for hook in _after_emit_hooks:
        hook(event)
    return event


# The delivery machinery registers here (webhooks.delivery) to fan an event out to
# subscriptions in the same transaction, without this module importing it.
_after_emit_hooks: list = []


def register_after_emit(hook) -> None:
    if hook not in _after_emit_hooks:
        _after_emit_hooks.append(hook)


__all__ = ["event_emit", "register_after_emit", "transaction"]
