"""Trading-partner profiles and the control numbers drawn from them."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from orders.edi.models import TRANSACTION_SETS, TradingPartnerProfile
from orders.edi.x12.writer import Delimiters, Party
from partners.models import RetailPartner, Supplier

RETAILER_DOCUMENTS = list(TRANSACTION_SETS)
SUPPLIER_DOCUMENTS = list(TRANSACTION_SETS)


def profile_ensure(*, retail_partner: RetailPartner | None = None, supplier: Supplier | None = None,
                   qualifier: str = "ZZ", version: str | None = None) -> TradingPartnerProfile:
    """The partner's profile, created if missing with its own code as ISA and GS id (the sandbox's)."""
    partner = retail_partner or supplier
    lookup = {"retail_partner": retail_partner} if retail_partner else {"supplier": supplier}
    profile, _ = TradingPartnerProfile.objects.get_or_create(**lookup, defaults={
        "isa_qualifier": qualifier, "isa_id": partner.code[:15], "gs_id": partner.code[:15],
        "version": version or settings.EDI_DEFAULT_VERSION,
        "documents": RETAILER_DOCUMENTS if retail_partner else SUPPLIER_DOCUMENTS})
    return profile


def profile_of(*, retail_partner: RetailPartner | None = None,
               supplier: Supplier | None = None) -> TradingPartnerProfile | None:
    lookup = {"retail_partner": retail_partner} if retail_partner else {"supplier": supplier}
    return TradingPartnerProfile.objects.filter(active=True, **lookup).select_related(
        "retail_partner", "supplier").first()


def profile_by_isa(qualifier: str, isa_id: str) -> TradingPartnerProfile | None:
    return TradingPartnerProfile.objects.filter(isa_qualifier=qualifier, isa_id=isa_id, active=True).select_related(
        "retail_partner", "supplier").first()


@transaction.atomic
def control_number_next(profile: TradingPartnerProfile) -> int:
    """The next control number for documents to this partner: unique and increasing, under a row lock."""
    TradingPartnerProfile.objects.filter(pk=profile.pk).update(last_control_number=F("last_control_number") + 1)
    # The UPDATE holds the row lock until commit, so this read sees our own increment only.
    number = TradingPartnerProfile.objects.filter(pk=profile.pk).values_list("last_control_number", flat=True).get()
    if number > 999_999_999:
        raise OverflowError(f"Control numbers to {profile} are exhausted (ISA13 has nine digits).")
    return number


def delimiters_of(profile: TradingPartnerProfile) -> Delimiters:
    return Delimiters(element=profile.element_separator, component=profile.component_separator,
                      repetition=profile.repetition_separator, segment=profile.segment_terminator)


def party_of(profile: TradingPartnerProfile) -> Party:
    return Party(qualifier=profile.isa_qualifier, isa_id=profile.isa_id, gs_id=profile.gs_id)
