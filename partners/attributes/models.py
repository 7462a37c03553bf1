from __future__ import annotations

from datetime import date

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

#: Resources that carry an ``attributes`` object, as the API names them.
RESOURCES = ("product", "batch", "order", "retailPartner")

key_validator = RegexValidator(
    r"^[a-z][a-zA-Z0-9]{0,63}$",
    "A camelCase key: a lower-case letter, then up to 63 letters or digits (e.g. limitedEdition).",
)


class AttributeDefinition(models.Model):
    """A typed key the brand lets products, batches, orders or retail partners carry.

    Never retyped: a key's ``type`` is fixed at creation, and enum values or resources that
    are in use cannot be withdrawn (deprecate the key and define a new one instead).
    """

    class Type(models.TextChoices):
        BOOLEAN = "boolean"
        INTEGER = "integer"
        DECIMAL = "decimal"
        STRING = "string"
        DATE = "date"
        ENUM = "enum"

    key = models.CharField(max_length=64, unique=True, validators=[key_validator])
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    values = models.JSONField(default=list, blank=True, help_text="The allowed values of an enum")
    applies_to = models.JSONField(default=list, help_text=f"Any of {', '.join(RESOURCES)}")
    partner_readable = models.BooleanField(
        default=False, help_text="Suppliers and retail partners may read (and write) it; otherwise brand only")
    valid_from = models.DateField(null=True, blank=True, help_text="New values are accepted from this day")
    valid_to = models.DateField(null=True, blank=True, help_text="... up to and including this day")
    deprecated_at = models.DateTimeField(null=True, blank=True, help_text="Kept and shown; new values refused")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="attribute_validity_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.type})"

    def applies(self, resource: str) -> bool:
        return resource in (self.applies_to or [])

    def accepts_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)
