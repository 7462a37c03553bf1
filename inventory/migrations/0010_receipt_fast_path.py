"""Receipt on the fast path (issue 19): ``inventory/sql/receive_fast_v1.sql``, PostgreSQL only.

The file is versioned and never edited once released: what this migration installs stays what it
installed. A changed function is a new ``receive_fast_v2.sql`` and a new migration.
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "receive_fast_v1.sql"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS inventory_receive_fast(jsonb)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0009_release_sale_fast_path"), ("traceability", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
