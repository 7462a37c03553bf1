"""HTTP for attribute definitions: ``attributeDefinitions`` (GET, POST), ``attributeDefinitions/{key}`` (GET, PATCH)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, ValidationFailed
from partners.attributes import selectors, services
from partners.attributes.filters import AttributeDefinitionFilter
from partners.attributes.serializers import (
    AttributeDefinitionCreateSerializer,
    AttributeDefinitionPatchSerializer,
    AttributeDefinitionSerializer,
)
from partners.scopes import BRAND

_HOW = (
    "The brand defines the custom attributes that products, batches, orders and retail partners may carry "
    "in their `attributes` object. A definition names a camelCase `key`, a `label`, a `type` (`boolean`, "
    "`integer`, `decimal`, `string`, `date`, or `enum` with its `values`), the resources it `appliesTo`, "
    "whether partners may read it (`partnerReadable`) and optionally the days it accepts new values "
    "(`validFrom`, `validTo`). Partners list only partner-readable definitions. See docs/attributes.md."
)
_EXAMPLE = OpenApiExample("limitedEdition", value={
    "key": "limitedEdition", "label": "Limited edition", "type": "boolean", "appliesTo": ["product"],
    "partnerReadable": True}, request_only=True)
_ENUM_EXAMPLE = OpenApiExample("channelTier (enum)", value={
    "key": "channelTier", "label": "Channel tier", "type": "enum", "values": ["gold", "silver"],
    "appliesTo": ["retailPartner"], "partnerReadable": False, "validFrom": "2026-01-01"}, request_only=True)


class AttributeDefinitionListApi(GenericApiView):
    serializer_class = AttributeDefinitionSerializer
    filterset_class = AttributeDefinitionFilter
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": {BRAND}}

    def get_queryset(self):
        return selectors.definition_list(principal=self.principal)

    @extend_schema(summary="List attribute definitions", description=_HOW)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Define a custom attribute (brand clients and staff)", description=_HOW,
                   request=AttributeDefinitionCreateSerializer, responses={201: AttributeDefinitionSerializer},
                   examples=[_EXAMPLE, _ENUM_EXAMPLE])
    def post(self, request):
        serializer = AttributeDefinitionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = services.definition_create(**serializer.validated_data)
        return Response(self.get_serializer(definition).data, status=201)


class AttributeDefinitionDetailApi(GenericApiView):
    serializer_class = AttributeDefinitionSerializer
    required_scopes = {"GET": "catalog:read", "PATCH": "catalog:write"}
    allowed_kinds = {"PATCH": {BRAND}}

    def _definition(self, key: str):
        definition = selectors.definition_get(principal=self.principal, key=key)
        if definition is None:
            raise NotFound(f"No attribute definition {key}.")
        return definition

    @extend_schema(summary="Get an attribute definition")
    def get(self, request, key: str):
        return Response(self.get_serializer(self._definition(key)).data)

    @extend_schema(
        summary="Change an attribute definition: label, values, resources, readability, validity, deprecation",
        description="A definition is never retyped: a different `type` is 409 `invalid_state` (deprecate the key "
                    "and define a new one). Withdrawing an enum value or a resource that records still use is "
                    "409 too. `\"deprecated\": true` keeps every stored value (shown and filterable) and refuses "
                    "new ones.",
        request=AttributeDefinitionPatchSerializer, responses=AttributeDefinitionSerializer,
        examples=[OpenApiExample("deprecate", value={"deprecated": True}, request_only=True),
                  OpenApiExample("add an enum value", value={"values": ["gold", "silver", "bronze"]},
                                 request_only=True)])
    def patch(self, request, key: str):
        definition = self._definition(key)
        serializer = AttributeDefinitionPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("key", key) != key:
            raise ValidationFailed.for_field("key", "A key never changes; it must match the path.")
        definition = services.definition_update(definition=definition, **data)
        return Response(self.get_serializer(definition).data)
