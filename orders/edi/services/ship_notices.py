"""856 Advance Ship Notice: HL shipment → order → pack (SSCC) → item, with lot and expiry."""

from __future__ import annotations

from orders.edi.models import EdiDocument
from orders.edi.services.documents import outbound_issue
from orders.edi.services.packaging import contents_by_package
from orders.models import Shipment
from partners.principal import Principal


def gtin14(gtin: str) -> str:
    return gtin.zfill(14) if gtin else ""


def item_ids(product_id: str, gtin: str, batch_number: str | None = None) -> tuple:
    """LIN/PO1 product id pairs: VN (vendor item number = our SKU), UK (GTIN-14), LT (lot)."""
    ids: tuple = ("VN", product_id)
    if gtin:
        ids += ("UK", gtin14(gtin))
    if batch_number:
        ids += ("LT", batch_number)
    return ids


def ship_notice_body(shipment: Shipment) -> list[tuple]:
    order = shipment.order
    shipped = shipment.shipped_at
    body: list[tuple] = [
        ("BSN", "00", shipment.code, f"{shipped:%Y%m%d}", f"{shipped:%H%M}", "0001"),
        ("HL", "1", "", "S"),
        ("TD5", "", "", "", "", shipment.carrier or ""),
        ("REF", "CN", shipment.tracking_number) if shipment.tracking_number else None,
        ("DTM", "011", f"{shipped:%Y%m%d}"),
        ("N1", "ST", order.retail_partner.name, "92", order.retail_partner.code),
        ("N1", "SF", order.supplier.name, "92", order.supplier.code),
        ("HL", "2", "1", "O"),
        ("PRF", order.reference or order.code, "", "", f"{order.created_at:%Y%m%d}"),
        ("REF", "VN", order.code),
    ]
    body = [segment for segment in body if segment is not None]
    hl = 2
    for package, contents in contents_by_package(shipment).items():
        hl += 1
        pack_hl = hl
        body += [("HL", str(pack_hl), "2", "P"), ("MAN", "GM", package.sscc)]
        for line in contents:
            hl += 1
            body += [("HL", str(hl), str(pack_hl), "I"),
                     ("LIN", "", *item_ids(line.product_id, line.gtin, line.batch_number)),
                     ("SN1", "", str(line.quantity), "EA"),
                     ("DTM", "036", f"{line.expiry:%Y%m%d}")]
    body.append(("CTT", str(hl)))
    return body


def ship_notice_issue(*, shipment: Shipment, actor: Principal | None = None) -> EdiDocument | None:
    """The 856 of a shipment, if the retailer's profile asks for 856s."""
    return outbound_issue(transaction_set="856", supplier=shipment.supplier, retail_partner=shipment.retail_partner,
                          bodies=[ship_notice_body(shipment)], actor=actor, order=shipment.order, shipment=shipment)
