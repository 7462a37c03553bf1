"""Retailers' stock reports and the periodic comparison with what the platform says they should hold.

Expected on hand of a retailer's product at the end of day D =
  received by D (delivered shipments: the counted quantity where a receipt exists, else
  the shipped quantity) − sold by D (sell-through ``unitsSold``) − returned by D (returns
  the retailer created). Damaged units count as received until they are returned.

The latest report of each retailer and product is compared; beyond the tolerance
(``STOCK_RECONCILIATION_TOLERANCE_UNITS``, or ``..._PERCENT`` of the expected figure if
that is more) a ``stockMismatch`` opens. Two unique constraints make reruns, and
concurrent runs, add nothing: one discrepancy per report, one active mismatch per
retailer and product.
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from hotsauce.errors import ValidationFailed
from inventory.models import Product, SellThroughReport
from orders.feedback.models import Discrepancy, ReceiptLine, StockReport
from orders.feedback.services.common import discrepancy_insert
from orders.models import ReturnLine, Shipment, ShipmentLine
from partners.models import RetailPartner
from partners.principal import Principal

logger = logging.getLogger("hotsauce.feedback")


def stock_report_submit(*, retail_partner: RetailPartner, day: date, lines: list[dict],
                        actor: Principal | None = None) -> list[StockReport]:
    """Record a retailer's on-hand per product for one day; reporting a day again replaces it.

    ``lines``: ``[{"product_id": sku, "on_hand": int}]``, every line checked before anything is written."""
    errors = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line["product_id"] in seen:
            errors.append({"field": f"lines[{index}].productId", "message": "Product reported twice for this day."})
        seen.add(line["product_id"])
    products = {p.sku: p for p in Product.objects.filter(sku__in=seen)}
    for index, line in enumerate(lines):
        if line["product_id"] not in products:
            errors.append({"field": f"lines[{index}].productId", "message": f"No product {line['product_id']}."})
    if errors:
        raise ValidationFailed("Some stock report lines are invalid.", errors=errors)
    rows = [StockReport(retail_partner=retail_partner, product=products[line["product_id"]], date=day,
                        on_hand=line["on_hand"], reported_by=getattr(actor, "client", None)) for line in lines]
    with transaction.atomic():
        return StockReport.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["retail_partner", "product", "date"],
            update_fields=["on_hand", "reported_by", "updated_at"])


def _total(qs: QuerySet, field: str) -> Coalesce:
    """A correlated SUM over ``qs`` for the outer report (grouped on a column constant per report)."""
    summed = qs.order_by().values("product").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


def stock_report_candidates() -> QuerySet[StockReport]:
    """Latest reports (per retailer and product) not yet judged, with what they should say; one query."""
    pair = {"retail_partner": OuterRef("retail_partner"), "product": OuterRef("product")}
    delivered = {"shipment__retail_partner": OuterRef("retail_partner"), "product": OuterRef("product"),
                 "shipment__status": Shipment.Status.DELIVERED, "shipment__delivered_at__date__lte": OuterRef("date")}
    counted = {"receipt__shipment__retail_partner": OuterRef("retail_partner"), "product": OuterRef("product"),
               "receipt__shipment__delivered_at__date__lte": OuterRef("date")}
    last_supplier = (ShipmentLine.objects.filter(**delivered).order_by("-shipment__delivered_at", "-pk")
                     .values("shipment__supplier_id")[:1])
    return (StockReport.objects
            .filter(~Exists(StockReport.objects.filter(**pair, date__gt=OuterRef("date"))),
                    ~Exists(Discrepancy.objects.filter(stock_report=OuterRef("pk"))),
                    ~Exists(Discrepancy.objects.filter(**pair, kind=Discrepancy.Kind.STOCK_MISMATCH,
                                                       status__in=Discrepancy.ACTIVE)))
            .annotate(
                received=_total(ShipmentLine.objects.filter(**delivered, shipment__receipt__isnull=True), "quantity")
                + _total(ReceiptLine.objects.filter(**counted), "received_quantity"),
                sold=_total(SellThroughReport.objects.filter(**pair, date__lte=OuterRef("date")), "units_sold"),
                returned=_total(ReturnLine.objects.filter(ret__retail_partner=OuterRef("retail_partner"),
                                                          product=OuterRef("product"),
                                                          ret__created_at__date__lte=OuterRef("date")), "quantity"),
                last_supplier_id=Subquery(last_supplier))
            .annotate(expected=F("received") - F("sold") - F("returned"))
            .annotate(difference=F("on_hand") - F("expected"),
                      allowance=Greatest(Value(settings.STOCK_RECONCILIATION_TOLERANCE_UNITS),
                                         F("expected") * settings.STOCK_RECONCILIATION_TOLERANCE_PERCENT / 100))
            .filter(Q(difference__gt=F("allowance")) | Q(difference__lt=-F("allowance")))
            .select_related("retail_partner", "product")
            .order_by("pk"))


def stock_reports_reconcile() -> list[Discrepancy]:
    """Open a ``stockMismatch`` for every latest report beyond the tolerance; returns those opened."""
    opened = []
    for report in stock_report_candidates():
        try:
            # One transaction per mismatch: a concurrent run inserting the same report's row
            # waits for ours, then fails on the constraint and skips it.
            with transaction.atomic():
                opened.append(discrepancy_insert(
                    actor=None, kind=Discrepancy.Kind.STOCK_MISMATCH, cause=Discrepancy.Cause.STOCK_REPORT,
                    supplier_id=report.last_supplier_id, retail_partner=report.retail_partner, product=report.product,
                    stock_report=report, expected_quantity=report.expected, actual_quantity=report.on_hand,
                    quantity=abs(report.difference),
                    description=f"{report.retail_partner.code} reported {report.on_hand} units of "
                                f"{report.product.sku} on hand on {report.date:%Y-%m-%d}; shipped − sold − returned "
                                f"gives {report.expected} (received {report.received}, sold {report.sold}, "
                                f"returned {report.returned})."))
        except IntegrityError:
            logger.info("Stock report %s was judged concurrently; skipped.", report.pk)
    if opened:
        logger.warning("Stock reconciliation opened %d stockMismatch discrepancies.", len(opened))
    return opened
