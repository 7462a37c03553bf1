from __future__ import annotations

from django.db.models import QuerySet

from inventory.promotions.models import Promotion
from partners.principal import Principal
from partners.selectors import retail_partner_ids_visible_to


def promotion_list(*, principal: Principal) -> QuerySet[Promotion]:
    """A retailer's own promotions; a supplier's trading retailers'; everything for the brand."""
    qs = Promotion.objects.select_related("retail_partner", "product")
    ids = retail_partner_ids_visible_to(principal)
    return qs if ids is None else qs.filter(retail_partner_id__in=ids)


def promotion_get(*, principal: Principal, code: str) -> Promotion | None:
    return promotion_list(principal=principal).filter(code=code).first()


def promotion_view(promotion: Promotion) -> dict:
    return {
        "promotion_id": promotion.code,
        "retail_partner_id": promotion.retail_partner.code,
        "product_id": promotion.product.sku,
        "name": promotion.name,
        "start_date": promotion.start_date.isoformat(),
        "end_date": promotion.end_date.isoformat(),
        "created_at": promotion.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": promotion.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
