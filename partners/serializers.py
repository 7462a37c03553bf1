from rest_framework import serializers

from hotsauce.api.fields import StrictModelSerializer, StrictSerializer
from partners.attributes.fields import AttributesField
from partners.models import RetailPartner, Supplier, TradingRelationship, code_validator


class SupplierSerializer(StrictModelSerializer):
    supplier_id = serializers.CharField(source="code", max_length=64, validators=[code_validator])

    class Meta:
        model = Supplier
        fields = ["supplier_id", "name", "kind", "contact_email", "country", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class RetailPartnerSerializer(StrictModelSerializer):
    retail_partner_id = serializers.CharField(source="code", max_length=64, validators=[code_validator])
    minimum_shelf_life_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    attributes = AttributesField(resource="retailPartner")

    class Meta:
        model = RetailPartner
        fields = ["retail_partner_id", "name", "channel", "minimum_shelf_life_days", "contact_email", "attributes",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class TradingRelationshipSerializer(StrictModelSerializer):
    supplier_id = serializers.CharField(source="supplier.code", max_length=64)
    retail_partner_id = serializers.CharField(source="retail_partner.code", max_length=64)
    active = serializers.BooleanField(required=False, default=True)

    class Meta:
        model = TradingRelationship
        fields = ["id", "supplier_id", "retail_partner_id", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class TradingRelationshipPatchSerializer(StrictSerializer):
    active = serializers.BooleanField(required=False, help_text="Left out: no change (the answer is the relationship).")
