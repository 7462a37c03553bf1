import django_filters

from hotsauce.api.filters import IdFilter
from orders.purchasing.models import PurchaseOrder


class PurchaseOrderFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code", help_text="Who fulfils it")
    shipToSupplierId = django_filters.CharFilter(field_name="ship_to_supplier__code")
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices)
    productId = django_filters.CharFilter(field_name="lines__product__sku", distinct=True)
    alertId = IdFilter(field_name="alert_id")
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PurchaseOrder
        fields = []
