import django_filters

from inventory.promotions.models import Promotion


class PromotionFilter(django_filters.FilterSet):
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")
    productId = django_filters.CharFilter(field_name="product__sku")
    activeOn = django_filters.DateFilter(method="filter_active_on", help_text="Promotions running on this day")
    endsAfter = django_filters.DateFilter(field_name="end_date", lookup_expr="gt")
    startsBefore = django_filters.DateFilter(field_name="start_date", lookup_expr="lt")

    class Meta:
        model = Promotion
        fields = []

    def filter_active_on(self, qs, name, value):
        return qs.filter(start_date__lte=value, end_date__gte=value)
