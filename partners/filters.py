import django_filters

from hotsauce.api.filters import StrictBooleanFilter
from partners.models import TradingRelationship


class TradingRelationshipFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code")  # noqa: N815
    retailPartnerId = django_filters.CharFilter(field_name="retail_partner__code")  # noqa: N815
    active = StrictBooleanFilter()

    class Meta:
        model = TradingRelationship
        fields = []
