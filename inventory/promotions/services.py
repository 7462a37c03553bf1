"""Writes of promotions (brand clients and staff)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from hotsauce.errors import ValidationFailed
from inventory.models import Product
from inventory.promotions.models import Promotion
from partners.models import RetailPartner
from partners.principal import Principal

#: A promotion longer than this is a price change, not a promotion: the baseline would vanish.
MAX_DAYS = 92


def _check(*, retail_partner_id: int, product_id: int, start_date: date, end_date: date,
           exclude: int | None = None) -> None:
    errors = []
    if end_date < start_date:
        errors.append({"field": "endDate", "message": "Must not be before startDate."})
    elif (end_date - start_date).days + 1 > MAX_DAYS:
        errors.append({"field": "endDate", "message": f"A promotion lasts at most {MAX_DAYS} days."})
    else:
        overlapping = (Promotion.objects.filter(retail_partner_id=retail_partner_id, product_id=product_id,
                                                start_date__lte=end_date, end_date__gte=start_date)
                       .exclude(pk=exclude).values_list("code", flat=True).first())
        if overlapping:
            errors.append({"field": "startDate", "message": f"Overlaps {overlapping} for the same retail partner "
                                                            "and product; change that one instead."})
    if errors:
        raise ValidationFailed("The promotion is invalid.", errors=errors)


@transaction.atomic
def promotion_create(*, retail_partner: RetailPartner, product: Product, start_date: date, end_date: date,
                     name: str = "", actor: Principal | None = None) -> Promotion:
    # The retailer's row lock serialises its promotions, so two overlapping ones cannot both pass the check.
    RetailPartner.objects.select_for_update().filter(pk=retail_partner.pk).first()
    _check(retail_partner_id=retail_partner.pk, product_id=product.pk, start_date=start_date, end_date=end_date)
    promotion = Promotion.objects.create(retail_partner=retail_partner, product=product, name=name,
                                         start_date=start_date, end_date=end_date,
                                         created_by=getattr(actor, "client", None))
    promotion.code = f"PRM-{promotion.pk:06d}"
    Promotion.objects.filter(pk=promotion.pk).update(code=promotion.code)
    return promotion


@transaction.atomic
def promotion_update(*, promotion: Promotion, name: str | None = None, start_date: date | None = None,
                     end_date: date | None = None) -> Promotion:
    RetailPartner.objects.select_for_update().filter(pk=promotion.retail_partner_id).first()
    promotion = Promotion.objects.select_related("retail_partner", "product").get(pk=promotion.pk)
    start_date = start_date or promotion.start_date
    end_date = end_date or promotion.end_date
    _check(retail_partner_id=promotion.retail_partner_id, product_id=promotion.product_id, start_date=start_date,
           end_date=end_date, exclude=promotion.pk)
    promotion.start_date, promotion.end_date = start_date, end_date
    if name is not None:
        promotion.name = name
    promotion.save()
    return promotion


def promotion_delete(*, promotion: Promotion) -> None:
    Promotion.objects.filter(pk=promotion.pk).delete()
