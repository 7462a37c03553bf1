"""The SSCC serial sequence: a PostgreSQL SEQUENCE; on SQLite a one-column AUTOINCREMENT table.

Both hand out each value once, even to concurrent transactions and across rollbacks, so two
packages never share an SSCC (gaps are harmless).
"""

from django.db import migrations

SEQUENCE = "edi_sscc_serial"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START 1")
    else:
        schema_editor.execute(f"CREATE TABLE IF NOT EXISTS {SEQUENCE} (id INTEGER PRIMARY KEY AUTOINCREMENT)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
    else:
        schema_editor.execute(f"DROP TABLE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("edi", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
