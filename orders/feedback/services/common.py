"""What the feedback services share: who acted, due times, opening a discrepancy, its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from orders.feedback.models import AuthorKind, Discrepancy
from orders.feedback.selectors import discrepancy_fresh, discrepancy_view
from partners.principal import Principal
from webhooks.services import event_emit


@dataclass(frozen=True)
class Author:
    kind: str
    client: object | None = None
    user: object | None = None


def author_of(actor: Principal | None) -> Author:
    if actor is None:
        return Author(AuthorKind.SYSTEM)
    if actor.is_retailer:
        return Author(AuthorKind.RETAILER, client=actor.client)
    if actor.is_supplier:
        return Author(AuthorKind.SUPPLIER, client=actor.client)
    return Author(AuthorKind.BRAND, client=actor.client, user=actor.user)


def due_at(kind: str, opened_at: datetime) -> datetime:
    return opened_at + timedelta(hours=settings.DISCREPANCY_DUE_HOURS[kind])


def discrepancy_emit(discrepancy: Discrepancy, type: str) -> None:
    """Tell the parties (the supplier and the retailer it names; the brand sees every event)."""
    fresh = discrepancy_fresh(discrepancy)
    event_emit(type=type, data=discrepancy_view(fresh),
               supplier_ids=[fresh.supplier_id] if fresh.supplier_id else [],
               retail_partner_ids=[fresh.retail_partner_id])


def discrepancy_insert(*, actor: Principal | None, kind: str, now: datetime | None = None,
                       **fields) -> Discrepancy:
    """Insert one discrepancy with its id and due time, and emit ``discrepancy.opened``.

    The caller runs this inside its transaction (and, where a unique constraint may refuse
    the row, inside a savepoint of its own)."""
    now = now or timezone.now()
    author = author_of(actor)
    discrepancy = Discrepancy.objects.create(
        kind=kind, opened_by_kind=author.kind, opened_by=author.client, opened_by_user=author.user,
        opened_at=now, due_at=due_at(kind, now), **fields)
    discrepancy.code = f"DSC-{discrepancy.pk:06d}"
    Discrepancy.objects.filter(pk=discrepancy.pk).update(code=discrepancy.code)
    discrepancy_emit(discrepancy, "discrepancy.opened")
    return discrepancy
