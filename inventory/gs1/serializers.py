from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from inventory.serializers import InventoryItemSerializer, TransactionSerializer


class ScanSerializer(StrictSerializer):
    scan = serializers.CharField(max_length=1000, trim_whitespace=False,
                                 help_text="What the scanner sent: a GS1 element string (with or without "
                                           "parentheses; FNC1 as ASCII GS, 0x1D) or a GS1 Digital Link URI")
    type = serializers.ChoiceField(choices=["receipt", "count"])
    warehouse_location = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000, required=False,
                                  help_text="How many of the scanned unit (default 1); a unit holds the scan's "
                                            "(37) or (30) count, else one item")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ScannedSerializer(serializers.Serializer):
    element_strings = serializers.CharField(help_text="The scan as read, e.g. (01)…(10)…(17)…")
    gtin = serializers.CharField()
    product_id = serializers.CharField()
    batch_number = serializers.CharField(allow_null=True)
    expiration_date = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(help_text="Units per scanned unit: (37) or (30), else 1")
    sscc = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField(help_text="Units recorded (receipt) or counted (count)")


class ScanResultSerializer(serializers.Serializer):
    scan = ScannedSerializer()
    transaction = TransactionSerializer(allow_null=True)
    transactions = TransactionSerializer(many=True)
    inventory = InventoryItemSerializer()
