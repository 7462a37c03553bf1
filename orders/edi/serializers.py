"""Request parsing and response documentation for EDI documents, acknowledgements and packages."""

from rest_framework import serializers

from hotsauce.api.fields import StrictIntegerField, StrictSerializer
from orders.edi.models import TRANSACTION_SETS, EdiDocument, OrderAcknowledgement

MAX_QUANTITY = 1_000_000_000


class DocumentSerializer(serializers.Serializer):
    document_id = serializers.CharField()
    direction = serializers.ChoiceField(choices=EdiDocument.Direction.values)
    transaction_set = serializers.CharField(help_text="846, 850, 855, 856 or 997")
    status = serializers.ChoiceField(choices=EdiDocument.Status.values)
    retail_partner_id = serializers.CharField(allow_null=True)
    supplier_id = serializers.CharField(allow_null=True)
    sender_id = serializers.CharField(help_text="ISA06")
    receiver_id = serializers.CharField(help_text="ISA08")
    version = serializers.CharField(help_text="GS08, e.g. 005010")
    interchange_control_number = serializers.CharField(help_text="ISA13")
    group_control_number = serializers.CharField(allow_null=True, help_text="GS06")
    transaction_control_number = serializers.CharField(allow_null=True, help_text="ST02 (single-set documents)")
    order_id = serializers.CharField(allow_null=True)
    shipment_id = serializers.CharField(allow_null=True)
    acknowledges_document_id = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()


class DocumentDetailSerializer(DocumentSerializer):
    content = serializers.CharField(help_text="The interchange exactly as sent or received")


class DocumentCreateSerializer(StrictSerializer):
    transaction_set = serializers.ChoiceField(choices=["846"], help_text="What to generate now: 846")
    supplier_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                        help_text="A supplier client may omit it (itself)")
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True,
                                              help_text="A retailer client may omit it (itself)")


class InboundResultSerializer(serializers.Serializer):
    document_id = serializers.CharField()
    status = serializers.ChoiceField(choices=EdiDocument.Status.values)
    acknowledgement = serializers.CharField(allow_null=True, help_text="The 997 (and TA1) answering it, as X12")
    acknowledgement_document_id = serializers.CharField(allow_null=True)
    created_order_ids = serializers.ListField(child=serializers.CharField())
    replayed = serializers.BooleanField(help_text="True when every transaction set was received before")


class AcknowledgeLineSerializer(StrictSerializer):
    product_id = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="Units accepted")


class AcknowledgeSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=OrderAcknowledgement.Decision.values)
    lines = AcknowledgeLineSerializer(many=True, required=False, allow_empty=False, max_length=500,
                                      help_text="partial: the accepted quantity of each product")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AcknowledgementLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    ordered_quantity = serializers.IntegerField()
    accepted_quantity = serializers.IntegerField()


class AcknowledgementSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    decision = serializers.ChoiceField(choices=OrderAcknowledgement.Decision.values)
    reason = serializers.CharField()
    acknowledged_at = serializers.CharField()
    lines = AcknowledgementLineSerializer(many=True)
    order_status = serializers.CharField()
    document_id = serializers.CharField(allow_null=True, help_text="The 855 sent, if the retailer takes 855s")


class PackageLineSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()


class PackageSerializer(serializers.Serializer):
    sscc = serializers.CharField(help_text="SSCC-18 (AI 00)")
    number = serializers.IntegerField()
    element_strings = serializers.ListField(child=serializers.CharField(),
                                            help_text="What each barcode of its label encodes, top to bottom")
    lines = PackageLineSerializer(many=True)


TRANSACTION_SET_CHOICES = list(TRANSACTION_SETS)
