import django_filters

from orders.edi.models import TRANSACTION_SETS, EdiDocument


class DocumentFilter(django_filters.FilterSet):
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    transactionSet = django_filters.ChoiceFilter(field_name="transaction_set",
                                                 choices=[(code, code) for code in TRANSACTION_SETS])
    direction = django_filters.ChoiceFilter(choices=EdiDocument.Direction.choices)
    status = django_filters.ChoiceFilter(choices=EdiDocument.Status.choices)
    orderId = django_filters.CharFilter(field_name="order__code")
    shipmentId = django_filters.CharFilter(field_name="shipment__code")
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = EdiDocument
        fields = []
