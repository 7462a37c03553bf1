"""Reads: which definitions a caller sees, and the attribute values it may read.

Partners (suppliers and retail partners) see only definitions marked ``partnerReadable``
and only those values; the brand and staff see everything. ``principal=None`` is the
system itself (event data as the brand receives it).
"""

from __future__ import annotations

from django.db.models import QuerySet

from partners.attributes.models import AttributeDefinition
from partners.principal import Principal

_CACHE_KEY = "attribute_definitions"


def _is_partner(principal: Principal | None) -> bool:
    return principal is not None and not principal.is_brand


def definition_list(*, principal: Principal | None) -> QuerySet[AttributeDefinition]:
    qs = AttributeDefinition.objects.all()
    return qs.filter(partner_readable=True) if _is_partner(principal) else qs


def definition_get(*, principal: Principal | None, key: str) -> AttributeDefinition | None:
    return definition_list(principal=principal).filter(key=key).first()


def _all_definitions(principal: Principal | None) -> list[AttributeDefinition]:
    # One query per request however many records a page renders (the principal lives as
    # long as the request); definitions are a short table.
    cache = principal._cache if principal is not None else {}
    if _CACHE_KEY not in cache:
        cache[_CACHE_KEY] = list(AttributeDefinition.objects.all())
    return cache[_CACHE_KEY]


def definitions_for(*, principal: Principal | None, resource: str) -> dict[str, AttributeDefinition]:
    """{key: definition} of the keys the caller may read and write on ``resource``."""
    partner = _is_partner(principal)
    return {d.key: d for d in _all_definitions(principal)
            if d.applies(resource) and (d.partner_readable or not partner)}


def attributes_visible(*, principal: Principal | None, values: dict | None) -> dict:
    """The part of a record's ``attributes`` the caller may read."""
    if not values:
        return {}
    if not _is_partner(principal):
        return dict(values)
    readable = {d.key for d in _all_definitions(principal) if d.partner_readable}
    return {key: value for key, value in values.items() if key in readable}


def hidden_from_partners(values: dict | None) -> set[str]:
    """Keys of ``values`` that partners may not read (for event data, which has no single caller)."""
    if not values:
        return set()
    readable = set(AttributeDefinition.objects.filter(key__in=list(values), partner_readable=True)
                   .values_list("key", flat=True))
    return set(values) - readable


def partner_data(data: dict) -> dict | None:
    """What partners may see of an event's ``data`` whose top-level ``attributes`` is the brand's view.

    ``None`` when nothing is hidden (partners then get ``data`` itself).
    """
    hidden = hidden_from_partners(data.get("attributes"))
    if not hidden:
        return None
    return {**data, "attributes": {k: v for k, v in data["attributes"].items() if k not in hidden}}
