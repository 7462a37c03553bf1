"""Packing a shipment into logistic units, each with an SSCC-18 (GS1), and their labels.

Default packing: one package holding the whole shipment. A request may instead list
``packages: [{"lines": [{"productId", "batchNumber"?, "quantity"}]}]``; those must account
for every shipped unit exactly (what is not listed would travel unlabelled). A package may
carry a supplier's own ``sscc``; otherwise one is made from GS1_COMPANY_PREFIX and the
``edi_sscc_serial`` database sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from hotsauce.errors import ValidationFailed
from inventory.gs1.labels import ContentLine, LogisticLabel
from inventory.gs1.sscc import sscc_compose, sscc_validate
from orders.edi.models import Package, PackageLine
from orders.edi.selectors import package_contents, shipment_packages
from orders.models import Shipment, ShipmentLine

SEQUENCE = "edi_sscc_serial"


@dataclass
class PackLine:
    product_id: str
    quantity: int
    batch_number: str | None = None


@dataclass
class PackRequest:
    lines: list[PackLine] = field(default_factory=list)
    sscc: str | None = None


def sscc_serial_next() -> int:
    """The next serial from the database sequence (never handed out twice, even across rollbacks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
            return cursor.fetchone()[0]
        # SQLite: AUTOINCREMENT never reuses an id; one writer at a time holds the database.
        cursor.execute(f"INSERT INTO {SEQUENCE} DEFAULT VALUES")
        serial = cursor.lastrowid
        cursor.execute(f"DELETE FROM {SEQUENCE} WHERE id < %s", [serial])
        return serial


def sscc_next() -> str:
    return sscc_compose(extension_digit=settings.GS1_SSCC_EXTENSION_DIGIT,
                        company_prefix=settings.GS1_COMPANY_PREFIX, serial=sscc_serial_next())


def _plan(lines: list[ShipmentLine], packages: list[PackRequest]) -> list[list[tuple[ShipmentLine, int]]]:
    """Assign shipped units to the requested packages; every unit exactly once."""
    left = {line.pk: line.quantity for line in lines}
    plan = []
    for p_index, request in enumerate(packages):
        contents = []
        for l_index, wanted in enumerate(request.lines):
            remaining = wanted.quantity
            for line in lines:
                if (line.product.sku != wanted.product_id or not left[line.pk]
                        or (wanted.batch_number and line.batch.batch_number != wanted.batch_number)):
                    continue
                take = min(left[line.pk], remaining)
                left[line.pk] -= take
                remaining -= take
                contents.append((line, take))
                if not remaining:
                    break
            if remaining:
                raise ValidationFailed.for_field(
                    f"packages[{p_index}].lines[{l_index}].quantity",
                    f"The shipment has {wanted.quantity - remaining} more units of {wanted.product_id}"
                    f"{' batch ' + wanted.batch_number if wanted.batch_number else ''} to pack, not {wanted.quantity}.")
        if not contents:
            raise ValidationFailed.for_field(f"packages[{p_index}].lines", "A package holds at least one unit.")
        plan.append(contents)
    unpacked = sum(left.values())
    if unpacked:
        raise ValidationFailed.for_field("packages", f"{unpacked} shipped units are in no package; "
                                                     "list every unit, or omit packages for one package.")
    return plan


@transaction.atomic
def shipment_pack(*, shipment: Shipment, packages: list[PackRequest] | None = None) -> list[Package]:
    """Pack a shipment just created: one package by default, or as ``packages`` says."""
    lines = list(ShipmentLine.objects.filter(shipment=shipment).select_related("product", "batch").order_by("pk"))
    if packages:
        plan = _plan(lines, packages)
    else:
        plan = [[(line, line.quantity) for line in lines]]
    created = []
    for number, contents in enumerate(plan, start=1):
        given = packages[number - 1].sscc if packages else None
        sscc = sscc_validate(given, f"packages[{number - 1}].sscc") if given else sscc_next()
        try:
            with transaction.atomic():
                package = Package.objects.create(shipment=shipment, number=number, sscc=sscc)
        except IntegrityError:
            raise ValidationFailed.for_field(f"packages[{number - 1}].sscc",
                                             f"SSCC {sscc} is already on another package.") from None
        PackageLine.objects.bulk_create([PackageLine(package=package, shipment_line=line, quantity=qty)
                                         for line, qty in contents])
        created.append(package)
    return created


def shipment_labels(shipment: Shipment, *, sscc: str | None = None) -> list[LogisticLabel]:
    """The GS1 logistics labels of a shipment's packages (or of the one with ``sscc``)."""
    order = shipment.order
    supplier, retailer = shipment.supplier, shipment.retail_partner
    address = order.delivery_address
    if isinstance(address, dict):
        address_lines = [str(v) for v in address.values() if v][:3]
    else:
        address_lines = [part.strip() for part in str(address or "").split(",") if part.strip()][:3]
    warehouses = sorted({line.warehouse.name or line.warehouse.code for line in shipment.lines.all()})
    packages = list(shipment_packages(shipment))
    labels = []
    references = [("ORDER", order.code), ("PO", order.reference or "-"), ("SHIPMENT", shipment.code),
                  ("CARRIER", f"{shipment.carrier} {shipment.tracking_number}".strip() or "-")]
    for package in packages:
        if sscc and package.sscc != sscc:
            continue
        labels.append(LogisticLabel(
            sscc=package.sscc, ship_from=[supplier.name, supplier.code, *warehouses[:1]],
            ship_to=[retailer.name, retailer.code, *address_lines], references=references,
            contents=package_contents(package), package_number=package.number, package_count=len(packages)))
    return labels


def contents_by_package(shipment: Shipment) -> dict[Package, list[ContentLine]]:
    return {package: package_contents(package) for package in shipment_packages(shipment)}
