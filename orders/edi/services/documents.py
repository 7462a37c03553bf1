"""Storing EDI documents, and issuing an outbound one with the next control number."""

from __future__ import annotations

from django.utils import timezone

from orders.edi.models import EdiDocument, TradingPartnerProfile
from orders.edi.services.profiles import control_number_next, delimiters_of, party_of, profile_of
from orders.edi.x12.writer import Segment, interchange
from partners.models import RetailPartner, Supplier
from partners.principal import Principal

D = EdiDocument.Direction


def _assign_code(document: EdiDocument) -> None:
    document.code = f"EDI-{document.pk:06d}"
    EdiDocument.objects.filter(pk=document.pk).update(code=document.code)


def document_store(*, actor: Principal | None = None, **fields) -> EdiDocument:
    document = EdiDocument.objects.create(created_by=getattr(actor, "client", None), **fields)
    _assign_code(document)
    return document


def outbound_issue(*, transaction_set: str, supplier: Supplier, retail_partner: RetailPartner,
                   bodies: list[list[Segment]], sender: TradingPartnerProfile | None = None,
                   actor: Principal | None = None, ta1: Segment | None = None, **links) -> EdiDocument | None:
    """Send ``bodies`` from the supplier to the retailer; None when either has no X12 profile for it.

    A 997 goes back whenever something came in; the other sets only where the retailer's
    profile lists them.
    """
    receiver = profile_of(retail_partner=retail_partner)
    sender = sender or profile_of(supplier=supplier)
    if receiver is None or sender is None:
        return None
    if transaction_set != "997" and not receiver.enabled(transaction_set):
        return None
    number = control_number_next(receiver)
    content = interchange(sender=party_of(sender), receiver=party_of(receiver), control_number=number,
                          version=receiver.version, usage=receiver.usage, transaction_set=transaction_set,
                          bodies=bodies, delimiters=delimiters_of(receiver), now=timezone.now(), ta1=ta1)
    return document_store(
        actor=actor, direction=D.OUTBOUND, transaction_set=transaction_set, profile=receiver,
        retail_partner=retail_partner, supplier=supplier, sender_id=sender.isa_id, receiver_id=receiver.isa_id,
        version=receiver.version, interchange_control_number=f"{number:09d}",
        group_control_number=str(number) if bodies else "",
        transaction_control_number=f"{number:04d}" if len(bodies) == 1 else "",
        status=EdiDocument.Status.GENERATED, content=content, **links)
