"""Writes of replenishment inputs; each recomputes the forecasts (and alerts) of the items it changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from hotsauce.errors import ValidationFailed
from inventory import services as stock
from inventory.forecasting import forecasts_recompute
from inventory.models import InventoryItem, Product
from inventory.replenishment.models import DemandHistory, SellThroughSignal
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from partners.selectors import is_trading

MAX_DAYS_PER_CALL = 1000


@dataclass(frozen=True)
class HistoryImport:
    item_id: int
    days: int
    first_date: date | None
    last_date: date | None


def _days_validate(days: list[tuple[date, int]], today: date) -> None:
    errors, seen = [], set()
    if not days:
        errors.append({"field": "days", "message": "Send at least one day."})
    if len(days) > MAX_DAYS_PER_CALL:
        errors.append({"field": "days", "message": f"At most {MAX_DAYS_PER_CALL} days per call; send batches."})
    for index, (day, quantity) in enumerate(days):
        if day >= today:
            errors.append({"field": f"days[{index}].date",
                           "message": "Only complete days before today are history (the ledger has today)."})
        if day in seen:
            errors.append({"field": f"days[{index}].date", "message": "The same day is sent twice."})
        if quantity < 0:
            errors.append({"field": f"days[{index}].quantity", "message": "Must be zero or more."})
        seen.add(day)
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)


def demand_history_import(*, supplier: Supplier, product: Product, days: list[tuple[date, int]],
                          actor: Principal | None = None, source: str = "") -> HistoryImport:
    """Store a product's daily demand at a supplier for past days, and forecast the item at once.

    A day imported again replaces the first figure (import a file twice and nothing doubles). The
    days count only before the item's first live ledger row (docs/supply.md): history fills the
    past the platform did not see, it never overrides what the ledger saw.
    """
    _days_validate(days, timezone.now().date())
    item_id = stock.item_ids_ensure(supplier=supplier, products=[product])[product.pk]
    client = getattr(actor, "client", None)
    rows = [DemandHistory(supplier=supplier, product=product, date=day, quantity=quantity, imported_by=client,
                          source=source[:100]) for day, quantity in days]
    with transaction.atomic():
        DemandHistory.objects.bulk_create(rows, update_conflicts=True, unique_fields=["supplier", "product", "date"],
                                          update_fields=["quantity", "imported_by", "source", "updated_at"])
        forecasts_recompute(item_ids=[item_id])
    dates = sorted(day for day, _ in days)
    return HistoryImport(item_id=item_id, days=len(days), first_date=dates[0], last_date=dates[-1])


def _supplier_items(*supplier_ids: int) -> list[int]:
    return list(InventoryItem.objects.filter(supplier_id__in=supplier_ids).values_list("pk", flat=True))


def sell_through_signal_set(*, retail_partner: RetailPartner, supplier: Supplier,
                            effective_from: date) -> SellThroughSignal:
    """From ``effective_from``, the retailer's reported sell-through is its demand at ``supplier`` and its
    shipments from that supplier are not. One supplier per retailer: a retailer reports one figure per
    product and day, which can be demand at one place only."""
    if not is_trading(supplier_id=supplier.pk, retail_partner_id=retail_partner.pk):
        raise ValidationFailed.for_field(
            "supplierId", f"{retail_partner.code} has no active trading relationship with {supplier.code}.")
    with transaction.atomic():
        previous = SellThroughSignal.objects.select_for_update().filter(retail_partner=retail_partner).first()
        signal, _ = SellThroughSignal.objects.update_or_create(
            retail_partner=retail_partner, defaults={"supplier": supplier, "effective_from": effective_from})
        forecasts_recompute(item_ids=_supplier_items(supplier.pk, *([previous.supplier_id] if previous else [])))
    return signal


def sell_through_signal_clear(*, retail_partner: RetailPartner) -> None:
    """Back to shipments as the retailer's demand signal."""
    with transaction.atomic():
        signal = SellThroughSignal.objects.select_for_update().filter(retail_partner=retail_partner).first()
        if signal is None:
            return
        signal.delete()
        forecasts_recompute(item_ids=_supplier_items(signal.supplier_id))
