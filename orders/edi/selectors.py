"""Reads of EDI documents and packages, with tenancy: a retailer its own documents, a supplier
those of its orders and shipments (and its 846s), the brand everything."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from inventory.gs1.labels import ContentLine, label_symbols
from orders.edi.models import EdiDocument, Package, PackageLine
from orders.models import Shipment
from partners.principal import Principal


def _package_lines() -> Prefetch:
    return Prefetch("lines", queryset=PackageLine.objects.select_related("shipment_line__product",
                                                                          "shipment_line__batch"))


def document_list(*, principal: Principal) -> QuerySet[EdiDocument]:
    qs = EdiDocument.objects.select_related("retail_partner", "supplier", "order", "shipment", "acknowledges")
    if principal.is_retailer:
        return qs.filter(retail_partner_id=principal.retail_partner_id)
    if principal.is_supplier:
        return qs.filter(supplier_id=principal.supplier_id)
    return qs


def document_get(*, principal: Principal, code: str) -> EdiDocument | None:
    return document_list(principal=principal).filter(code=code).first()


def document_view(document: EdiDocument, *, with_content: bool = True) -> dict:
    view = {
        "document_id": document.code,
        "direction": document.direction,
        "transaction_set": document.transaction_set,
        "status": document.status,
        "retail_partner_id": document.retail_partner.code if document.retail_partner_id else None,
        "supplier_id": document.supplier.code if document.supplier_id else None,
        "sender_id": document.sender_id,
        "receiver_id": document.receiver_id,
        "version": document.version,
        "interchange_control_number": document.interchange_control_number,
        "group_control_number": document.group_control_number or None,
        "transaction_control_number": document.transaction_control_number or None,
        "order_id": document.order.code if document.order_id else None,
        "shipment_id": document.shipment.code if document.shipment_id else None,
        "acknowledges_document_id": document.acknowledges.code if document.acknowledges_id else None,
        "created_at": document.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if with_content:
        view["content"] = document.content
    return view


# --- packages -------------------------------------------------------------------------


def packages_prefetch(prefix: str = "") -> Prefetch:
    """For querysets of shipments (``prefix`` = "shipments__" for orders): their packages, one query each level."""
    return Prefetch(f"{prefix}packages", queryset=Package.objects.prefetch_related(_package_lines()))


def shipment_packages(shipment: Shipment):
    if "packages" in getattr(shipment, "_prefetched_objects_cache", {}):
        return shipment.packages.all()
    return Package.objects.filter(shipment=shipment).prefetch_related(_package_lines())


def package_contents(package: Package) -> list[ContentLine]:
    """What a package holds, one line per product and batch."""
    merged: dict[tuple[int, int], ContentLine] = {}
    for line in package.lines.all():
        shipped = line.shipment_line
        key = (shipped.product_id, shipped.batch_id)
        if key in merged:
            merged[key].quantity += line.quantity
        else:
            merged[key] = ContentLine(product_id=shipped.product.sku, name=shipped.product.name,
                                      gtin=shipped.product.gtin, batch_number=shipped.batch.batch_number,
                                      expiry=shipped.batch.expiration_date.date(), quantity=line.quantity)
    return list(merged.values())


def package_views(shipment: Shipment) -> list[dict]:
    """``packages`` of a shipment as the API shows them."""
    views = []
    for package in shipment_packages(shipment):
        contents = package_contents(package)
        views.append({
            "sscc": package.sscc, "number": package.number,
            "element_strings": label_symbols(package.sscc, contents),
            "lines": [{"product_id": c.product_id, "batch_number": c.batch_number,
                       "expiration_date": f"{c.expiry:%Y-%m-%d}", "quantity": c.quantity} for c in contents]})
    return views
