"""Request parsing for receipts, discrepancies, stock reports and scorecards; responses documented here."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from orders.feedback.models import Discrepancy

MAX_QUANTITY = 1_000_000_000

# --- requests -------------------------------------------------------------------------


class ReceiptLineInSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    received_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY,
                                           help_text="Units counted, damaged ones included")
    damaged_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, default=0,
                                          help_text="Of the received units, how many arrived damaged")


class ReceiptInSerializer(StrictSerializer):
    lines = ReceiptLineInSerializer(many=True, allow_empty=False, max_length=500,
                                    help_text="Every lot counted; a shipped lot not listed counts as 0 received")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DiscrepancyInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=[k for k in Discrepancy.Kind.values if k != "stockMismatch"])
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                        help_text="What happened (default: a line naming the kind and the order)")
    order_id = serializers.CharField(max_length=32, required=False, allow_null=True)
    shipment_id = serializers.CharField(max_length=32, required=False, allow_null=True)
    supplier_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                        help_text="Optional when orderId or shipmentId names the order")
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                              help_text="Suppliers and brand clients name the retailer "
                                                        "(or the order)")
    product_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True)
    expected_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, allow_null=True)
    actual_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, allow_null=True)
    quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, allow_null=True,
                                  help_text="Units affected")


class MessageInSerializer(StrictSerializer):
    body = serializers.CharField(max_length=5000)


class NoteInSerializer(StrictSerializer):
    note = serializers.CharField(max_length=5000)


class ResolveInSerializer(StrictSerializer):
    resolution = serializers.ChoiceField(choices=Discrepancy.Resolution.values)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(
        min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, required=False, allow_null=True,
        help_text="Units credited or replaced (default: the discrepancy's quantity); for stockAdjustment the "
                  "signed adjustment (default: +quantity for a shortage, −quantity for an overage or wrong item)")
    credit_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                             help_text="credit: the credit note's amount")
    credit_currency = serializers.RegexField(r"^(?:[A-Za-z]{3})?$", required=False, allow_blank=True, default="",
                                             help_text="ISO 4217 code of creditAmount")
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True,
                                               help_text="stockAdjustment: default the warehouse it shipped from")
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True,
                                         help_text="stockAdjustment: default the discrepancy's batch")


class StockReportLineSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    on_hand = StrictIntegerField(min_value=0, max_value=100_000_000)


class StockReportSerializer(StrictSerializer):
    date = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="The day counted, YYYY-MM-DD")
    lines = StockReportLineSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_date(self, value):
        # A day later than tomorrow (UTC) cannot have ended yet in any time zone.
        if value > timezone.now().date() + timedelta(days=1):
            raise serializers.ValidationError("The date cannot be in the future.")
        return value


# --- responses (documentation of the selectors' views) -------------------------------


class AuthorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["retailer", "supplier", "brand", "system"])
    partner_id = serializers.CharField(allow_null=True)


class MessageSerializer(serializers.Serializer):
    message_id = serializers.CharField()
    author = AuthorSerializer()
    body = serializers.CharField()
    created_at = serializers.CharField()


class DiscrepancySerializer(serializers.Serializer):
    discrepancy_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=Discrepancy.Kind.values)
    status = serializers.ChoiceField(choices=Discrepancy.Status.values)
    cause = serializers.ChoiceField(choices=Discrepancy.Cause.values, allow_null=True,
                                    help_text="Why it opened automatically; null when a partner opened it")
    supplier_id = serializers.CharField(allow_null=True)
    retail_partner_id = serializers.CharField()
    order_id = serializers.CharField(allow_null=True)
    shipment_id = serializers.CharField(allow_null=True)
    product_id = serializers.CharField(allow_null=True)
    batch_number = serializers.CharField(allow_null=True)
    report_date = serializers.DateField(allow_null=True, help_text="stockMismatch: the stock report's day")
    expected_quantity = serializers.IntegerField(allow_null=True, help_text="Shipped, or expected on hand")
    actual_quantity = serializers.IntegerField(allow_null=True, help_text="Received, or reported on hand")
    quantity = serializers.IntegerField(allow_null=True, help_text="Units affected")
    description = serializers.CharField()
    opened_by = serializers.ChoiceField(choices=["retailer", "supplier", "brand", "system"])
    opened_at = serializers.CharField()
    due_at = serializers.CharField()
    overdue = serializers.BooleanField(help_text="Still open or acknowledged after dueAt")
    acknowledged_at = serializers.CharField(allow_null=True)
    closed_at = serializers.CharField(allow_null=True, help_text="When it was resolved or rejected")
    resolution = serializers.ChoiceField(choices=Discrepancy.Resolution.values, allow_null=True)
    resolution_note = serializers.CharField()
    resolution_quantity = serializers.IntegerField(allow_null=True)
    credit_amount = serializers.CharField(allow_null=True)
    credit_currency = serializers.CharField(allow_null=True)
    replacement_order_id = serializers.CharField(allow_null=True)
    adjustment_movement_id = serializers.CharField(allow_null=True, help_text="The ledger movement of a "
                                                                              "stockAdjustment")
    message_count = serializers.IntegerField()
    messages = MessageSerializer(many=True, required=False, help_text="The thread (on the single resource)")
    updated_at = serializers.CharField()


class ReceiptLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    shipped_quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField()
    damaged_quantity = serializers.IntegerField()


class ReceiptSerializer(serializers.Serializer):
    shipment_id = serializers.CharField()
    order_id = serializers.CharField()
    supplier_id = serializers.CharField()
    retail_partner_id = serializers.CharField()
    shipment_status = serializers.CharField()
    delivered_at = serializers.CharField(allow_null=True)
    received_at = serializers.CharField()
    note = serializers.CharField()
    lines = ReceiptLineSerializer(many=True)
    discrepancies = DiscrepancySerializer(many=True)


class StockReportResultSerializer(serializers.Serializer):
    retail_partner_id = serializers.CharField()
    date = serializers.DateField()
    lines = StockReportLineSerializer(many=True)


class HoursSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class SlowestStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["orderToShip", "shipToDeliver", "resolve"])
    hours = serializers.FloatField()


class CardSerializer(serializers.Serializer):
    supplier_id = serializers.CharField(required=False)
    retail_partner_id = serializers.CharField(required=False)
    orders = serializers.IntegerField()
    ordered_units = serializers.IntegerField()
    shipped_units = serializers.IntegerField()
    fill_rate = serializers.FloatField(allow_null=True)
    orders_due = serializers.IntegerField()
    orders_on_time = serializers.IntegerField()
    on_time_delivery_rate = serializers.FloatField(allow_null=True)
    order_to_ship_hours = HoursSerializer()
    ship_to_deliver_hours = HoursSerializer()
    discrepancies = serializers.IntegerField()
    discrepancy_rate_per_1000_units = serializers.FloatField(allow_null=True)
    resolved_discrepancies = serializers.IntegerField()
    mean_time_to_resolve_hours = serializers.FloatField(allow_null=True)
    returned_units = serializers.IntegerField()
    return_rate = serializers.FloatField(allow_null=True)
    slowest_step = SlowestStepSerializer(allow_null=True, required=False)


class ScorecardsSerializer(serializers.Serializer):
    def get_fields(self):
        # "from" and "to" echo the query; they are Python keywords, hence no class attributes.
        return {"from": serializers.DateField(), "to": serializers.DateField(),
                "suppliers": CardSerializer(many=True, help_text="One card per supplier (a supplier: its own)"),
                "retail_partners": CardSerializer(many=True, help_text="One card per retail partner (a retailer: "
                                                                       "its own)")}
