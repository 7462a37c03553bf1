"""Serializer fields and a base serializer that are strict about what clients send."""

from rest_framework import serializers

DATETIME_INPUT_FORMATS = ["iso-8601", "%Y-%m-%d"]


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be sent as a JSON number: ``"5"`` or ``true`` is a 400, not a 5."""

    default_error_messages = {"invalid": "A whole number is required (a JSON number, not a string)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            if isinstance(data, float) and data.is_integer():
                data = int(data)
            else:
                self.fail("invalid")
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know: a misspelt field must not be silently dropped."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Unknown and invalid fields in one answer, not one round trip each.
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **errors}) from None
            raise
        if errors:
            try:  # the object-level rules too, so nothing waits for a second round trip
                self.validate(value)
            except serializers.ValidationError as exc:
                if isinstance(exc.detail, dict):
                    errors = {**exc.detail, **errors}
            raise serializers.ValidationError(errors)
        return value


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass
