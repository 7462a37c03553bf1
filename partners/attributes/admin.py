"""The staff portal for custom attributes: definitions, and a widget per attribute on the resources' pages.

Definitions are written through ``partners.attributes.services`` (the same rules as the API:
no retype, no withdrawing values in use). Products' and retail partners' pages get one form
field per attribute with a widget for its type (yes/no/unset, number, date picker, choice);
the values go through ``attributes_merge`` like an API write.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from hotsauce.errors import ApplicationError
from partners.attributes import services
from partners.attributes.models import RESOURCES, AttributeDefinition
from partners.attributes.selectors import definitions_for
from partners.attributes.services import AttributeErrors, attributes_merge
from partners.attributes.values import MAX_INTEGER, MAX_STRING

T = AttributeDefinition.Type
FIELD_PREFIX = "attribute__"
camel_to_field = {"appliesTo": "applies_to", "partnerReadable": "partner_readable", "validFrom": "valid_from",
                  "validTo": "valid_to"}


# --- definitions ----------------------------------------------------------------------------------


class AttributeDefinitionForm(forms.ModelForm):
    applies_to = forms.MultipleChoiceField(choices=[(r, r) for r in RESOURCES], widget=forms.CheckboxSelectMultiple)
    values = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="An enum's values, one per line")
    deprecated = forms.BooleanField(required=False, help_text="Existing values stay; new ones are refused")

    class Meta:
        model = AttributeDefinition
        fields = ["key", "label", "description", "type", "values", "applies_to", "partner_readable", "valid_from",
                  "valid_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["values"] = "\n".join(self.instance.values or [])
            self.initial["deprecated"] = self.instance.deprecated_at is not None

    def clean_values(self):
        return [line.strip() for line in self.cleaned_data.get("values", "").splitlines() if line.strip()]

    def _post_clean(self):
        # The services check and save (clean() below); the model form only collects the fields.
        pass

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            # Inside the admin's transaction: a later failure rolls this back too.
            self.instance = self.save_through_services()
        except ApplicationError as exc:
            for error in exc.errors or [{"field": None, "message": exc.detail}]:
                name = camel_to_field.get(error["field"], error["field"])
                self.add_error(name if name in self.fields else None, f"{exc.detail} {error['message']}".strip())
        return cleaned

    def save_through_services(self) -> AttributeDefinition:
        data = self.cleaned_data
        common = {"label": data["label"], "description": data.get("description", ""),
                  "applies_to": list(data["applies_to"]), "partner_readable": data.get("partner_readable", False),
                  "valid_from": data.get("valid_from"), "valid_to": data.get("valid_to")}
        if self.instance.pk:
            definition = services.definition_update(
                definition=self.instance, values=data["values"] if self.instance.type == T.ENUM else None,
                deprecated=data.get("deprecated", False), **common)
        else:
            definition = services.definition_create(key=data["key"], type=data["type"],
                                                    values=data["values"] or None, **common)
            if data.get("deprecated"):
                definition = services.definition_update(definition=definition, deprecated=True)
        return definition


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    form = AttributeDefinitionForm
    list_display = ("key", "label", "type", "resources", "partner_readable", "valid_from", "valid_to", "deprecated")
    list_filter = ("type", "partner_readable")
    search_fields = ("key", "label", "description")

    def get_readonly_fields(self, request, obj=None):
        # A key and its type never change (deprecate and define a new key instead).
        return ("key", "type", "created_at", "updated_at") if obj else ()

    def get_fields(self, request, obj=None):
        fields = ["key", "label", "description", "type", "values", "applies_to", "partner_readable", "valid_from",
                  "valid_to", "deprecated"]
        return fields + ["created_at", "updated_at"] if obj else fields

    @admin.display(description="applies to")
    def resources(self, definition):
        return ", ".join(definition.applies_to or [])

    @admin.display(boolean=True)
    def deprecated(self, definition):
        return definition.deprecated_at is not None

    def save_model(self, request, obj, form, change):
        pass  # saved by the services in the form's clean(), where their refusals become form errors


# --- values on the resources' pages ----------------------------------------------------------------


def attribute_form_field(definition: AttributeDefinition) -> forms.Field:
    """A form field with the widget of the definition's type."""
    options = {"required": False, "label": definition.label,
               "help_text": " ".join(filter(None, [definition.description, f"custom attribute {definition.key}"
                                                   + (" (deprecated)" if definition.deprecated_at else "")]))}
    kind = definition.type
    if kind == T.BOOLEAN:
        return forms.NullBooleanField(widget=forms.NullBooleanSelect, **options)
    if kind == T.INTEGER:
        return forms.IntegerField(min_value=-MAX_INTEGER, max_value=MAX_INTEGER, **options)
    if kind == T.DECIMAL:
        return forms.DecimalField(max_digits=15, **options)
    if kind == T.DATE:
        return forms.DateField(widget=AdminDateWidget, **options)
    if kind == T.ENUM:
        return forms.ChoiceField(choices=[("", "—")] + [(v, v) for v in definition.values or []], **options)
    return forms.CharField(max_length=MAX_STRING, **options)


def _json_value(value):
    if value in (None, ""):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class _AttributesFormMixin:
    attributes_resource = ""
    attribute_definitions: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, value in (self.instance.attributes or {}).items():
            if key in self.attribute_definitions:
                self.initial.setdefault(FIELD_PREFIX + key, value)

    def clean(self):
        cleaned = super().clean()
        incoming = {key: _json_value(cleaned.get(FIELD_PREFIX + key)) for key in self.attribute_definitions}
        try:
            # Staff act as the brand: every definition is theirs to set; an unset field removes the value.
            self.instance.attributes = attributes_merge(
                resource=self.attributes_resource, incoming={k: v for k, v in incoming.items() if v is not None},
                principal=None, current=self.instance.attributes, replace=True)
        except AttributeErrors as exc:
            for key, message in exc.by_key.items():
                self.add_error(FIELD_PREFIX + key if key in self.attribute_definitions else None,
                               ValidationError(message))
        return cleaned


class AttributesAdminMixin:
    """A ModelAdmin whose form edits the record's ``attributes`` with one widget per definition."""

    attributes_resource: str = ""
    exclude = ("attributes",)

    def get_form(self, request, obj=None, **kwargs):
        # The admin lists the form's fields (ours included) and passes them back here; the
        # model form factory must only see the model's own.
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"] is not None:
            kwargs["fields"] = [name for name in kwargs["fields"] if not name.startswith(FIELD_PREFIX)]
        form_class = super().get_form(request, obj, **kwargs)
        definitions = definitions_for(principal=None, resource=self.attributes_resource)
        fields = {FIELD_PREFIX + key: attribute_form_field(d) for key, d in sorted(definitions.items())}
        return type(f"{form_class.__name__}WithAttributes", (_AttributesFormMixin, form_class), {
            **fields, "attributes_resource": self.attributes_resource, "attribute_definitions": definitions})


def attributes_html(values: dict | None) -> str:
    """Read-only display of a record's attributes (pages that are not edited as records)."""
    if not values:
        return "—"
    return format_html("<dl>{}</dl>", format_html_join(
        "", "<dt><code>{}</code></dt><dd>{}</dd>", sorted((key, str(value)) for key, value in values.items())))
