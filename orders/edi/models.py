"""Trading-partner profiles, EDI documents, SSCC packages and order acknowledgements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from orders.models import Order, OrderLine, Shipment, ShipmentLine
from partners.models import ApiClient, RetailPartner, Supplier

TRANSACTION_SETS = ("846", "850", "855", "856", "997")


class TradingPartnerProfile(models.Model):
    """How one partner speaks X12: its interchange ids, version, documents and delimiters."""

    class Version(models.TextChoices):
        V5010 = "005010", "005010"
        V4010 = "004010", "004010"

    class Usage(models.TextChoices):
        PRODUCTION = "P", "Production"
        TEST = "T", "Test"

    retail_partner = models.OneToOneField(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="edi_profile")
    supplier = models.OneToOneField(Supplier, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="edi_profile")
    isa_qualifier = models.CharField("ISA id qualifier", max_length=2, default="ZZ")
    isa_id = models.CharField("ISA interchange id", max_length=15)
    gs_id = models.CharField("GS application id", max_length=15)
    version = models.CharField(max_length=6, choices=Version.choices, default=Version.V5010)
    documents = models.JSONField(default=list, blank=True,
                                 help_text=f"Transaction sets exchanged with this partner, of {TRANSACTION_SETS}")
    element_separator = models.CharField(max_length=1, default="*")
    component_separator = models.CharField(max_length=1, default=">")
    repetition_separator = models.CharField(max_length=1, default="^", help_text="005010 only (ISA11)")
    segment_terminator = models.CharField(max_length=1, default="~")
    usage = models.CharField("ISA15 usage", max_length=1, choices=Usage.choices, default=Usage.TEST)
    active = models.BooleanField(default=True)
    # The last control number sent to this partner: ISA13, GS06 and ST02 of the next document
    # take the next one, under a row lock (unique and increasing per partner).
    last_control_number = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["isa_id"]
        constraints = [
            models.CheckConstraint(
                name="edi_profile_one_partner",
                condition=(Q(retail_partner__isnull=False, supplier__isnull=True)
                           | Q(retail_partner__isnull=True, supplier__isnull=False))),
            models.UniqueConstraint(fields=["isa_qualifier", "isa_id"], name="uniq_edi_profile_isa_id"),
        ]

    def __str__(self) -> str:
        return f"{self.isa_qualifier}/{self.isa_id} ({self.version})"

    @property
    def partner_code(self) -> str:
        return self.retail_partner.code if self.retail_partner_id else self.supplier.code

    def enabled(self, transaction_set: str) -> bool:
        return self.active and transaction_set in (self.documents or [])


class EdiDocument(models.Model):
    """One interchange received or generated, kept verbatim with its control numbers."""

    class Direction(models.TextChoices):
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        PARTIALLY_ACCEPTED = "partially_accepted"
        REJECTED = "rejected"
        DUPLICATE = "duplicate"
        GENERATED = "generated"
        ACKNOWLEDGED = "acknowledged"
        ACKNOWLEDGED_WITH_ERRORS = "acknowledged_with_errors"

    code = models.CharField("document id", max_length=32, unique=True, null=True, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, db_index=True)
    transaction_set = models.CharField(max_length=3, db_index=True)
    # The partner whose counter numbered it (outbound) or who sent it (inbound).
    profile = models.ForeignKey(TradingPartnerProfile, on_delete=models.PROTECT, related_name="documents_exchanged")
    retail_partner = models.ForeignKey(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sender_id = models.CharField(max_length=15)
    receiver_id = models.CharField(max_length=15)
    version = models.CharField(max_length=6)
    interchange_control_number = models.CharField(max_length=9)
    group_control_number = models.CharField(max_length=9, blank=True)
    transaction_control_number = models.CharField(max_length=9, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices)
    content = models.TextField()
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="edi_documents")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="edi_documents")
    acknowledges = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="acknowledgements", help_text="For a 997: what it acknowledges")
    detail = models.JSONField(default=dict, blank=True, help_text="What processing found (errors, orders)")
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "EDI document"
        constraints = [
            models.UniqueConstraint(fields=["profile", "interchange_control_number"],
                                    condition=Q(direction="outbound"), name="uniq_edi_outbound_control_number"),
        ]
        indexes = [models.Index(fields=["retail_partner", "transaction_set"], name="edi_doc_retailer_set")]

    def __str__(self) -> str:
        return f"{self.code or self.pk} {self.direction} {self.transaction_set} #{self.interchange_control_number}"


class InboundTransaction(models.Model):
    """One received transaction set: its control numbers make a replay recognisable."""

    document = models.ForeignKey(EdiDocument, on_delete=models.CASCADE, related_name="transactions")
    profile = models.ForeignKey(TradingPartnerProfile, on_delete=models.PROTECT, related_name="+")
    interchange_control_number = models.CharField(max_length=9)
    group_control_number = models.CharField(max_length=9)
    transaction_control_number = models.CharField(max_length=9)
    transaction_set = models.CharField(max_length=3)
    accepted = models.BooleanField()
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "interchange_control_number", "group_control_number",
                        "transaction_control_number"], name="uniq_edi_inbound_transaction"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_set} {self.interchange_control_number}/{self.group_control_number}/" \
               f"{self.transaction_control_number}"


class Package(models.Model):
    """A logistic unit of a shipment (a case or pallet) with its SSCC-18."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="packages")
    number = models.PositiveIntegerField(help_text="1, 2, … within the shipment")
    sscc = models.CharField("SSCC", max_length=18, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipment_id", "number"]
        constraints = [models.UniqueConstraint(fields=["shipment", "number"], name="uniq_package_number")]

    def __str__(self) -> str:
        return f"{self.sscc} ({self.shipment})"


class PackageLine(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="package_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.package.sscc}: {self.quantity}"


class OrderAcknowledgement(models.Model):
    """The supplier's answer to an order: accept it, reject it, or accept part of it."""

    class Decision(models.TextChoices):
        ACCEPT = "accept"
        REJECT = "reject"
        PARTIAL = "partial"

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="acknowledgement")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order} {self.decision}"


class AcknowledgementLine(models.Model):
    acknowledgement = models.ForeignKey(OrderAcknowledgement, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    accepted_quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.acknowledgement}: {self.accepted_quantity}"
