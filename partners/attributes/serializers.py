from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hotsauce.api.fields import StrictModelSerializer, StrictSerializer
from partners.attributes.models import RESOURCES, AttributeDefinition

TYPES = AttributeDefinition.Type.values


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(RESOURCES)}, "minItems": 1,
                      "uniqueItems": True})
class ResourceListField(serializers.ListField):
    """What a definition applies to: a non-empty list of distinct resources."""


class AttributeDefinitionSerializer(StrictModelSerializer):
    """The definition as the API shows it."""

    values = serializers.SerializerMethodField(help_text="An enum's allowed values; null for other types")
    applies_to = ResourceListField(child=serializers.ChoiceField(choices=RESOURCES))
    deprecated = serializers.SerializerMethodField()

    class Meta:
        model = AttributeDefinition
        fields = ["key", "label", "description", "type", "values", "applies_to", "partner_readable", "valid_from",
                  "valid_to", "deprecated", "deprecated_at", "created_at", "updated_at"]

    def get_values(self, obj) -> list[str] | None:
        return list(obj.values) if obj.type == AttributeDefinition.Type.ENUM else None

    def get_deprecated(self, obj) -> bool:
        return obj.deprecated_at is not None


class AttributeDefinitionCreateSerializer(StrictSerializer):
    key = serializers.CharField(max_length=64, help_text="camelCase, e.g. limitedEdition; never changes")
    label = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    type = serializers.ChoiceField(choices=TYPES, help_text="Fixed once created")
    values = serializers.ListField(child=serializers.CharField(max_length=100), required=False, allow_null=True,
                                   max_length=100, help_text="An enum's allowed values (enum only)")
    applies_to = ResourceListField(child=serializers.ChoiceField(choices=RESOURCES), allow_empty=False,
                                       max_length=len(RESOURCES))
    partner_readable = serializers.BooleanField(required=False, default=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)


class AttributeDefinitionPatchSerializer(StrictSerializer):
    key = serializers.CharField(max_length=64, required=False, help_text="If sent, must be the path's key")
    label = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=TYPES, required=False,
                                   help_text="If sent, must be the current type: a definition is never retyped (409)")
    values = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=100,
                                   help_text="An enum's values; withdrawing one still in use is 409")
    applies_to = ResourceListField(child=serializers.ChoiceField(choices=RESOURCES), required=False,
                                       allow_empty=False, max_length=len(RESOURCES),
                                       help_text="Withdrawing a resource that still has values is 409")
    partner_readable = serializers.BooleanField(required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)
    deprecated = serializers.BooleanField(required=False, help_text="Existing values stay; new ones are refused")
