import django_filters

from inventory.production.models import ProductionRun


class ProductionRunFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    warehouseLocation = django_filters.CharFilter(field_name="warehouse__code")
    productId = django_filters.CharFilter(field_name="output_product__sku", help_text="The product made")
    batchNumber = django_filters.CharFilter(field_name="output_batch__batch_number", help_text="The batch made")
    inputBatchNumber = django_filters.CharFilter(field_name="inputs__batch__batch_number", distinct=True,
                                                 help_text="Runs that consumed this lot")
    producedAfter = django_filters.IsoDateTimeFilter(field_name="produced_at", lookup_expr="gte")
    producedBefore = django_filters.IsoDateTimeFilter(field_name="produced_at", lookup_expr="lt")

    class Meta:
        model = ProductionRun
        fields = []
