"""846 Inventory Inquiry/Advice: what one retailer can be promised by one supplier, lot by lot."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import ValidationFailed
from inventory.selectors import item_view
from orders.edi.models import EdiDocument, TradingPartnerProfile
from orders.edi.services.documents import outbound_issue
from orders.edi.services.profiles import profile_of
from orders.edi.services.ship_notices import item_ids
from partners.models import RetailPartner, Supplier, TradingRelationship
from partners.principal import Principal

logger = logging.getLogger("hotsauce.edi")


def inventory_advice_body(*, supplier: Supplier, retail_partner: RetailPartner) -> list[tuple]:
    """One LIN per sellable lot (LT = batch, DTM*036 = expiry, QTY*33 = units promisable to this retailer).

    Quantities are the retailer's view of the stock core (``inventory.selectors.item_view``):
    lots too short-dated for its minimum shelf life count zero. A product with nothing
    promisable gets one LIN with QTY*33*0, so the retailer learns it ran out.
    """
    from inventory.models import InventoryItem

    now = timezone.now()
    body: list[tuple] = [("BIA", "00", "MM", f"INV-{supplier.code}-{now:%Y%m%d%H%M%S}", f"{now:%Y%m%d}",
                          f"{now:%H%M}")]
    items = (InventoryItem.objects.filter(supplier=supplier).select_related("supplier", "product")
             .prefetch_related("lots__batch", "lots__warehouse").order_by("product__sku"))
    count = 0
    for item in items:
        view = item_view(item, item.lots.all(), retail_partner=retail_partner, now=now)
        product = item.product
        lots = [lot for lot in view["lots"] if lot["available_quantity"] > 0]
        if not lots:
            count += 1
            body += [("LIN", str(count), *item_ids(product.sku, product.gtin)), ("PID", "F", "", "", "", product.name),
                     ("QTY", "33", "0", "EA")]
            continue
        for lot in lots:
            count += 1
            body += [("LIN", str(count), *item_ids(product.sku, product.gtin, lot["batch_number"])),
                     ("PID", "F", "", "", "", product.name),
                     ("DTM", "036", lot["expiration_date"][:10].replace("-", "")),
                     ("QTY", "33", str(lot["available_quantity"]), "EA")]
    body.append(("CTT", str(count)))
    return body


@transaction.atomic
def inventory_advice_issue(*, supplier: Supplier, retail_partner: RetailPartner,
                           actor: Principal | None = None) -> EdiDocument:
    """An 846 from the supplier to the retailer now; a 400 when they cannot exchange one."""
    if not TradingRelationship.objects.filter(supplier=supplier, retail_partner=retail_partner, active=True).exists():
        raise ValidationFailed.for_field("supplierId", f"{retail_partner.code} does not trade with {supplier.code}.")
    receiver = profile_of(retail_partner=retail_partner)
    if receiver is None or not receiver.enabled("846"):
        raise ValidationFailed.for_field("retailPartnerId", f"{retail_partner.code} has no X12 profile taking 846s.")
    if profile_of(supplier=supplier) is None:
        raise ValidationFailed.for_field("supplierId", f"{supplier.code} has no X12 profile.")
    return outbound_issue(transaction_set="846", supplier=supplier, retail_partner=retail_partner, actor=actor,
                          bodies=[inventory_advice_body(supplier=supplier, retail_partner=retail_partner)])


def inventory_advice_all() -> int:
    """The scheduled run: an 846 for every active relationship whose retailer takes them."""
    sent = 0
    retailers = TradingPartnerProfile.objects.filter(active=True, retail_partner__isnull=False).values_list(
        "retail_partner_id", "documents")
    wanted = [rp_id for rp_id, documents in retailers if "846" in (documents or [])]
    relationships = TradingRelationship.objects.filter(active=True, retail_partner_id__in=wanted,
                                                       supplier__edi_profile__active=True).select_related(
        "supplier", "retail_partner").order_by("pk")
    for relationship in relationships:
        try:
            inventory_advice_issue(supplier=relationship.supplier, retail_partner=relationship.retail_partner)
            sent += 1
        except Exception:  # one partner's failure must not stop the others' advice
            logger.exception("846 to %s from %s failed", relationship.retail_partner.code, relationship.supplier.code)
    return sent
