"""Request parsing for the partner workflow; responses are the selectors' views, documented here."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from orders.edi.serializers import PackageSerializer
from orders.models import Order, Return, ReturnLine, Shipment
from partners.attributes.fields import AttributesField

MAX_QUANTITY = 1_000_000_000


# --- requests -------------------------------------------------------------------------


class OrderLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 2000}, {"type": "object"}],
                      "description": "Free text or a structured address object, stored and echoed as sent."})
class DeliveryAddressField(serializers.JSONField):
    """Free text or a structured address object, stored and echoed as sent."""

    def to_internal_value(self, data):
        if not isinstance(data, (str, dict)):
            raise serializers.ValidationError("Must be text or an address object.")
        if isinstance(data, str) and len(data) > 2000:
            raise serializers.ValidationError("At most 2000 characters.")
        return super().to_internal_value(data)


class OrderCreateSerializer(StrictSerializer):
    supplier_id = serializers.CharField(max_length=64)
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                              help_text="Brand clients name the retailer; retailers may omit it")
    lines = OrderLineInSerializer(many=True, allow_empty=False, max_length=500)
    requested_delivery_date = serializers.DateField(required=False, allow_null=True)
    delivery_address = DeliveryAddressField(required=False, allow_null=True)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    attributes = AttributesField(resource="order")


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShipmentLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True)
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)


class PackageLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class PackageInSerializer(StrictSerializer):
    sscc = serializers.CharField(max_length=18, required=False, allow_null=True,
                                 help_text="The supplier's own SSCC-18; omit to get one made")
    lines = PackageLineInSerializer(many=True, allow_empty=False, max_length=500)


class ShipmentCreateSerializer(StrictSerializer):
    order_id = serializers.CharField(max_length=32)
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    lines = ShipmentLineInSerializer(many=True, required=False, allow_null=True, allow_empty=False,
                                     max_length=500, help_text="Omit to ship everything allocated")
    packages = PackageInSerializer(many=True, required=False, allow_null=True, allow_empty=False, max_length=500,
                                   help_text="How the shipped units are packed, every unit in exactly one package; "
                                             "omit for one package holding the whole shipment")


class EmptySerializer(StrictSerializer):
    pass


class ReturnLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = serializers.ChoiceField(choices=ReturnLine.Reason.values)


class ReturnCreateSerializer(StrictSerializer):
    supplier_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                        help_text="Optional when orderId names the order")
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    order_id = serializers.CharField(max_length=32, required=False, allow_null=True)
    lines = ReturnLineInSerializer(many=True, allow_empty=False, max_length=500)


class ReceiveLineInSerializer(StrictSerializer):
    line_id = serializers.CharField(max_length=40)
    disposition = serializers.ChoiceField(choices=ReturnLine.Disposition.values)
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)


class ReturnReceiveSerializer(StrictSerializer):
    lines = ReceiveLineInSerializer(many=True, allow_empty=False, max_length=500)


class RecallSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500)


# --- responses (documentation of the selectors' views) -------------------------------


class AllocationSerializer(serializers.Serializer):
    batch_number = serializers.CharField()
    warehouse_location = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()


class InboundCoverSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(help_text="Backordered units promised inbound will cover")
    expected_date = serializers.DateField(allow_null=True, help_text="When the whole backorder is covered")


class OrderLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    quantity = serializers.IntegerField()
    allocated_quantity = serializers.IntegerField()
    backordered_quantity = serializers.IntegerField()
    shipped_quantity = serializers.IntegerField()
    delivered_quantity = serializers.IntegerField()
    reservation_id = serializers.CharField(allow_null=True, help_text="The reservation holding this line's "
                                           "allocated units (GET reservations/{reservationId})")
    allocations = AllocationSerializer(many=True)
    inbound = InboundCoverSerializer(required=False, allow_null=True, help_text=(
        "Detail and creation answers only: for a backordered line, the promised purchase order inbound that "
        "will serve it (null without a backorder)"))


class ShipmentLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    warehouse_location = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.Serializer):
    shipment_id = serializers.CharField()
    order_id = serializers.CharField()
    supplier_id = serializers.CharField(required=False)
    retail_partner_id = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=Shipment.Status.values)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.CharField()
    delivered_at = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    lines = ShipmentLineSerializer(many=True)
    packages = PackageSerializer(many=True, help_text="Logistic units, each with its SSCC (labels.pdf / labels.png)")


class ProgressSerializer(serializers.Serializer):
    ordered_quantity = serializers.IntegerField()
    allocated_quantity = serializers.IntegerField()
    backordered_quantity = serializers.IntegerField()
    shipped_quantity = serializers.IntegerField()
    in_transit_quantity = serializers.IntegerField()
    delivered_quantity = serializers.IntegerField()
    shipments_in_transit = serializers.IntegerField()
    shipments_delivered = serializers.IntegerField()


class OrderSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.values)
    supplier_id = serializers.CharField()
    retail_partner_id = serializers.CharField()
    requested_delivery_date = serializers.DateField(allow_null=True)
    delivery_address = serializers.JSONField()
    reference = serializers.CharField()
    attributes = AttributesField(resource="order")
    lines = OrderLineSerializer(many=True)
    shipments = ShipmentSerializer(many=True)
    progress = ProgressSerializer()
    cancelled_at = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class ReturnLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReturnLine.Reason.values)
    disposition = serializers.ChoiceField(choices=ReturnLine.Disposition.values, allow_null=True)
    warehouse_location = serializers.CharField(allow_null=True)
    received_at = serializers.CharField(allow_null=True)


class ReturnSerializer(serializers.Serializer):
    return_id = serializers.CharField()
    supplier_id = serializers.CharField()
    retail_partner_id = serializers.CharField()
    order_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Return.Status.values)
    lines = ReturnLineSerializer(many=True)
    created_at = serializers.CharField()
    received_at = serializers.CharField(allow_null=True)


class RecallNoticeSerializer(serializers.Serializer):
    retail_partner_id = serializers.CharField()
    quantity = serializers.IntegerField()
    shipped_quantity = serializers.IntegerField()
    returned_quantity = serializers.IntegerField()
    outstanding_quantity = serializers.IntegerField()


class RecallOutSerializer(serializers.Serializer):
    recall_id = serializers.CharField()
    product_id = serializers.CharField()
    supplier_id = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    reason = serializers.CharField()
    recalled_at = serializers.CharField()
    units_on_hold = serializers.IntegerField()
    reserved_units_released = serializers.IntegerField()
    retail_partners = RecallNoticeSerializer(many=True)


class DerivedRecallSerializer(RecallOutSerializer):
    recalled_because_of = serializers.DictField(help_text="The lot whose recall recalled this batch")


class RecallResultSerializer(RecallOutSerializer):
    derived_recalls = DerivedRecallSerializer(many=True, help_text="The recalls of batches made from this lot")


class RecallListSerializer(serializers.Serializer):
    results = RecallOutSerializer(many=True)


class TraceSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    supplier_id = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    status = serializers.CharField()
    totals = serializers.DictField(child=serializers.IntegerField())
    lots = serializers.ListField(child=serializers.DictField())
    retail_partners = serializers.ListField(child=serializers.DictField())
    shipments = serializers.ListField(child=serializers.DictField())
    returns = serializers.ListField(child=serializers.DictField())
    recalls = RecallOutSerializer(many=True)
    forward = serializers.DictField(help_text=(
        "Through production: `batches` made from this lot at any depth (each with `madeFrom`, the units of "
        "this lineage used, its `productionRunId` and `shippedQuantity`) and `retailPartners` that received "
        "them, with `shippedQuantity` and the quantity per batch (a retailer sees only its own)"))
    backward = serializers.DictField(help_text=(
        "`productionRunId` that made this batch and `lots` it was made from (depth 1) and what those were made "
        "from (depth 2+), with the units used"))
