from __future__ import annotations

from django.db.models import QuerySet

from partners.models import RetailPartner, Supplier, TradingRelationship
from partners.principal import Principal


def supplier_ids_visible_to(principal: Principal) -> set[int] | None:
    """Suppliers whose stock the principal may read; ``None`` means every supplier."""
    if principal.is_brand:
        return None
    if principal.is_supplier:
        return {principal.supplier_id}
    cache = principal._cache
    if "supplier_ids" not in cache:
        cache["supplier_ids"] = set(
            TradingRelationship.objects.filter(retail_partner_id=principal.retail_partner_id, active=True)
            .values_list("supplier_id", flat=True)
        )
    return cache["supplier_ids"]


def retail_partner_ids_visible_to(principal: Principal) -> set[int] | None:
    if principal.is_brand:
        return None
    if principal.is_retailer:
        return {principal.retail_partner_id}
    cache = principal._cache
    if "retail_partner_ids" not in cache:
        cache["retail_partner_ids"] = set(
            TradingRelationship.objects.filter(supplier_id=principal.supplier_id, active=True)
            .values_list("retail_partner_id", flat=True)
        )
    return cache["retail_partner_ids"]


def supplier_list(*, principal: Principal) -> QuerySet[Supplier]:
    qs = Supplier.objects.all()
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(id__in=ids)


def retail_partner_list(*, principal: Principal) -> QuerySet[RetailPartner]:
    qs = RetailPartner.objects.all()
    ids = retail_partner_ids_visible_to(principal)
    return qs if ids is None else qs.filter(id__in=ids)


def trading_relationship_list(*, principal: Principal) -> QuerySet[TradingRelationship]:
    qs = TradingRelationship.objects.select_related("supplier", "retail_partner")
    if principal.is_supplier:
        return qs.filter(supplier_id=principal.supplier_id)
    if principal.is_retailer:
        return qs.filter(retail_partner_id=principal.retail_partner_id)
    return qs


def is_trading(*, supplier_id: int, retail_partner_id: int) -> bool:
    return TradingRelationship.objects.filter(
        supplier_id=supplier_id, retail_partner_id=retail_partner_id, active=True
    ).exists()
