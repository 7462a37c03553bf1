"""``attributes.<key>=<value>`` on the lists of the four resources, and the definitions' own filters."""

from __future__ import annotations

import django_filters
from django.db.models.fields.json import KeyTransform
from rest_framework.exceptions import ValidationError

from hotsauce.api.filters import StrictBooleanFilter
from partners.attributes.models import RESOURCES, AttributeDefinition
from partners.attributes.selectors import definitions_for
from partners.attributes.values import BadValue, value_parse

PREFIX = "attributes."


class AttributeFilter:
    """A query filter (``hotsauce.api.filters.StrictFilterBackend``) for one resource's attributes.

    It claims ``attributes.<key>`` only for keys the caller may read on that resource, so an
    undefined (or brand-only, for a partner) key is an unknown query parameter: a 400, like
    any other. The value is parsed by the key's type; matching is exact.
    """

    def __init__(self, resource: str, field: str = "attributes"):
        self.resource = resource
        self.field = field

    def claims(self, request, name: str) -> bool:
        if not name.startswith(PREFIX):
            return False
        return name[len(PREFIX):] in definitions_for(principal=request.user, resource=self.resource)

    def filter(self, request, queryset, params: dict[str, str]):
        definitions = definitions_for(principal=request.user, resource=self.resource)
        errors = {}
        for index, (name, raw) in enumerate(sorted(params.items())):
            key = name[len(PREFIX):]
            try:
                value = value_parse(definitions[key], raw)
            except BadValue as exc:
                errors[name] = [str(exc)]
                continue
            # An expression, not "attributes__<key>": a key may be spelt like a lookup (contains, in).
            alias = f"_attribute_{index}"
            queryset = queryset.alias(**{alias: KeyTransform(key, self.field)}).filter(**{alias: value})
        if errors:
            raise ValidationError(errors)
        return queryset


class AttributeDefinitionFilter(django_filters.FilterSet):
    appliesTo = django_filters.ChoiceFilter(choices=[(r, r) for r in RESOURCES], method="filter_applies_to")
    type = django_filters.ChoiceFilter(choices=AttributeDefinition.Type.choices)
    partnerReadable = StrictBooleanFilter(field_name="partner_readable")
    deprecated = StrictBooleanFilter(method="filter_deprecated")

    class Meta:
        model = AttributeDefinition
        fields = []

    def filter_applies_to(self, qs, name, value):
        # The JSON list's text holds the quoted name; no resource name contains another's.
        return qs.filter(applies_to__icontains=f'"{value}"')

    def filter_deprecated(self, qs, name, value):
        return qs.filter(deprecated_at__isnull=not value)
