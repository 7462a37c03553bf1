"""HTTP shapes of sell-through reports, forecasts and restock alerts (API-CONTRACT.md 4.4)."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from inventory.models import RestockAlert


class SellThroughLineSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    units_sold = StrictIntegerField(min_value=0, max_value=10_000_000)
    on_hand = StrictIntegerField(min_value=0, max_value=100_000_000)


class SellThroughSerializer(StrictSerializer):
    date = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="The sales day, YYYY-MM-DD")
    lines = SellThroughLineSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_date(self, value):
        # A day later than tomorrow (UTC) cannot have been sold yet in any time zone.
        if value > timezone.now().date() + timedelta(days=1):
            raise serializers.ValidationError("The date cannot be in the future.")
        return value


class SellThroughLineResultSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    units_sold = serializers.IntegerField()
    on_hand = serializers.IntegerField()


class SellThroughResultSerializer(serializers.Serializer):
    retail_partner_id = serializers.CharField()
    date = serializers.DateField()
    lines = SellThroughLineResultSerializer(many=True)


class ForecastSerializer(serializers.Serializer):
    """Documents ``inventory.forecasting.forecast_view``."""

    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    average_daily_demand = serializers.FloatField(help_text="Exponentially weighted units per day (ledger outflows)")
    demand_std_dev = serializers.FloatField(help_text="Standard deviation of daily demand")
    lead_time_days = serializers.FloatField()
    lead_time_std_dev_days = serializers.FloatField()
    service_level = serializers.FloatField(help_text="Cycle service level, e.g. 0.95")
    safety_stock = serializers.FloatField(help_text="z·√(L·σd² + d²·σL²)")
    reorder_point = serializers.FloatField(help_text="d·L + safety stock")
    available_quantity = serializers.IntegerField(help_text="Available units now")
    below_reorder_point = serializers.BooleanField()
    days_of_cover = serializers.FloatField(allow_null=True, help_text="available / d; null without demand")
    predicted_stockout_date = serializers.DateField(allow_null=True)
    suggested_order_quantity = serializers.IntegerField(
        help_text="0 while available minus backordered is at or above the reorder point; else up to reorder point "
                  "+ review period of demand, at least the MOQ, in whole case packs")
    backordered_quantity = serializers.IntegerField(
        help_text="Units open orders were waiting for at computedAt (docs/supply.md)")
    minimum_order_quantity = serializers.IntegerField()
    case_pack = serializers.IntegerField()
    review_period_days = serializers.IntegerField()
    observed_days = serializers.IntegerField(help_text="Days of ledger history behind the average")
    computed_at = serializers.DateTimeField(help_text="When demand and reorder point were computed")


class AlertSerializer(serializers.Serializer):
    """Documents ``inventory.forecasting.alert_view``."""

    alert_id = serializers.IntegerField()
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    status = serializers.ChoiceField(choices=RestockAlert.Status.values)
    severity = serializers.ChoiceField(choices=RestockAlert.Severity.values)
    available_quantity = serializers.IntegerField(help_text="Available units when the alert opened")
    reorder_point = serializers.FloatField(help_text="Reorder point when the alert opened")
    suggested_order_quantity = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
