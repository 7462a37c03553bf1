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


JSON_BOOLEAN = "Must be true or false (a JSON boolean, not a number or a string)."
JSON_STRING = "A string is required (a JSON string, not a number or a boolean)."


def _json_type(field) -> tuple[type, str] | None:
    """The JSON type a field's value must have in a JSON body (the schema's ``type``), if it is fixed."""
    if isinstance(field, serializers.BooleanField):
        return bool, JSON_BOOLEAN
    if isinstance(field, serializers.CharField):  # RegexField, EmailField, SlugField, URLField too
        return str, JSON_STRING
    if isinstance(field, serializers.ChoiceField) and all(isinstance(key, str) for key in field.choices):
        return str, JSON_STRING
    if isinstance(field, serializers.DateField | serializers.DateTimeField | serializers.TimeField):
        return str, JSON_STRING
    return None


def json_type_errors(fields, data) -> dict:
    """Fields of a JSON body whose value has the wrong JSON type: DRF would coerce ``0`` to ``False``
    or ``"0"``; the schema says boolean or string, so the API says 400 (issue 13)."""
    if not isinstance(data, dict):
        return {}
    errors = {}
    for name, field in fields.items():
        value = data.get(name)
        if field.read_only or value is None:
            continue
        problem = _wrong_type(field, value)
        if problem:
            errors[name] = [problem]
    return errors


def _wrong_type(field, value) -> str | None:
    if isinstance(field, serializers.ListField) and isinstance(value, list):  # each item: the child's type
        return next(filter(None, (_wrong_type(field.child, item) for item in value if item is not None)), None)
    expected = _json_type(field)
    if expected and not isinstance(value, expected[0]):
        return expected[1]
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know: a misspelt field must not be silently dropped."""

    # (Not in the docstring, which the schema shows for every request body:) it also rejects values
    # of the wrong JSON type (``"reason": 0``, ``"active": 1``) rather than coercing them.

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {**{name: ["Unknown field."] for name in unknown}, **json_type_errors(self.fields, data)}
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
