"""Every write of the EDI and GS1 logistics app. Other modules import from here."""

from orders.edi.services.acknowledgements import acknowledgement_view, order_acknowledge, po_acknowledgment_issue
from orders.edi.services.documents import document_store, outbound_issue
from orders.edi.services.inventory_advice import inventory_advice_all, inventory_advice_issue
from orders.edi.services.packaging import PackLine, PackRequest, shipment_labels, shipment_pack, sscc_next
from orders.edi.services.profiles import control_number_next, profile_ensure, profile_of
from orders.edi.services.purchase_orders import InboundResult, edi_inbound_receive
from orders.edi.services.ship_notices import ship_notice_issue
from orders.edi.services.shipping import shipment_paperwork_issue

__all__ = [
    "InboundResult",
    "PackLine",
    "PackRequest",
    "acknowledgement_view",
    "control_number_next",
    "document_store",
    "edi_inbound_receive",
    "inventory_advice_all",
    "inventory_advice_issue",
    "order_acknowledge",
    "outbound_issue",
    "po_acknowledgment_issue",
    "profile_ensure",
    "profile_of",
    "ship_notice_issue",
    "shipment_labels",
    "shipment_pack",
    "shipment_paperwork_issue",
    "sscc_next",
]
