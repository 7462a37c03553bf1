from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


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
        if raw is None or raw == "":
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({"limit": ["Must be a whole number between 1 and 500."]}) from None
        if value < 1:
            raise ValidationError({"limit": ["Must be a whole number between 1 and 500."]})
        return min(value, self.max_page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF answers a bad cursor with 404; it is bad input
            if getattr(exc, "status_code", None) == 404:
                raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
            raise

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
