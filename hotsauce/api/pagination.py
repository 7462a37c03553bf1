from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

# What DRF's cursors are made of (base64 of the position's query string).
CURSOR_PATTERN = r"^[A-Za-z0-9+/=]*$"


class CursorPage(CursorPagination):
    """``{"next", "previous", "results"}`` with ``?limit=`` (default 50, max 500)."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "limit"
    cursor_query_param = "cursor"
    ordering = "id"
    invalid_cursor_message = "Invalid cursor."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({"limit": ["Must be a whole number between 1 and 500."]}) from None
        if value < 1:
            raise ValidationError({"limit": ["Must be a whole number between 1 and 500."]})
        return min(value, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except Exception as exc:  # DRF answers a bad cursor with 404; it is bad input
            if getattr(exc, "status_code", None) == 404:
                raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
            raise
        if cursor is not None and cursor.position is not None and not self._position_fits(cursor.position):
            # A tampered cursor, or one from another list: its position is compared with this
            # list's ordering field in SQL, where a wrong type is a database error, not a 400.
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        return cursor

    def _position_fits(self, position: str) -> bool:
        if any(ord(c) < 32 or ord(c) == 127 for c in position):
            return False
        name = self.ordering[0].lstrip("-") if isinstance(self.ordering, (list, tuple)) else self.ordering.lstrip("-")
        model = getattr(self, "_model", None)
        if model is None or "__" in name:
            return True
        try:
            field = model._meta.get_field(name)
            value = field.to_python(position)
        except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError, OverflowError):
            return False
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return False
        return True

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "default": self.page_size}
                parameter["description"] = (f"Page size, at least 1 (default {self.page_size}); more than "
                                            f"{self.max_page_size} is read as {self.max_page_size}.")
            elif parameter["name"] == self.cursor_query_param:
                # Opaque: only the `next` and `previous` links make one. Anything else is a 400
                # `validation_error` naming `cursor`, which no schema can tell apart in advance.
                parameter["schema"] = {"type": "string", "pattern": CURSOR_PATTERN}
                parameter["description"] = ("Opaque position, taken from a page's `next` or `previous` link; "
                                            "any other value is a 400 naming `cursor`.")
        return parameters
