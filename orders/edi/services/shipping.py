"""A shipment's trade paperwork: its SSCC packages and its 856, made as the shipment is created."""

from __future__ import annotations

from orders.edi.services.packaging import PackRequest, shipment_pack
from orders.edi.services.ship_notices import ship_notice_issue
from orders.models import Shipment
from partners.principal import Principal


def shipment_paperwork_issue(*, shipment: Shipment, packages: list[PackRequest] | None = None,
                    actor: Principal | None = None) -> None:
    """Called by ``orders.services.shipment_create`` inside its transaction, before it announces the shipment."""
    shipment_pack(shipment=shipment, packages=packages)
    ship_notice_issue(shipment=shipment, actor=actor)
