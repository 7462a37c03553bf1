from datetime import UTC, datetime

import django_filters
from django import forms
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

PAGINATION_PARAMS = frozenset({"limit", "cursor"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an unknown query parameter is a 400 rather than silently ignored.

    A typo such as ``?supplierID=SUP1`` would otherwise return every record, which for an
    inventory feed looks like valid data.

    A view may also list ``query_filters``: objects with ``claims(request, name) -> bool`` (the
    parameter is theirs, e.g. ``attributes.<key>`` for a defined key) and
    ``filter(request, queryset, {name: value}) -> queryset``, for parameters whose names are
    not known in advance.
    """

    def filter_queryset(self, request, queryset, view):
        allowed = set(PAGINATION_PARAMS) | set(getattr(view, "extra_query_params", ()))
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        claimed = {name: query_filter for name in set(request.query_params) - allowed
                   for query_filter in getattr(view, "query_filters", ()) if query_filter.claims(request, name)}
        unknown = sorted(set(request.query_params) - allowed - set(claimed))
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        # `?updatedSince=` would otherwise mean "no filter": a value the schema calls invalid
        # (not a timestamp, not a code) must not silently widen the list.
        empty = sorted(name for name in set(request.query_params) - PAGINATION_PARAMS
                       if request.query_params.get(name) == "")
        if empty:
            raise ValidationError({name: ["Must not be empty (leave the parameter out instead)."] for name in empty})
        for query_filter in {id(f): f for f in claimed.values()}.values():
            queryset = query_filter.filter(request, queryset, {
                name: request.query_params.get(name) for name, owner in claimed.items() if owner is query_filter})
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        # PostgreSQL refuses UTC offsets beyond ±15:59 that ISO 8601 allows (a DataError, so a
        # 500); the instant is what matters, so compare in UTC.
        for name, value in list(filterset.form.cleaned_data.items()):
            if isinstance(value, datetime) and value.tzinfo is not None:
                try:
                    filterset.form.cleaned_data[name] = value.astimezone(UTC)
                except OverflowError:
                    raise ValidationError({name: ["Date and time out of range."]}) from None
        return filterset.qs


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number within bigint (``-3.4e38`` or ``1.5`` is a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)  # documented as the boolean it is, not a choice of strings
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true``/``false`` (or 1/0); anything else is a 400 rather than silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1", True))
        super().__init__(*args, **kwargs)
