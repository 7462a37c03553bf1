"""The ``attributes`` serializer field the four resources share."""

from __future__ import annotations

from rest_framework import serializers

from partners.attributes.selectors import attributes_visible
from partners.attributes.services import AttributeErrors, attributes_merge


class AttributesField(serializers.Field):
    """``{"<key>": value}``: validated against the definitions, shown as the caller may read it.

    Reading needs the request in the serializer's context: without it only partner-readable
    keys are shown. Writing with ``check`` (the default) validates against the definitions
    the caller sees and returns the record's whole new ``attributes``; the context may hold
    ``attributes_current`` (the stored values, for PUT) and ``attributes_replace`` (default
    True; False merges as PATCH does). ``check=False`` only checks the shape, for services
    that validate under a row lock.
    """

    def __init__(self, *, resource: str, check: bool = True, **kwargs):
        self.resource = resource
        self.check = check
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def _principal(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_representation(self, value):
        principal = self._principal()
        if principal is None:
            from partners.attributes.selectors import hidden_from_partners

            hidden = hidden_from_partners(value)
            return {k: v for k, v in (value or {}).items() if k not in hidden}
        return attributes_visible(principal=principal, values=value)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError('Must be an object of attribute values, e.g. {"limitedEdition": true}.')
        if not self.check:
            return data
        try:
            return attributes_merge(resource=self.resource, incoming=data, principal=self._principal(),
                                    current=self.context.get("attributes_current"),
                                    replace=self.context.get("attributes_replace", True))
        except AttributeErrors as exc:
            raise serializers.ValidationError({key or "attributes": [message] for key, message in exc.by_key.items()})\
                from None
