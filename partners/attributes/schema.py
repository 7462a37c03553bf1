"""OpenAPI: every ``attributes`` field is an open object, described per resource."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

NAMES = {"product": "product", "batch": "batch", "order": "order", "retailPartner": "retail partner"}


def attributes_schema(resource: str) -> dict:
    name = NAMES[resource]
    return {
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}]},
        "description": (
            f"Brand-defined custom attributes of this {name}: `{{\"<key>\": value}}`. Which keys exist, "
            f"their types and whether partners may read them is listed at "
            f"`GET /api/v1/attributeDefinitions?appliesTo={resource}` (types: boolean → true/false, integer and "
            f"decimal → a JSON number, string, date → \"YYYY-MM-DD\", enum → one of its `values`). "
            f"Suppliers and retail partners see only partner-readable keys; the brand sees all. Always "
            f"present (`{{}}` when none); a write that leaves it out changes nothing. An unknown key or a wrong "
            f"type is a 400 naming `attributes.<key>`. Lists filter with `attributes.<key>=<value>`."),
        "example": {"limitedEdition": True, "promoCode": "SPRING24"} if resource in ("product", "order")
        else {"limitedEdition": True},
    }


class AttributesFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "partners.attributes.fields.AttributesField"

    def map_serializer_field(self, auto_schema, direction):
        return attributes_schema(self.target.resource)
