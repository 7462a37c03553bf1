import django_filters

from orders.models import Order, Return, Shipment


class OrderFilter(django_filters.FilterSet):
    orderId = django_filters.CharFilter(field_name="code")
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    productId = django_filters.CharFilter(field_name="lines__product__sku", distinct=True)
    reference = django_filters.CharFilter()
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updatedSince = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Order
        fields = []


class ShipmentFilter(django_filters.FilterSet):
    shipmentId = django_filters.CharFilter(field_name="code")
    orderId = django_filters.CharFilter(field_name="order__code")
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices)
    trackingNumber = django_filters.CharFilter(field_name="tracking_number")
    carrier = django_filters.CharFilter()
    batchNumber = django_filters.CharFilter(field_name="lines__batch__batch_number", distinct=True)
    productId = django_filters.CharFilter(field_name="lines__product__sku", distinct=True)
    shippedAfter = django_filters.IsoDateTimeFilter(field_name="shipped_at", lookup_expr="gte")
    shippedBefore = django_filters.IsoDateTimeFilter(field_name="shipped_at", lookup_expr="lt")

    class Meta:
        model = Shipment
        fields = []


class ReturnFilter(django_filters.FilterSet):
    returnId = django_filters.CharFilter(field_name="code")
    orderId = django_filters.CharFilter(field_name="order__code")
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    status = django_filters.ChoiceFilter(choices=Return.Status.choices)
    batchNumber = django_filters.CharFilter(field_name="lines__batch__batch_number", distinct=True)
    productId = django_filters.CharFilter(field_name="lines__product__sku", distinct=True)
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Return
        fields = []
