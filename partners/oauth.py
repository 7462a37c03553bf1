from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from partners.scopes import SCOPES


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


class AuditingValidator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        ok = super().authenticate_client(request, *args, **kwargs)
        # A deactivated client keeps its secret but may not get new tokens.
        if ok and not getattr(request.client, "is_active", True):
            return False
        return ok
