"""Writes: attribute definitions (brand and staff only), and validating values against them."""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.db import transaction
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from partners.attributes.models import RESOURCES, AttributeDefinition, key_validator
from partners.attributes.selectors import definitions_for
from partners.attributes.values import BadValue, value_clean
from partners.principal import Principal

T = AttributeDefinition.Type
MAX_ENUM_VALUES = 100
MAX_ATTRIBUTES = 100

# Where each resource's values live. Looked up by label, not imported: the domain apps import
# this sub-app, never the reverse; only the "is this value in use?" checks need the models.
RESOURCE_MODELS = {"product": "inventory.Product", "batch": "inventory.Batch", "order": "orders.Order",
                   "retailPartner": "partners.RetailPartner"}


class AttributeErrors(ValidationFailed):
    """Every bad ``attributes.<key>`` of one write, at once."""

    def __init__(self, by_key: dict[str, str]):
        self.by_key = by_key
        super().__init__(
            "Invalid attributes: " + "; ".join(f"{key}: {message}" for key, message in by_key.items()),
            errors=[{"field": f"attributes.{key}" if key else "attributes", "message": message}
                    for key, message in by_key.items()])


# --- values ---------------------------------------------------------------------------------


def _check_new_value(definition: AttributeDefinition, today: date) -> str | None:
    if definition.deprecated_at is not None:
        return (f"Deprecated since {definition.deprecated_at:%Y-%m-%d}: existing values are kept, "
                "new ones are refused.")
    if not definition.accepts_on(today):
        window = f"from {definition.valid_from or 'the start'} to {definition.valid_to or 'no end'}"
        return f"Accepts new values only {window}."
    return None


def attributes_merge(*, resource: str, incoming, principal: Principal | None, current: dict | None = None,
                     replace: bool = True, today: date | None = None) -> dict:
    """The ``attributes`` a record has after a write, checked against the definitions.

    ``replace`` (POST, PUT): the caller's readable keys become exactly ``incoming``; keys the
    caller may not read (brand-only ones, for a partner) are kept as they were. Otherwise
    (PATCH) the keys sent are set and a ``null`` removes one. A value equal to the stored
    one is always accepted, so a client may send back what it read even after its key was
    deprecated. Raises ``AttributeErrors`` naming every bad key.
    """
    if not isinstance(incoming, dict):
        raise AttributeErrors({"": "Must be an object of attribute values, e.g. {\"limitedEdition\": true}."})
    if len(incoming) > MAX_ATTRIBUTES:
        raise AttributeErrors({"": f"At most {MAX_ATTRIBUTES} attributes."})
    current = dict(current or {})
    definitions = definitions_for(principal=principal, resource=resource)
    today = today or timezone.now().date()
    result = {k: v for k, v in current.items() if k not in definitions} if replace else dict(current)
    errors: dict[str, str] = {}
    for key, value in incoming.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = f"Unknown attribute: no definition of {key!r} applies to a {resource}."
            continue
        if value is None:
            result.pop(key, None)
            continue
        try:
            cleaned = value_clean(definition, value)
        except BadValue as exc:
            errors[key] = str(exc)
            continue
        if current.get(key) != cleaned and (problem := _check_new_value(definition, today)):
            errors[key] = problem
            continue
        result[key] = cleaned
    if errors:
        raise AttributeErrors(errors)
    return result


# --- definitions ----------------------------------------------------------------------------


def _clean_common(*, label: str | None, applies_to: list | None, valid_from: date | None,
                  valid_to: date | None, errors: list[dict]) -> None:
    if label is not None and not label.strip():
        errors.append({"field": "label", "message": "Must not be blank."})
    if applies_to is not None:
        unknown = [r for r in applies_to if r not in RESOURCES]
        if not applies_to or unknown or len(set(applies_to)) != len(applies_to):
            errors.append({"field": "appliesTo", "message": f"A non-empty list of distinct resources among "
                                                            f"{', '.join(RESOURCES)}."})
    if valid_from and valid_to and valid_to < valid_from:
        errors.append({"field": "validTo", "message": "Must not be before validFrom."})


def _clean_values(type_: str, values: list | None, errors: list[dict]) -> list[str]:
    if type_ != T.ENUM:
        if values:
            errors.append({"field": "values", "message": "Only an enum has values."})
        return []
    if not values or not isinstance(values, list) or len(values) > MAX_ENUM_VALUES:
        errors.append({"field": "values", "message": f"An enum needs 1 to {MAX_ENUM_VALUES} values."})
        return []
    if any(not isinstance(v, str) or not v.strip() or len(v) > 100 for v in values) or len(set(values)) != len(values):
        errors.append({"field": "values", "message": "Distinct non-blank strings of at most 100 characters."})
    return list(values)


