import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

PAGINATION_PARAMS = frozenset({"limit", "cursor"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an unknown query parameter is a 400 rather than silently ignored.

    A typo such as ``?supplierID=SUP1`` would otherwise return every record, which for an
    inventory feed looks like valid data.
    """

    def filter_queryset(self, request, queryset, view):
        allowed = set(PAGINATION_PARAMS) | set(getattr(view, "extra_query_params", ()))
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true``/``false`` (or 1/0); anything else is a 400 rather than silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1", True))
        super().__init__(*args, **kwargs)
