"""Access tokens issued before this release keep working, but their plaintext leaves the table.

``AccessToken.token`` now holds sha256(token) and ``token_checksum`` sha256 of that
(partners/tokens.py). There is no way back: reversing leaves the hashes, and clients simply
ask for new tokens.
"""

import hashlib

from django.db import migrations


def hash_stored_tokens(apps, schema_editor):
    AccessToken = apps.get_model("oauth2_provider", "AccessToken")
    # Run before the new code serves (migrate, then start): every row is still plaintext then.
    for pk, token in AccessToken.objects.values_list("pk", "token").iterator():
        digest = hashlib.sha256(token.encode()).hexdigest()
        AccessToken.objects.filter(pk=pk).update(token=digest,
                                                 token_checksum=hashlib.sha256(digest.encode()).hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_retailpartner_attributes"),
        ("oauth2_provider", "0012_add_token_checksum"),
    ]

    operations = [migrations.RunPython(hash_stored_tokens, migrations.RunPython.noop, elidable=True)]