def definition_create(*, key: str, label: str, type: str, applies_to: list[str], values: list[str] | None = None,
                      description: str = "", partner_readable: bool = False, valid_from: date | None = None,
                      valid_to: date | None = None) -> AttributeDefinition:
    errors: list[dict] = []
    try:
        key_validator(key)
    except Exception as exc:  # django's ValidationError: one message
        errors.append({"field": "key", "message": " ".join(getattr(exc, "messages", [str(exc)]))})
    if type not in T.values:
        errors.append({"field": "type", "message": f"Must be one of {', '.join(T.values)}."})
    _clean_common(label=label, applies_to=applies_to, valid_from=valid_from, valid_to=valid_to, errors=errors)
    values = _clean_values(type, values, errors)
    if not errors and AttributeDefinition.objects.filter(key=key).exists():
        errors.append({"field": "key", "message": f"{key} is already defined; PATCH it, or pick another key."})
    if errors:
        raise ValidationFailed("The attribute definition is invalid.", errors=errors)
    return AttributeDefinition.objects.create(
        key=key, label=label.strip(), type=type, applies_to=list(applies_to), values=values,
        description=description, partner_readable=partner_readable, valid_from=valid_from, valid_to=valid_to)


def _holding(resource: str, key: str):
    """Records of ``resource`` that have a value for ``key``."""
    model = apps.get_model(RESOURCE_MODELS[resource])
    return model.objects.alias(_attr=KeyTransform(key, "attributes")).filter(_attr__isnull=False)


def _resources_in_use(definition: AttributeDefinition, resources: list[str]) -> list[str]:
    return [r for r in resources if _holding(r, definition.key).exists()]


def _enum_values_in_use(definition: AttributeDefinition, values: list[str]) -> list[str]:
    return [v for v in values
            if any(_holding(r, definition.key).filter(_attr=v).exists() for r in definition.applies_to)]


_UNSET = object()


@transaction.atomic
def definition_update(*, definition: AttributeDefinition, label: str | None = None,
                      description: str | None = None, type: str | None = None, values: list[str] | None = None,
                      applies_to: list[str] | None = None, partner_readable: bool | None = None,
                      valid_from=_UNSET, valid_to=_UNSET, deprecated: bool | None = None) -> AttributeDefinition:
    """Change what may change; a retype, or withdrawing enum values or resources in use, is 409."""
    definition = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
    if type is not None and type != definition.type:
        raise InvalidState(
            f"{definition.key} is a {definition.type}; a definition is never retyped. Deprecate it "
            f"(\"deprecated\": true) and define a new key.", errors=[{"field": "type", "message": "Cannot change."}])
    new_from = definition.valid_from if valid_from is _UNSET else valid_from
    new_to = definition.valid_to if valid_to is _UNSET else valid_to
    errors: list[dict] = []
    _clean_common(label=label, applies_to=applies_to, valid_from=new_from, valid_to=new_to, errors=errors)
    if values is not None:
        values = _clean_values(definition.type, values, errors)
    if errors:
        raise ValidationFailed("The change is invalid.", errors=errors)
    if values is not None and definition.type == T.ENUM:
        dropped = [v for v in definition.values if v not in values]
        in_use = _enum_values_in_use(definition, dropped) if dropped else []
        if in_use:
            raise InvalidState(f"{definition.key} values still in use cannot be withdrawn: {', '.join(in_use)}. "
                               "Change those records first, or deprecate the key.",
                               errors=[{"field": "values", "message": f"In use: {', '.join(in_use)}."}])
        definition.values = values
    if applies_to is not None:
        withdrawn = [r for r in definition.applies_to if r not in applies_to]
        in_use = _resources_in_use(definition, withdrawn) if withdrawn else []
        if in_use:
            raise InvalidState(f"{definition.key} still has values on: {', '.join(in_use)}.",
                               errors=[{"field": "appliesTo", "message": f"In use on: {', '.join(in_use)}."}])
        definition.applies_to = list(applies_to)
    for name, value in (("label", label), ("description", description), ("partner_readable", partner_readable)):
        if value is not None:
            setattr(definition, name, value.strip() if isinstance(value, str) else value)
    definition.valid_from, definition.valid_to = new_from, new_to
    if deprecated is not None:
        definition.deprecated_at = (definition.deprecated_at or timezone.now()) if deprecated else None
    definition.save()
    return definition
