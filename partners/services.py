from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken

from hotsauce.errors import InvalidState, NotFound, ValidationFailed
from partners.models import ApiClient, ApiKey, AuthAuditLog, RetailPartner, Supplier, TradingRelationship
from partners.scopes import BRAND, KIND_SCOPES, KINDS, RETAILER, SUPPLIER, invalid_scopes_for, parse_scopes
from partners.tokens import tokens_revoke

API_KEY_PREFIX = "hsk_"
# hsk_<12 hex: public prefix>_<43 url-safe chars: the secret>
_API_KEY_SHAPE = re.compile(r"^hsk_([0-9a-f]{12})_[A-Za-z0-9_\-]{20,128}$")


# --- audit ----------------------------------------------------------------------------


def audit_record(*, event: str, success: bool, client: ApiClient | None = None, client_identifier: str = "",
                 user=None, ip: str | None = None, method: str = "", path: str = "", detail: str = "") -> None:
    # Refusals are recorded before any of the request's own work starts (authentication and
    # permission checks run outside the view's transaction), so a rolled-back request never
    # takes its audit entry with it. The savepoint only keeps a failed insert from poisoning
    # an outer transaction.
    try:
        ip = str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        ip = None
    with transaction.atomic(durable=False):
        AuthAuditLog.objects.create(
            event=event, success=success, client=client,
            client_identifier=(client_identifier or (client.client_id if client else ""))[:255],
            user=user if getattr(user, "pk", None) and not isinstance(user.pk, str) else None,
            ip=ip, method=method[:10], path=path[:500], detail=detail[:500],
        )


# --- IP allowlists --------------------------------------------------------------------


def parse_cidrs(raw: str | list[str] | None) -> list[ipaddress._BaseNetwork]:
    items = raw if isinstance(raw, list) else (raw or "").split(",")
    networks = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValidationFailed.for_field("allowedIps", f"{item!r} is not an IP address or CIDR.") from None
    return networks


def ip_allowed(ip: str | None, allowlist: str) -> bool:
    networks = parse_cidrs(allowlist)
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


# --- API clients and keys -------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_client_create(*, kind: str, partner_code: str | None = None, scopes: list[str] | None = None,
                      name: str = "", with_api_key: bool = False, allowed_ips: str = "",
                      expires_at: datetime | None = None) -> tuple[ApiClient, dict]:
    """Create a client; return it and its credentials, which are shown this once only."""
    if kind not in KINDS:
        raise ValidationFailed.for_field("kind", f"Must be one of {', '.join(KINDS)}.")
    supplier = retail_partner = None
    if kind == SUPPLIER:
        supplier = Supplier.objects.filter(code=partner_code).first() if partner_code else None
        if supplier is None:
            raise ValidationFailed.for_field("partner", f"No supplier {partner_code!r}; a supplier client needs one.")
    elif kind == RETAILER:
        retail_partner = RetailPartner.objects.filter(code=partner_code).first() if partner_code else None
        if retail_partner is None:
            raise ValidationFailed.for_field(
                "partner", f"No retail partner {partner_code!r}; a retailer client needs one.")
    elif partner_code:
        raise ValidationFailed.for_field("partner", "A brand client has no partner.")
    requested = parse_scopes(" ".join(scopes)) if scopes else sorted(KIND_SCOPES[kind])
    bad = invalid_scopes_for(kind, requested)
    if bad:
        raise ValidationFailed.for_field("scopes", f"A {kind} client may not hold: {' '.join(bad)}.")
    parse_cidrs(allowed_ips)
    secret = secrets.token_urlsafe(40)
    client = ApiClient(
        name=name or f"{kind} {partner_code or 'brand'}",
        kind=kind,
        supplier=supplier,
        retail_partner=retail_partner,
        allowed_scopes=" ".join(sorted(set(requested))),
        client_type=ApiClient.CLIENT_CONFIDENTIAL,
        authorization_grant_type=ApiClient.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        allowed_ips="" if with_api_key else allowed_ips,
    )
    client.full_clean(exclude=["client_secret", "user", "redirect_uris"])
    client.save()
    creds = {
        "kind": kind,
        "partnerId": partner_code if kind != BRAND else None,
        "clientId": client.client_id,
        "scopes": sorted(set(requested)),
    }
    if with_api_key:
        key, _ = api_key_create(client=client, allowed_ips=allowed_ips, expires_at=expires_at)
        creds["apiKey"] = key
    else:
        creds["clientSecret"] = secret
    return client, creds


