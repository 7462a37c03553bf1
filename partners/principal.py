"""Who is calling: an API client (OAuth token or API key) or a staff user.

Client-credentials tokens have no user, so permissions, throttles, idempotency and audit
are keyed on the principal, never on ``request.user`` of Django's auth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from partners.scopes import BRAND, RETAILER, SUPPLIER


@dataclass(frozen=True, eq=False)
class Principal:
    kind: str
    scopes: frozenset[str]
    supplier_id: int | None = None
    retail_partner_id: int | None = None
    client: object | None = None  # partners.models.ApiClient
    user: object | None = None  # a staff django.contrib.auth user
    credential: str = "oauth"  # oauth | api_key | session
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def is_staff(self) -> bool:
        return self.user is not None

    @property
    def is_brand(self) -> bool:
        return self.kind == BRAND

    @property
    def is_supplier(self) -> bool:
        return self.kind == SUPPLIER

    @property
    def is_retailer(self) -> bool:
        return self.kind == RETAILER

    @property
    def key(self) -> str:
        """Stable identity for rate limits and idempotency scopes."""
        if self.client is not None:
            return f"client:{self.client.pk}"
        return f"user:{self.user.pk}"

    @property
    def pk(self):  # some libraries expect request.user.pk
        return self.key

    def __str__(self) -> str:
        if self.client is not None:
            return f"{self.kind} client {self.client.client_id}"
        return f"staff {self.user}"

    @classmethod
    def for_client(cls, client, scopes: frozenset[str], credential: str) -> Principal:
        return cls(
            kind=client.kind,
            scopes=frozenset(scopes) & client.scope_set,
            supplier_id=client.supplier_id,
            retail_partner_id=client.retail_partner_id,
            client=client,
            credential=credential,
        )

    @classmethod
    def for_staff(cls, user) -> Principal:
        from partners.staff_roles import staff_scopes

        # Reads for every staff member; writes only as the staff roles allow.
        return cls(kind=BRAND, scopes=staff_scopes(user), user=user, credential="session")
