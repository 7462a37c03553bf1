from rest_framework import serializers

from hotsauce.api.fields import DATETIME_INPUT_FORMATS, StrictIntegerField, StrictModelSerializer, StrictSerializer
from inventory.models import Batch, InventoryTransaction, Product, Warehouse
from partners.attributes.fields import AttributesField
from partners.models import code_validator


class ProductSerializer(StrictModelSerializer):
    product_id = serializers.CharField(source="sku", max_length=64, validators=[code_validator])
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True, default="")
    heat_level_shu = StrictIntegerField(min_value=0, max_value=20_000_000, required=False, allow_null=True)
    bottle_size_ml = StrictIntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    ingredients = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                        max_length=100, default=list)
    expiry_warning_days = StrictIntegerField(min_value=0, max_value=3650, required=False)
    attributes = AttributesField(resource="product")

    class Meta:
        model = Product
        fields = ["product_id", "gtin", "name", "flavor", "heat_level_shu", "bottle_size_ml", "ingredients",
                  "kind", "expiry_warning_days", "attributes", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ProductPutSerializer(ProductSerializer):
    product_id = serializers.CharField(source="sku", max_length=64, required=False)


class WarehouseSerializer(StrictModelSerializer):
    warehouse_location = serializers.CharField(source="code", max_length=64, validators=[code_validator])
    supplier_id = serializers.CharField(source="supplier.code", max_length=64, required=False)

    class Meta:
        model = Warehouse
        fields = ["warehouse_location", "name", "supplier_id", "address", "country", "active", "created_at"]
        read_only_fields = ["created_at"]


class LotSerializer(serializers.Serializer):
    warehouse_location = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    status = serializers.ChoiceField(choices=["released", "quarantined", "recalled", "expired"])
    inventory_level = serializers.IntegerField()
    reserved_quantity = serializers.IntegerField()
    available_quantity = serializers.IntegerField()
    on_hold_quantity = serializers.IntegerField()


class InventoryItemSerializer(serializers.Serializer):
    """Documents the item view built by ``inventory.selectors.item_view``."""

    supplier_id = serializers.CharField()
    retail_partner_id = serializers.CharField(allow_null=True)
    product_id = serializers.CharField()
    inventory_level = serializers.IntegerField()
    reserved_quantity = serializers.IntegerField()
    available_quantity = serializers.IntegerField()
    on_hold_quantity = serializers.IntegerField()
    warehouse_location = serializers.CharField(allow_null=True)
    batch_number = serializers.CharField(allow_null=True)
    expiration_date = serializers.CharField(allow_null=True)
    last_updated = serializers.CharField()
    version = serializers.IntegerField()
    lots = LotSerializer(many=True)


class TransactionSerializer(serializers.Serializer):
    """Documents ``inventory.services.transaction_view``."""

    id = serializers.IntegerField()
    movement_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=InventoryTransaction.Type.values)
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    warehouse_location = serializers.CharField()
    to_warehouse_location = serializers.CharField(allow_null=True)
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()
    on_hand_delta = serializers.IntegerField()
    reserved_delta = serializers.IntegerField()
    on_hold_delta = serializers.IntegerField()
    on_hand_after = serializers.IntegerField()
    reserved_after = serializers.IntegerField()
    retail_partner_id = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    reference = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.CharField()


class MovementResultSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    transactions = TransactionSerializer(many=True)
    inventory = InventoryItemSerializer()


MOVEMENT_TYPE_CHOICES = ["receipt", "reservation", "release", "sale", "damage", "return", "writeOff",
                         "adjustment", "transfer"]


class MovementSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=MOVEMENT_TYPE_CHOICES)
    quantity = StrictIntegerField(min_value=-1_000_000_000, max_value=1_000_000_000)
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True)
    expiration_date = serializers.DateTimeField(required=False, allow_null=True, input_formats=DATETIME_INPUT_FORMATS)
    production_date = serializers.DateField(required=False, allow_null=True)
    to_warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["type"] != "adjustment" and attrs["quantity"] <= 0:
            raise serializers.ValidationError({"quantity": ["Must be a positive whole number."]})
        if attrs["type"] == "adjustment" and attrs["quantity"] == 0:
            raise serializers.ValidationError({"quantity": ["An adjustment must not be zero."]})
        if attrs["type"] == "transfer" and not attrs.get("to_warehouse_location"):
            raise serializers.ValidationError({"to_warehouse_location": ["Required for a transfer."]})
        return attrs


class LedgerMovementSerializer(MovementSerializer):
    supplier_id = serializers.CharField(max_length=64)
    product_id = serializers.CharField(max_length=64)


class CountLotSerializer(StrictSerializer):
    warehouse_location = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    inventory_level = StrictIntegerField(min_value=0, max_value=1_000_000_000)


class CountSerializer(StrictSerializer):
    version = StrictIntegerField(min_value=0, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    lots = CountLotSerializer(many=True, allow_empty=False, max_length=1000)


class BatchSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(source="product.sku")
    supplier_id = serializers.CharField(source="supplier.code")
    inventory_level = serializers.SerializerMethodField()
    reserved_quantity = serializers.SerializerMethodField()
    attributes = AttributesField(resource="batch")

    class Meta:
        model = Batch
        fields = ["product_id", "supplier_id", "batch_number", "production_date", "expiration_date", "status",
                  "status_reason", "inventory_level", "reserved_quantity", "attributes", "created_at"]

    def get_inventory_level(self, obj) -> int:
        return getattr(obj, "on_hand", None) or 0

    def get_reserved_quantity(self, obj) -> int:
        return getattr(obj, "reserved", None) or 0


class BatchPatchSerializer(StrictSerializer):
    attributes = AttributesField(resource="batch", check=False, required=True,
                                 help_text="Merged: the keys sent are set, null removes one")
