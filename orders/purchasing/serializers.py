"""Purchase order requests; responses are ``selectors.purchase_order_view``, documented here."""

from rest_framework import serializers

from hotsauce.api.fields import DATETIME_INPUT_FORMATS, StrictIntegerField, StrictSerializer
from orders.purchasing.models import InboundShipment, PurchaseOrder, PurchaseOrderLine

MAX_QUANTITY = 1_000_000_000


class PurchaseOrderLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY,
                                  help_text="In the unit of measure; a whole number of case packs")
    unit_of_measure = serializers.ChoiceField(choices=PurchaseOrderLine.Unit.values, default="each")
    case_pack = StrictIntegerField(min_value=1, max_value=1_000_000, default=1, help_text="Units per case")
    requested_date = serializers.DateField(help_text="When the goods are wanted at the ship-to warehouse")


class PurchaseOrderCreateSerializer(StrictSerializer):
    alert_id = StrictIntegerField(required=False, allow_null=True, min_value=1,
                                  help_text="Draft the order from this restock alert's suggestion (no lines then)")
    supplier_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                        help_text="Who fulfils it (with alertId: default the policy's "
                                                  "purchaseFromSupplierId, else the supplier holding the item)")
    ship_to_supplier_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                                help_text="Whose stock receives it; default: supplierId")
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True,
                                               help_text="The ship-to supplier's warehouse receiving it")
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    draft = serializers.BooleanField(required=False, default=False,
                                     help_text="Keep it as the brand's draft (submit later); always true with alertId")
    lines = PurchaseOrderLineInSerializer(many=True, required=False, max_length=500)

    def validate(self, attrs):
        if attrs.get("alert_id"):
            if attrs.get("lines"):
                raise serializers.ValidationError({"lines": ["An order drafted from an alert takes its line from it."]})
            return attrs
        errors = {}
        if not attrs.get("supplier_id"):
            errors["supplier_id"] = ["This field is required (or name an alertId)."]
        if not attrs.get("lines"):
            errors["lines"] = ["A purchase order needs at least one line."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class PurchaseOrderAckLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    promised_date = serializers.DateField()
    promised_quantity = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_QUANTITY,
                                           help_text="When less than ordered")


class PurchaseOrderAcknowledgeSerializer(StrictSerializer):
    lines = PurchaseOrderAckLineInSerializer(many=True, allow_empty=False, max_length=500)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PurchaseOrderShipLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    expiration_date = serializers.DateTimeField(input_formats=DATETIME_INPUT_FORMATS)
    production_date = serializers.DateField(required=False, allow_null=True)


class PurchaseOrderShipSerializer(StrictSerializer):
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expected_date = serializers.DateField(required=False, allow_null=True)
    ship_from_warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)
    lines = PurchaseOrderShipLineInSerializer(many=True, allow_empty=False, max_length=500)


class PurchaseOrderReceiveLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    received_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="Units counted in")
    expiration_date = serializers.DateTimeField(required=False, allow_null=True,
                                                input_formats=DATETIME_INPUT_FORMATS,
                                                help_text="Required for a new lot the notice did not announce")
    production_date = serializers.DateField(required=False, allow_null=True)


class PurchaseOrderReceiveSerializer(StrictSerializer):
    inbound_shipment_id = serializers.CharField(max_length=32, required=False, allow_null=True,
                                                help_text="The advance ship notice this delivery answers")
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True,
                                               help_text="Default: the order's ship-to warehouse")
    close_short = serializers.BooleanField(required=False, default=False,
                                           help_text="Close the order: what is still short will not come")
    lines = PurchaseOrderReceiveLineInSerializer(many=True, allow_empty=False, max_length=500)


class PurchaseOrderActionSerializer(StrictSerializer):
    pass


# --- responses ---------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    product_id = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_of_measure = serializers.CharField()
    case_pack = serializers.IntegerField()
    cases = serializers.IntegerField()
    requested_date = serializers.DateField()
    promised_date = serializers.DateField(allow_null=True)
    promised_quantity = serializers.IntegerField(allow_null=True)
    shipped_quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField()
    outstanding_quantity = serializers.IntegerField(help_text="Promised (or ordered) and not received yet")
    over_quantity = serializers.IntegerField(help_text="Received beyond the quantity ordered")
    short_quantity = serializers.IntegerField(help_text="Ordered and not received")


class InboundShipmentLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    production_date = serializers.DateField(allow_null=True)
    quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField(allow_null=True)
    variance_quantity = serializers.IntegerField(allow_null=True, help_text="received − announced")


class InboundShipmentSerializer(serializers.Serializer):
    inbound_shipment_id = serializers.CharField()
    status = serializers.ChoiceField(choices=InboundShipment.Status.values)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    expected_date = serializers.DateField(allow_null=True)
    ship_from_warehouse_location = serializers.CharField(allow_null=True)
    shipped_at = serializers.CharField()
    received_at = serializers.CharField(allow_null=True)
    lines = InboundShipmentLineSerializer(many=True)


class PurchaseReceiptLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    expected_quantity = serializers.IntegerField(allow_null=True)
    received_quantity = serializers.IntegerField()
    variance_quantity = serializers.IntegerField(allow_null=True, help_text="received − expected; negative: short")


class PurchaseReceiptSerializer(serializers.Serializer):
    receipt_id = serializers.CharField()
    inbound_shipment_id = serializers.CharField(allow_null=True)
    warehouse_location = serializers.CharField()
    received_at = serializers.CharField()
    closed_short = serializers.BooleanField()
    lines = PurchaseReceiptLineSerializer(many=True)


class PurchaseOrderSerializer(serializers.Serializer):
    purchase_order_id = serializers.CharField()
    status = serializers.ChoiceField(choices=PurchaseOrder.Status.values)
    supplier_id = serializers.CharField(help_text="Who fulfils it")
    ship_to_supplier_id = serializers.CharField(help_text="Whose stock receives it")
    warehouse_location = serializers.CharField(help_text="The ship-to warehouse")
    alert_id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    note = serializers.CharField()
    lines = PurchaseOrderLineSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    inbound_shipments = InboundShipmentSerializer(many=True)
    receipts = PurchaseReceiptSerializer(many=True)
    created_at = serializers.CharField()
    submitted_at = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.CharField(allow_null=True)
    closed_at = serializers.CharField(allow_null=True)
    updated_at = serializers.CharField()
