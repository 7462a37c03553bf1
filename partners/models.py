from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from oauth2_provider.models import AbstractApplication

from partners.scopes import BRAND, KIND_SCOPES, RETAILER, SUPPLIER

# The partners' own codes are the public identifiers (SUP123, RETAIL456, Warehouse_A).
code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
    "Use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit.",
)


class Supplier(models.Model):
    class Kind(models.TextChoices):
        CO_PACKER = "co_packer", "Co-packer (finished sauce)"
        INGREDIENT = "ingredient", "Ingredient supplier"
        PACKAGING = "packaging", "Bottle and packaging supplier"

    code = models.CharField("supplier id", max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CO_PACKER)
    contact_email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class RetailPartner(models.Model):
    class Channel(models.TextChoices):
        GROCERY = "grocery", "Grocery chain"
        SPECIALTY = "specialty", "Specialty food store"
        ONLINE = "online", "Online shop"
        DIRECT = "direct", "Direct to consumer"

    code = models.CharField("retail partner id", max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.GROCERY)
    minimum_shelf_life_days = models.PositiveIntegerField(
        default=0, help_text="Units must arrive with at least this many days before expiry."
    )
    contact_email = models.EmailField(blank=True)
    attributes = models.JSONField(default=dict, blank=True,
                                  help_text="Brand-defined custom attributes (docs/attributes.md)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class TradingRelationship(models.Model):
    """Which retail partner may see and order a supplier's stock."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="relationships")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="relationships")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "retail_partner"], name="uniq_trading_relationship"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} ↔ {self.retail_partner.code}{'' if self.active else ' (inactive)'}"


class ApiClient(AbstractApplication):
    """An API client: an OAuth application with a kind, a partner and the scopes it may hold."""

    class Kind(models.TextChoices):
        SUPPLIER = SUPPLIER, "Supplier"
        RETAILER = RETAILER, "Retail partner"
        BRAND = BRAND, "Brand system"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="clients")
    retail_partner = models.ForeignKey(
        RetailPartner, null=True, blank=True, on_delete=models.PROTECT, related_name="clients"
    )
    allowed_scopes = models.TextField(help_text="Space-separated scopes this client may be granted.")
    allowed_ips = models.TextField(
        blank=True, help_text="Optional comma-separated CIDRs; calls from elsewhere are refused and logged."
    )
    rate_limit = models.CharField(
        max_length=32, blank=True, help_text="Overrides API_RATE_LIMIT for this client, e.g. '1200/min'."
    )
    is_active = models.BooleanField(default=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        constraints = [
            models.CheckConstraint(
                name="api_client_partner_matches_kind",
                condition=(
                    Q(kind=SUPPLIER, supplier__isnull=False, retail_partner__isnull=True)
                    | Q(kind=RETAILER, supplier__isnull=True, retail_partner__isnull=False)
                    | Q(kind=BRAND, supplier__isnull=True, retail_partner__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        partner = f"{self.kind} {self.partner_code or ''}".strip()
        return f"{self.name} ({partner})" if self.name else partner

    @property
    def display_name(self) -> str:
        """How people see the client (ledger, admin, audit): its name, else its kind and partner.

        Never the raw client id: it is a credential's public half, meaningless to a reader.
        """
        return self.name or f"{self.kind} {self.partner_code or 'brand'}"

    def clean(self):
        # The admin and api_client_create both pass through here: a client can never be
        # given a scope its kind may not hold, a malformed allowlist or a bad rate.
        super().clean()
        import ipaddress

        from hotsauce.api.throttling import parse_rate
        from partners.scopes import SCOPES, invalid_scopes_for, parse_scopes

        errors = {}
        requested = parse_scopes(self.allowed_scopes)
        unknown = sorted(s for s in requested if s not in SCOPES)
        if unknown:
            errors["allowed_scopes"] = f"Unknown scopes: {' '.join(unknown)}."
        elif self.kind in KIND_SCOPES and (bad := invalid_scopes_for(self.kind, requested)):
            errors["allowed_scopes"] = f"A {self.kind} client may not hold: {' '.join(bad)}."
        for item in (self.allowed_ips or "").split(","):
            try:
                if item.strip():
                    ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                errors["allowed_ips"] = f"{item.strip()!r} is not an IP address or CIDR."
        if self.rate_limit:
            try:
                parse_rate(self.rate_limit)
            except ValueError as exc:
                errors["rate_limit"] = str(exc)
        if self.kind == SUPPLIER and (not self.supplier_id or self.retail_partner_id):
            errors["supplier"] = "A supplier client needs a supplier and no retail partner."
        elif self.kind == RETAILER and (not self.retail_partner_id or self.supplier_id):
            errors["retail_partner"] = "A retailer client needs a retail partner and no supplier."
        elif self.kind == BRAND and (self.supplier_id or self.retail_partner_id):
            errors["kind"] = "A brand client has no partner."
        if errors:
            raise ValidationError(errors)

    @property
    def partner_code(self) -> str | None:
        if self.kind == SUPPLIER and self.supplier_id:
            return self.supplier.code
        if self.kind == RETAILER and self.retail_partner_id:
            return self.retail_partner.code
        return None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.allowed_scopes.split()) & KIND_SCOPES[self.kind]


class ApiKey(models.Model):
    """A server-to-server credential for an API client; only a hash of the key is stored."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    allowed_ips = models.TextField(blank=True, help_text="Optional comma-separated CIDRs.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.client})"


class AuthAuditLog(models.Model):
    class Event(models.TextChoices):
        TOKEN_ISSUED = "token_issued", "Token issued"
        TOKEN_REFUSED = "token_refused", "Token refused"
        TOKEN_REVOKED = "token_revoked", "Token revoked"
        API_KEY_USED = "api_key_used", "API key accepted"
        API_KEY_REFUSED = "api_key_refused", "API key refused"
        IP_REFUSED = "ip_refused", "Call from a disallowed IP"
        AUTH_FAILED = "auth_failed", "Invalid credentials"
        PERMISSION_DENIED = "permission_denied", "Permission denied"
        STAFF_STOCK_CHANGE = "staff_stock_change", "Staff stock change"
        SECRET_SHOWN = "secret_shown", "Credential created"
        ADMIN_SIGN_IN = "admin_sign_in", "Admin sign-in"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    event = models.CharField(max_length=32, choices=Event.choices, db_index=True)
    success = models.BooleanField()
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL)
    client_identifier = models.CharField(max_length=255, blank=True, help_text="Client id or key prefix as sent")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "auth audit entry"
        verbose_name_plural = "auth audit log"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.client_identifier}"
