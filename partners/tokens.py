"""OAuth access tokens: stored hashed, looked up by hash, cached briefly, revoked at once.

django-oauth-toolkit keeps the token in ``AccessToken.token`` and derives
``token_checksum = sha256(token)`` from that column whenever the row is saved. We store
``token = sha256(raw token)`` instead of the token itself (``AuditingValidator``), so the
checksum it derives, and every lookup, is ``sha256(sha256(raw))``: nothing in the database
(nor in Redis, whose keys use the checksum) can be replayed as a bearer token.

Resolving a token to its client is the first thing every API call does. The answer is
cached for ``TOKEN_CACHE_SECONDS`` (never past the token's expiry) in the shared cache, so
all processes see a revocation together: revoking writes a tombstone in place of the cached
entry, and a resolver that read the row just before the revocation cannot put it back
(entries are only ever added, never overwritten, except by a tombstone).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from oauth2_provider.models import AccessToken

from hotsauce.shared_redis import value_add, value_get, value_set, values_delete
from partners.models import ApiClient

_REVOKED = "revoked"


def token_digest(raw: str) -> str:
    """What ``AccessToken.token`` holds for a token: its SHA-256, never the token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def token_checksum(raw: str) -> str:
    """``AccessToken.token_checksum`` of a token (the toolkit hashes the stored column once more)."""
    return hashlib.sha256(token_digest(raw).encode()).hexdigest()


def _cache_name(checksum: str) -> str:
    return f"oauth-token:{checksum}"


@dataclass(frozen=True)
class TokenGrant:
    """What a valid bearer token stands for."""

    client: ApiClient
    scope: str
    expires: float  # epoch seconds
    token_id: int


def token_resolve(raw: str) -> TokenGrant | None:
    """The live grant behind a raw bearer token, or None (unknown, expired or revoked)."""
    checksum = token_checksum(raw)
    name = _cache_name(checksum)
    cached = value_get(name)
    if cached == _REVOKED:
        return None
    grant = cached
    if grant is None:
        # The client's secret hash stays out of the cache: nothing on this path reads it.
        token = (AccessToken.objects.select_related("application__supplier", "application__retail_partner")
                 .defer("token", "application__client_secret").filter(token_checksum=checksum).first())
        if token is None or token.application is None:
            return None
        grant = TokenGrant(client=token.application, scope=token.scope, expires=token.expires.timestamp(),
                           token_id=token.pk)
        ttl = min(settings.TOKEN_CACHE_SECONDS, int(grant.expires - time.time()))
        if ttl > 0:
            value_add(name, grant, ttl)
    if grant.expires <= time.time():
        return None
    return grant


def _tombstone(checksums: list[str]) -> None:
    # Outlives any cached entry and any resolver that read the row before it went.
    for checksum in checksums:
        value_set(_cache_name(checksum), _REVOKED, settings.TOKEN_CACHE_SECONDS + 5)


def tokens_revoke(*, tokens) -> int:
    """Delete these AccessToken rows and make every process refuse them from now on."""
    checksums = [token.token_checksum for token in tokens]
    if not checksums:
        return 0
    # Refused at once, and again at commit in case a resolver cached the row in between.
    _tombstone(checksums)
    AccessToken.objects.filter(token_checksum__in=checksums).delete()
    transaction.on_commit(partial(_tombstone, checksums))
    return len(checksums)


def client_tokens_forget(*, client: ApiClient) -> None:
    """Drop the cached copies of a client's tokens after its settings changed (allowlist, scopes)."""
    checksums = AccessToken.objects.filter(application=client).values_list("token_checksum", flat=True)
    values_delete([_cache_name(checksum) for checksum in checksums])
