import django_filters
from django.db.models import Q

from hotsauce.api.filters import StrictBooleanFilter
from orders.feedback.models import Discrepancy
from orders.feedback.selectors import overdue_q


class DiscrepancyFilter(django_filters.FilterSet):
    discrepancyId = django_filters.CharFilter(field_name="code")
    kind = django_filters.ChoiceFilter(choices=Discrepancy.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Discrepancy.Status.choices)
    resolution = django_filters.ChoiceFilter(choices=Discrepancy.Resolution.choices)
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    orderId = django_filters.CharFilter(field_name="order__code")
    shipmentId = django_filters.CharFilter(field_name="shipment__code")
    productId = django_filters.CharFilter(field_name="product__sku")
    batchNumber = django_filters.CharFilter(method="filter_batch")
    overdue = StrictBooleanFilter(method="filter_overdue")
    openedAfter = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    openedBefore = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    updatedSince = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Discrepancy
        fields = []

    def filter_batch(self, qs, name, value: str):
        return qs.filter(Q(batch__batch_number=value) | Q(batch__isnull=True, batch_number=value))

    def filter_overdue(self, qs, name, value: bool):
        return qs.filter(overdue_q()) if value else qs.exclude(overdue_q())
