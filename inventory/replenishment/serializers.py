"""Requests for demand history and replenishment policies; responses are the views in ``api``, documented here."""

from decimal import Decimal

from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from inventory.forecast_serializers import ForecastSerializer
from inventory.replenishment.services import MAX_DAYS_PER_CALL


class DemandHistoryDaySerializer(StrictSerializer):
    date = serializers.DateField()
    quantity = StrictIntegerField(min_value=0, max_value=1_000_000_000, help_text="Units that left that day")


class DemandHistorySerializer(StrictSerializer):
    supplier_id = serializers.CharField(max_length=64)
    product_id = serializers.CharField(max_length=64)
    days = DemandHistoryDaySerializer(many=True, allow_empty=False, max_length=MAX_DAYS_PER_CALL)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="Where the figures come from, e.g. the old ERP's name")


class DemandHistoryResultSerializer(serializers.Serializer):
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    imported_days = serializers.IntegerField()
    first_date = serializers.DateField()
    last_date = serializers.DateField()
    forecast = ForecastSerializer(help_text="The item's forecast, recomputed by this import")


def _decimal(**kw):
    return serializers.DecimalField(coerce_to_string=False, **kw)


class ReplenishmentPolicyInSerializer(StrictSerializer):
    lead_time_days = _decimal(max_digits=6, decimal_places=2, min_value=Decimal(0), max_value=Decimal("9999.99"),
                              help_text="Average days from ordering to having the goods (L)")
    lead_time_std_dev_days = _decimal(max_digits=6, decimal_places=2, min_value=Decimal(0),
                                      max_value=Decimal("9999.99"), help_text="Its standard deviation (σL)")
    service_level = _decimal(max_digits=5, decimal_places=4, min_value=Decimal("0.5"), max_value=Decimal("0.9999"),
                             help_text="Cycle service level: probability of no stockout in a lead time")
    minimum_order_quantity = StrictIntegerField(min_value=1, max_value=1_000_000_000)
    case_pack = StrictIntegerField(min_value=1, max_value=1_000_000, help_text="Orders are whole cases")
    review_period_days = StrictIntegerField(min_value=0, max_value=365,
                                            help_text="Days between orders (R): an order covers R days of demand")
    purchase_from_supplier_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, default=None,
        help_text="Who purchase orders for this item go to (e.g. the grower of an ingredient); null: the supplier "
                  "holding the item")


class ReplenishmentPolicySerializer(serializers.Serializer):
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    lead_time_days = serializers.FloatField()
    lead_time_std_dev_days = serializers.FloatField()
    service_level = serializers.FloatField()
    minimum_order_quantity = serializers.IntegerField()
    case_pack = serializers.IntegerField()
    review_period_days = serializers.IntegerField()
    purchase_from_supplier_id = serializers.CharField(allow_null=True)
    is_default = serializers.BooleanField(help_text="True while no policy was set: these are the defaults")
    updated_at = serializers.CharField(allow_null=True)
    forecast = ForecastSerializer(allow_null=True, help_text="The item's forecast under this policy (null when the "
                                                             "supplier holds no stock of the product yet)")
