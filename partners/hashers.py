"""How OAuth client secrets are hashed at rest."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    """Salted PBKDF2-SHA256 with few rounds, for machine-generated client secrets only.

    A slow hash protects guessable human passwords. A client secret is 320 random bits
    (``secrets.token_urlsafe(40)``): no hash speed makes it guessable, while Django's
    1,000,000 rounds cost 1.3 s of CPU per token request on the 2-core host, so a client
    asking for 48 tokens at once stalled every other tenant for seconds (issue 12). Staff
    passwords keep Django's default hasher.
    """

    algorithm = "client_secret_pbkdf2"
    iterations = 1000