def api_key_create(*, client: ApiClient, name: str = "", allowed_ips: str = "",
                   expires_at: datetime | None = None) -> tuple[str, ApiKey]:
    parse_cidrs(allowed_ips)
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        client=client, prefix=prefix, key_hash=_hash_key(key), name=name,
        allowed_ips=allowed_ips, expires_at=expires_at,
    )
    return key, api_key


def api_key_prefix(raw: str) -> str | None:
    """The public, loggable part of a presented key (``hsk_<prefix>``), if it has our shape."""
    match = _API_KEY_SHAPE.match(raw or "")
    return f"{API_KEY_PREFIX}{match.group(1)}" if match else None


def api_key_lookup(raw: str) -> ApiKey | None:
    """The key this string is (live, revoked or expired: the caller decides); constant-time on the secret."""
    match = _API_KEY_SHAPE.match(raw or "")
    if not match:
        return None
    api_key = ApiKey.objects.select_related("client", "client__supplier", "client__retail_partner").filter(
        prefix=match.group(1)).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(raw)):
        return None
    return api_key


def api_key_touch(*, api_key: ApiKey, now: datetime, every_seconds: int = 60) -> bool:
    """Record that the key was used; True at most once a minute per key (for the audit log).

    A conditional UPDATE rather than a write per call: a busy integration must not turn every
    read into a row update, and of two concurrent calls only one wins the claim.
    """
    cutoff = now - timedelta(seconds=every_seconds)
    return bool(ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff)).update(last_used_at=now))


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_client_deactivate(*, client: ApiClient) -> None:
    with transaction.atomic():
        ApiClient.objects.filter(pk=client.pk).update(is_active=False)
        tokens_revoke(tokens=list(AccessToken.objects.filter(application=client).only("id", "token_checksum")))
        ApiKey.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- directory ------------------------------------------------------------------------


def supplier_create(*, code: str, name: str, **fields) -> Supplier:
    if Supplier.objects.filter(code=code).exists():
        raise InvalidState.for_field("supplierId", f"Supplier {code} already exists.")
    supplier = Supplier(code=code, name=name, **fields)
    supplier.full_clean()
    supplier.save()
    return supplier


def retail_partner_create(*, code: str, name: str, **fields) -> RetailPartner:
    if RetailPartner.objects.filter(code=code).exists():
        raise InvalidState.for_field("retailPartnerId", f"Retail partner {code} already exists.")
    partner = RetailPartner(code=code, name=name, **fields)
    partner.full_clean()
    partner.save()
    return partner


def trading_relationship_create(*, supplier_code: str, retail_partner_code: str,
                                active: bool = True) -> TradingRelationship:
    supplier = Supplier.objects.filter(code=supplier_code).first()
    if supplier is None:
        raise NotFound.for_field("supplierId", f"No supplier {supplier_code}.")
    partner = RetailPartner.objects.filter(code=retail_partner_code).first()
    if partner is None:
        raise NotFound.for_field("retailPartnerId", f"No retail partner {retail_partner_code}.")
    relationship, created = TradingRelationship.objects.get_or_create(
        supplier=supplier, retail_partner=partner, defaults={"active": active})
    if not created:
        raise InvalidState.for_field(
            "retailPartnerId", f"{supplier_code} and {retail_partner_code} already have a relationship "
            f"(id {relationship.pk}); PATCH it instead.")
    return relationship


def trading_relationship_update(*, relationship_id: int, active: bool | None) -> TradingRelationship:
    relationship = TradingRelationship.objects.filter(pk=relationship_id).first()
    if relationship is None:
        raise NotFound(f"No trading relationship {relationship_id}.")
    if active is None or active == relationship.active:
        return relationship
    relationship.active = active
    relationship.save(update_fields=["active", "updated_at"])
    return relationship
