"""OpenAPI: security schemes, the Problem component, error responses on every operation."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from hotsauce.api.filters import PAGINATION_PARAMS
from hotsauce.api.inputguard import CONTROL_CLASS
from partners.principal import Principal
from partners.scopes import BRAND, SCOPES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "nullable": True},
        "code": {"type": "string", "example": "validation_error"},
        "requestId": {"type": "string", "nullable": True},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string", "nullable": True}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`) or missing Idempotency-Key (`idempotency_key_missing`).",
    "401": "Missing, invalid or expired credentials (`not_authenticated`).",
    "403": "Scope or kind does not allow this (`insufficient_scope`, `permission_denied`).",
    "404": "No such resource, or one belonging to another partner (`not_found`).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict (`version_conflict`, `insufficient_stock`, `idempotency_key_in_use`, `invalid_state`).",
    "410": "Events cursor older than retention (`cursor_expired`).",
    "412": "If-Match does not match the current ETag (`precondition_failed`).",
    "415": "Unsupported media type.",
    "422": "Idempotency-Key reused with a different body (`idempotency_key_reused`).",
    "428": "Conditional write without If-Match or version (`precondition_required`).",
    "429": "Rate limit exceeded (`rate_limited`); see Retry-After.",
    "500": "Unexpected failure (`internal_error`).",
}


# POSTs to these end a path with a verb: they act on an existing resource (200), they do not
# create one (201).
ACTION_SEGMENTS = frozenset({"cancel", "deliver", "receive", "recall", "acknowledge", "rotateSecret", "test",
                             "recover", "resolve", "reject", "reopen", "submit", "ship"})


def _defines_get_queryset(view) -> bool:
    """True when the project's own view class (not DRF's or our base) supplies get_queryset."""
    for cls in type(view).__mro__:
        if cls.__module__.startswith(("rest_framework", "hotsauce.api")):
            continue
        if "get_queryset" in vars(cls) or "queryset" in vars(cls):
            return True
    return False


# Exactly what hotsauce.api.idempotency.parse_key accepts: 1-255 printable ASCII characters
# (blanks around it are not part of it), or an RFC 8941 quoted string of them.
IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "pattern": r'^[ \t]*([!-~]|[!#-~][ -~]{0,253}[!-~]|"[ -~]{0,253}[!#-~]|"[ -~]{1,255}")[ \t]*$',
}


class ProblemAwareAutoSchema(AutoSchema):
    def _get_format_parameters(self):
        # DRF's `?format=` override is not part of this API: list filters reject it as unknown.
        return []

    def get_operation(self, *args, **kwargs):
        # Generating the schema runs views' get_queryset() (to find models for filters and
        # path parameters) without a caller: give them a brand principal, which sees all and
        # needs no database to build its (never evaluated) querysets.
        request = getattr(self.view, "request", None)
        if request is not None and not isinstance(getattr(request, "user", None), Principal):
            request.user = Principal(kind=BRAND, scopes=frozenset(SCOPES))
        if not getattr(self.view, "kwargs", None):
            path = kwargs.get("path", args[0] if args else "")
            self.view.kwargs = {name: "" for name in re.findall(r"{(\w+)}", path)}
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            operation["description"] = self._access_description(operation.get("description") or "")
        return operation

    def _is_list_view(self, serializer=None) -> bool:
        # Our list views are plain GenericApiViews with a hand-written get() that paginates
        # get_queryset(); without this the schema would promise one object where a page
        # ({next, previous, results}) is answered.
        if self.method == "GET" and not hasattr(self.view, "action") and _defines_get_queryset(self.view):
            if serializer is None or not isinstance(serializer, dict):
                return True
        return super()._is_list_view(serializer)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A blank string is not an email or a URL: where blank is allowed, the format would
        # make every empty value a schema violation.
        if getattr(field, "allow_blank", False) and isinstance(schema, dict) and "format" in schema:
            schema = {k: v for k, v in schema.items() if k != "format"}
        # Text that may not be blank is at least one character long.
        if (direction == "request" and isinstance(field, serializers.CharField) and not field.allow_blank
                and isinstance(schema, dict) and schema.get("type") == "string" and "enum" not in schema):
            schema.setdefault("minLength", 1)
            if (field.trim_whitespace and "format" not in schema  # "  " is trimmed to blank
                    and not any(isinstance(validator, RegexValidator) for validator in field.validators)):
                schema.setdefault("pattern", NON_BLANK)
        # `allow_empty=False` (a list that may not be empty) is a 400 for []: say so.
        if (isinstance(field, serializers.ListField | serializers.ListSerializer) and not field.allow_empty
                and isinstance(schema, dict) and schema.get("type") == "array"):
            schema.setdefault("minItems", 1)
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False):  # validators add the format back (EmailValidator)
            schema.pop("format", None)

    def _is_create_operation(self) -> bool:
        if self.method == "POST" and not hasattr(self.view, "action"):
            return self.path.rstrip("/").rsplit("/", 1)[-1] not in ACTION_SEGMENTS
        return super()._is_create_operation()

    def _access_description(self, own: str) -> str:
        # Every operation says who may call it and how, from the same attributes that enforce it,
        # after whatever its own description says (extend_schema's description replaces
        # get_description, so this runs on the finished operation).
        method = self.method.upper()
        scope = (getattr(self.view, "required_scopes", None) or {}).get(method)
        kinds = (getattr(self.view, "allowed_kinds", None) or {}).get(method)
        access = []
        if scope:
            access.append(f"Needs scope `{scope}`")
        if kinds:
            access.append("callable by " + " and ".join(sorted(f"{kind} clients" for kind in kinds))
                          + " (any other kind: 403)")
        lines = [own.strip()] if own.strip() else []
        if access:
            lines.append("**Access:** " + "; ".join(access) + ". A resource of another partner answers 404.")
        if method in ("POST", "PATCH"):
            required = method in getattr(self.view, "idempotency_required", ())
            lines.append("**Idempotency-Key:** " + ("required (missing: 400 `idempotency_key_missing`)." if required
                                                    else "honoured (a replay returns the first answer)."))
        return "\n\n".join(lines)

    def get_operation_id(self):
        # One view class per resource shape (list vs item), so class + method is unique and
        # reads well in generated clients: getInventoryItem, postOrderList, ...
        name = type(self.view).__name__
        if name.endswith("Api"):
            name = name[:-3]
        return f"{self.method.lower()}{name}"

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        method = self.method.upper()
        if method in ("POST", "PATCH"):
            required = method in getattr(self.view, "idempotency_required", ())
            params.append(OpenApiParameter(
                "Idempotency-Key", IDEMPOTENCY_KEY_SCHEMA, OpenApiParameter.HEADER, required=required,
                description="1-255 printable characters. Replays return the first answer with "
                            "`Idempotent-Replayed: true`." + (" Required." if required else ""),
            ))
        return params

    def get_auth(self):
        scope = (getattr(self.view, "required_scopes", None) or {}).get(self.method.upper())
        if scope is None:
            return []
        return [{"oauth2": [scope]}, {"apiKey": []}]


def add_problem_component(result, generator, request, public):
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    schemes = components.setdefault("securitySchemes", {})
    schemes["oauth2"] = {
        "type": "oauth2",
        "description": "OAuth 2.0 client credentials; opaque bearer tokens valid 3600 s.",
        "flows": {"clientCredentials": {"tokenUrl": "/oauth/token/", "scopes": dict(SCOPES)}},
    }
    schemes["apiKey"] = {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "`Authorization: ApiKey <key>` for server-to-server calls.",
    }
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400", "401", "403", "404", "405", "406", "429", "500"]
            if method in ("post", "patch", "put", "delete"):
                codes += ["409", "412", "415", "422", "428"]
            if "/events" in path:
                codes.append("410")
            for code in codes:
                operation["responses"].setdefault(code, {
                    "description": _DESCRIPTIONS[code],
                    "content": {"application/problem+json": {"schema": PROBLEM_REF}},
                })
            for response in operation["responses"].values():
                response.setdefault("headers", {}).update({
                    "X-Request-Id": {"schema": {"type": "string"}, "description": "Echoed or generated id."},
                })
    return result


# What the API refuses before any view looks at a value (hotsauce.api.inputguard, StrictFilterBackend,
# StrictSerializer), said in the schema, so that a request the schema calls valid is never a 400
# for a reason the schema kept quiet about (issue 13).
NO_CONTROL_CHARACTERS = f"^[^{CONTROL_CLASS}]*$"
NO_NUL = r"^[^\x00]*$"
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def constrain_inputs(result, generator, request, public):
    """Query filters: not empty, no control characters. Request bodies: no unknown fields, no NUL."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                schema = parameter.get("schema", {})
                if (parameter["in"] != "query" or parameter["name"] in PAGINATION_PARAMS
                        or schema.get("type") != "string" or {"enum", "pattern"} & set(schema)):
                    continue
                schema.setdefault("minLength", 1)
                if "format" not in schema:
                    schema["pattern"] = NO_CONTROL_CHARACTERS
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: used by request bodies only
            _constrain_body(schema)
    return result


def _constrain_body(schema) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
        schema["pattern"] = NO_NUL
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    for child in (*schema.get("properties", {}).values(), schema.get("items"), schema.get("additionalProperties"),
                  *schema.get("oneOf", ()), *schema.get("anyOf", ()), *schema.get("allOf", ())):
        _constrain_body(child)


class _Base(OpenApiAuthenticationExtension):
    priority = 1


class BearerScheme(_Base):
    target_class = "hotsauce.api.auth.BearerTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token/",
                                                                   "scopes": dict(SCOPES)}}}


class ApiKeyScheme(_Base):
    target_class = "hotsauce.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization"}


class StaffSessionScheme(_Base):
    target_class = "hotsauce.api.auth.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
