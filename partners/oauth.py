import base64
from urllib.parse import unquote_plus

from django.contrib.auth.hashers import make_password
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from partners.hashers import ClientSecretHasher
from partners.scopes import SCOPES
from partners.tokens import token_checksum, token_digest, tokens_revoke


class ClientScopes(BaseScopes):
    """A token may carry only scopes its client is allowed (and its kind permits)."""

    def get_all_scopes(self):
        return dict(SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(SCOPES)
        if not application.is_active:
            return []
        return sorted(application.scope_set)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)


class ForeignTokenRevocation(Exception):
    """A client asked to revoke a token issued to another client (answered by ``RevokeTokenView``)."""


class AuditingValidator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        ok = super().authenticate_client(request, *args, **kwargs)
        # A deactivated client keeps its secret but may not get new tokens.
        if ok and not getattr(request.client, "is_active", True):
            return False
        if ok:
            self._rehash_secret(request)
        return ok

    def _rehash_secret(self, request) -> None:
        """Move a secret stored under the old slow hasher to the client-secret hasher, once."""
        stored = request.client.client_secret or ""
        if stored.startswith(f"{ClientSecretHasher.algorithm}$"):
            return
        secret = getattr(request, "client_secret", None)
        if not secret:
            try:
                decoded = base64.b64decode(self._extract_basic_auth(request) or "").decode()
                secret = unquote_plus(decoded.split(":", 1)[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                return
        if not self._check_secret(secret, stored):
            return
        hashed = make_password(secret, hasher=ClientSecretHasher.algorithm)
        type(request.client).objects.filter(pk=request.client.pk, client_secret=stored).update(client_secret=hashed)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # Only the token's hash is stored (partners.tokens); the client gets the token itself.
        return AccessToken.objects.create(
            user=request.user, scope=token["scope"], expires=expires, token=token_digest(token["access_token"]),
            application=request.client, source_refresh_token=source_refresh_token)

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        """RFC 7009: an unknown token is a success; a token issued to another client is refused."""
        found = list(AccessToken.objects.filter(token_checksum=token_checksum(token or ""))
                     .only("id", "application_id", "token_checksum"))
        if not found:
            return
        if found[0].application_id != request.client.pk:
            raise ForeignTokenRevocation
        tokens_revoke(tokens=found)
