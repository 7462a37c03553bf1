from rest_framework import serializers

from hotsauce.api.fields import StrictSerializer


class PromotionSerializer(serializers.Serializer):
    """Documents ``inventory.promotions.selectors.promotion_view``."""

    promotion_id = serializers.CharField()
    retail_partner_id = serializers.CharField()
    product_id = serializers.CharField()
    name = serializers.CharField()
    start_date = serializers.DateField(help_text="First promotion day (inclusive)")
    end_date = serializers.DateField(help_text="Last promotion day (inclusive)")
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class PromotionCreateSerializer(StrictSerializer):
    retail_partner_id = serializers.CharField(max_length=64)
    product_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class PromotionPatchSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
