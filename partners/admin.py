"""Partners, trading relationships and API clients in the admin.

Credentials are shown once, at creation, by ``partners.services``; afterwards only a
hash is stored and nothing here displays it (the hash is not a secret to copy).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from oauth2_provider.models import get_access_token_model

from hotsauce.errors import ApplicationError
from hotsauce.proxies import client_ip
from partners.attributes.admin import AttributesAdminMixin
from partners.models import ApiClient, ApiKey, AuthAuditLog, RetailPartner, Supplier, TradingRelationship
from partners.scopes import KINDS, SCOPES
from partners.services import api_client_create, api_client_deactivate, api_key_create, api_key_revoke, audit_record
from partners.tokens import client_tokens_forget, tokens_revoke

AccessToken = get_access_token_model()
# django-oauth-toolkit's own admin (loaded first) shows the application's hashed secret
# and raw token values; ours below replaces it.
for _model in (ApiClient, AccessToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _audit_secret_shown(request, client: ApiClient, detail: str) -> None:
    audit_record(event=AuthAuditLog.Event.SECRET_SHOWN, success=True, client=client, user=request.user,
                 ip=client_ip(request), method=request.method, path=request.path, detail=detail)


# --- directory ------------------------------------------------------------------------


class SupplierRelationshipInline(admin.TabularInline):
    model = TradingRelationship
    fk_name = "supplier"
    fields = ("retail_partner", "active", "created_at")
    readonly_fields = ("created_at",)
    extra = 0
    autocomplete_fields = ("retail_partner",)


class RetailerRelationshipInline(SupplierRelationshipInline):
    fk_name = "retail_partner"
    fields = ("supplier", "active", "created_at")
    autocomplete_fields = ("supplier",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "country", "contact_email", "created_at")
    list_filter = ("kind", "country")
    search_fields = ("code", "name", "contact_email")
    readonly_fields = ("created_at", "updated_at")
    inlines = (SupplierRelationshipInline,)


@admin.register(RetailPartner)
class RetailPartnerAdmin(AttributesAdminMixin, admin.ModelAdmin):
    attributes_resource = "retailPartner"
    list_display = ("code", "name", "channel", "minimum_shelf_life_days", "contact_email", "created_at")
    list_filter = ("channel",)
    search_fields = ("code", "name", "contact_email")
    readonly_fields = ("created_at", "updated_at")
    inlines = (RetailerRelationshipInline,)


@admin.register(TradingRelationship)
class TradingRelationshipAdmin(admin.ModelAdmin):
    list_display = ("supplier", "retail_partner", "active", "created_at", "updated_at")
    list_filter = ("active", "supplier", "retail_partner")
    search_fields = ("supplier__code", "supplier__name", "retail_partner__code", "retail_partner__name")
    list_select_related = ("supplier", "retail_partner")
    autocomplete_fields = ("supplier", "retail_partner")
    readonly_fields = ("created_at", "updated_at")
    actions = ("activate", "deactivate")

    @admin.action(description="Activate selected relationships", permissions=["change"])
    def activate(self, request, queryset):
        self.message_user(request, f"Activated {queryset.update(active=True)} relationship(s).", messages.SUCCESS)

    @admin.action(description="Deactivate selected relationships (the retailer stops seeing the stock)",
                  permissions=["change"])
    def deactivate(self, request, queryset):
        self.message_user(request, f"Deactivated {queryset.update(active=False)} relationship(s).",
                          messages.SUCCESS)


# --- API clients and keys -------------------------------------------------------------


class ScopesField(forms.MultipleChoiceField):
    """Ticked boxes, or one space-separated string as OAuth writes scopes."""

    def to_python(self, value):
        return [scope for item in super().to_python(value) for scope in item.split()]


class ApiClientCreateForm(forms.Form):
    name = forms.CharField(max_length=255, required=False, help_text="Defaults to the kind and partner.")
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS])
    supplier = forms.ModelChoiceField(Supplier.objects.all(), required=False, help_text="For a supplier client.")
    retail_partner = forms.ModelChoiceField(RetailPartner.objects.all(), required=False,
                                            help_text="For a retailer client.")
    allowed_scopes = ScopesField(
        choices=[(s, f"{s} — {d}") for s, d in SCOPES.items()], required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None ticked: every scope the kind may hold.")
    with_api_key = forms.BooleanField(
        required=False, label="Issue an API key instead of a client secret",
        help_text="For server-to-server calls with `Authorization: ApiKey <key>`.")
    allowed_ips = forms.CharField(required=False, help_text="Optional comma-separated CIDRs.")
    expires_at = forms.DateTimeField(required=False, help_text="API keys only.")

    def partner_code(self) -> str | None:
        data = self.cleaned_data
        partner = data.get("supplier") if data["kind"] == "supplier" else (
            data.get("retail_partner") if data["kind"] == "retailer" else None)
        return partner.code if partner else None


class ApiKeyInline(ReadOnlyMixin, admin.TabularInline):
    model = ApiKey
    fields = ("prefix", "name", "allowed_ips", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    extra = 0


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "kind", "partner", "is_active", "rate_limit", "created")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "client_id", "supplier__code", "retail_partner__code")
    list_select_related = ("supplier", "retail_partner")
    # Never the stored client_secret: it is a hash, and showing it invites pasting it as one.
    fields = ("name", "client_id", "kind", "supplier", "retail_partner", "allowed_scopes", "allowed_ips",
              "rate_limit", "is_active", "created", "updated")
    readonly_fields = ("client_id", "kind", "supplier", "retail_partner", "is_active", "created", "updated")
    inlines = (ApiKeyInline,)
    actions = ("issue_api_key", "deactivate")

    @admin.display(description="partner")
    def partner(self, client):
        return client.partner_code or "—"

    def add_view(self, request, form_url="", extra_context=None):
        """Create a client through the service and show its credential this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiClientCreateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                client, creds = api_client_create(
                    kind=data["kind"], partner_code=form.partner_code(), scopes=data["allowed_scopes"] or None,
                    name=data["name"], with_api_key=data["with_api_key"], allowed_ips=data["allowed_ips"],
                    expires_at=data["expires_at"])
            except ApplicationError as exc:
                form.add_error(None, exc.detail)
            else:
                _audit_secret_shown(request, client, "API client created in the admin")
                self.log_addition(request, client, [{"added": {}}])
                return self._credentials_page(request, client, creds)
        return TemplateResponse(request, "admin/staff_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Add API client", "form": form,
            "submit_label": "Create client", "intro": "The client secret (or API key) is shown once, on the next "
                                                      "page. Only a hash is stored."})

    def _credentials_page(self, request, client, creds: dict):
        return TemplateResponse(request, "admin/partners/apiclient/credentials.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Credentials — shown once",
            "client": client, "creds": creds, "secret": creds.get("clientSecret") or creds.get("apiKey"),
            "secret_label": "API key" if "apiKey" in creds else "Client secret"})

    @admin.action(description="Issue a new API key (shown once)", permissions=["change"])
    def issue_api_key(self, request, queryset):
        issued = []
        for client in queryset.filter(is_active=True):
            key, _ = api_key_create(client=client, name=f"issued by {request.user.get_username()}")
            _audit_secret_shown(request, client, "API key issued in the admin")
            issued.append({"clientId": client.client_id, "apiKey": key})
        if not issued:
            self.message_user(request, "No active client selected.", messages.WARNING)
            return None
        return TemplateResponse(request, "admin/partners/apiclient/credentials.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "API keys — shown once",
            "issued": issued})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # allowlist, scopes or rate changed: no process may keep using its cached copy
            client_tokens_forget(client=obj)

    @admin.action(description="Deactivate selected clients (revokes their tokens and keys)", permissions=["change"])
    def deactivate(self, request, queryset):
        for client in queryset:
            api_client_deactivate(client=client)
        self.message_user(request, f"Deactivated {queryset.count()} client(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "client", "name", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at", "client__kind")
    search_fields = ("prefix", "name", "client__name", "client__client_id")
    list_select_related = ("client",)
    fields = ("prefix", "client", "name", "allowed_ips", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "client", "created_at", "revoked_at", "last_used_at")
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False  # keys are issued from the API client page, which shows them once

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(AuthAuditLog)
class AuthAuditLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "event", "success", "who", "user", "ip", "method", "path", "detail")
    list_filter = ("event", "success", "at")
    search_fields = ("client_identifier", "user__username", "ip", "path", "detail")
    list_select_related = ("user", "client__supplier", "client__retail_partner")
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description="client")
    def who(self, entry):
        # The client's name when the credential was recognised; otherwise what was sent.
        return entry.client.display_name if entry.client_id else entry.client_identifier


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """Live tokens, without their values; deleting one revokes it."""

    list_display = ("id", "application", "scope", "expires", "created")
    list_filter = ("application__kind",)
    search_fields = ("application__name", "application__client_id")
    list_select_related = ("application",)
    fields = ("application", "scope", "expires", "created")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        tokens_revoke(tokens=[obj])

    def delete_queryset(self, request, queryset):
        tokens_revoke(tokens=list(queryset.only("id", "token_checksum")))
