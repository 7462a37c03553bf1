"""A scan recorded as the movement it describes, through the same door as the JSON API.

Receipts go through ``inventory.services.movement_record`` (the dispatch by movement type the
movement API uses); counts through ``stock_count``, as ``PATCH inventory/{supplierId}/{productId}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotsauce.errors import ValidationFailed
from inventory import services
from inventory.gs1.scan import Scan, errors_as_ais, scan_check_expiry, scan_parse, scan_product
from inventory.models import Batch, Product
from inventory.selectors import ts
from partners.models import Supplier
from partners.principal import Principal


@dataclass
class ScanRecorded:
    scan: Scan
    product: Product
    quantity: int
    result: services.MovementResult

    def view(self) -> dict:
        return {"element_strings": self.scan.hri, "gtin": self.scan.gtin, "product_id": self.product.sku,
                "batch_number": self.scan.batch_number, "expiration_date": ts(self.scan.expiration_datetime),
                "count": self.scan.count or 1, "sscc": self.scan.sscc, "quantity": self.quantity}


def scan_record(*, principal: Principal | None, supplier: Supplier, raw: str, type: str, warehouse_code: str,
                quantity: int | None = None, reason: str = "", reference: str = "",
                idempotency_key: str = "") -> ScanRecorded:
    """Record the receipt or count a scan describes; refusals name the application identifier."""
    scan = scan_parse(raw)
    product = scan_product(scan)
    if not scan.batch_number:
        raise ValidationFailed.for_field("(10)", "The scan names no batch (10); stock is held by batch.")
    units = (scan.count or 1) * (quantity or 1)
    known = Batch.objects.filter(product=product, batch_number=scan.batch_number).exists()
    try:
        if type == "receipt":
            scan_check_expiry(scan, required=not known)
            reference = reference or (f"SSCC {scan.sscc}" if scan.sscc else "")
            result = services.movement_record(
                type="receipt", supplier=supplier, product=product, quantity=units, actor=principal,
                warehouse_code=warehouse_code, batch_number=scan.batch_number,
                expiration_date=scan.expiration_datetime, reason=reason or f"scanned {scan.hri}"[:500],
                reference=reference, idempotency_key=idempotency_key)
        else:
            result = services.stock_count(
                supplier=supplier, product=product, actor=principal, idempotency_key=idempotency_key,
                reason=reason or f"scanned count {scan.hri}"[:500],
                counts=[{"warehouse_code": warehouse_code, "batch_number": scan.batch_number,
                         "inventory_level": units}])
    except ValidationFailed as exc:
        raise errors_as_ais(exc) from None
    return ScanRecorded(scan=scan, product=product, quantity=units, result=result)
