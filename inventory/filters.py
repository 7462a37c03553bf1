from datetime import UTC, datetime, time

import django_filters
from django.utils import timezone

from hotsauce.api.filters import StrictBooleanFilter
from inventory import selectors
from inventory.models import Batch, InventoryItem, InventoryTransaction, Reservation


class InventoryItemFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    productId = django_filters.CharFilter(field_name="product__sku")
    warehouseLocation = django_filters.CharFilter(method="filter_warehouse")
    expiringBefore = django_filters.DateFilter(method="filter_expiring_before")
    onlyAvailable = StrictBooleanFilter(method="filter_only_available")
    updatedSince = django_filters.IsoDateTimeFilter(field_name="last_updated", lookup_expr="gte")

    class Meta:
        model = InventoryItem
        fields = []

    def filter_warehouse(self, qs, name, value):
        return selectors.items_in_warehouse(qs, value)

    def filter_expiring_before(self, qs, name, value):
        return selectors.items_expiring_before(qs, timezone.make_aware(datetime.combine(value, time.min),
                                                                       UTC))

    def filter_only_available(self, qs, name, value):
        return selectors.items_with_available(qs, timezone.now()) if value else qs


class TransactionFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier_code")
    productId = django_filters.CharFilter(field_name="product_sku")
    batchNumber = django_filters.CharFilter(field_name="batch_number")
    warehouseLocation = django_filters.CharFilter(field_name="warehouse_code")
    type = django_filters.ChoiceFilter(choices=InventoryTransaction.Type.choices)
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner_code")
    movementId = django_filters.UUIDFilter(field_name="movement_id")
    reference = django_filters.CharFilter()
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = InventoryTransaction
        fields = []


class BatchFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    status = django_filters.ChoiceFilter(choices=Batch.Status.choices)
    expiringBefore = django_filters.DateFilter(field_name="expiration_date", lookup_expr="date__lt")

    class Meta:
        model = Batch
        fields = []


class ReservationFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="item__supplier__code")
    productId = django_filters.CharFilter(field_name="item__product__sku")
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    orderId = django_filters.CharFilter(field_name="order_ref")
    status = django_filters.ChoiceFilter(choices=Reservation.Status.choices)

    class Meta:
        model = Reservation
        fields = []
