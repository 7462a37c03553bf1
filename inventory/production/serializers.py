"""Production run requests; responses are ``selectors.run_view``, documented here."""

from rest_framework import serializers

from hotsauce.api.fields import DATETIME_INPUT_FORMATS, StrictIntegerField, StrictSerializer

MAX_QUANTITY = 1_000_000_000


class ProductionRunInputInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class ProductionRunOutputInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    expiration_date = serializers.DateTimeField(input_formats=DATETIME_INPUT_FORMATS)
    production_date = serializers.DateField(required=False, allow_null=True,
                                            help_text="Default: the day of the run")


class ProductionRunCreateSerializer(StrictSerializer):
    supplier_id = serializers.CharField(max_length=64, help_text="The co-packer running production")
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True,
                                               help_text="Where the inputs are taken and the output put; "
                                                         "optional when the supplier has one warehouse")
    inputs = ProductionRunInputInSerializer(many=True, allow_empty=False, max_length=100)
    output = ProductionRunOutputInSerializer()
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ProductionRunLotSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()


class ProductionRunOutputSerializer(ProductionRunLotSerializer):
    production_date = serializers.DateField(allow_null=True)


class ProductionRunSerializer(serializers.Serializer):
    production_run_id = serializers.CharField()
    supplier_id = serializers.CharField()
    warehouse_location = serializers.CharField()
    produced_at = serializers.CharField()
    reference = serializers.CharField()
    inputs = ProductionRunLotSerializer(many=True)
    output = ProductionRunOutputSerializer()
