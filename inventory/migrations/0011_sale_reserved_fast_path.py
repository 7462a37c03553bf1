"""A sale naming a reservation on the fast path (issue 19): ``inventory/sql/sell_reserved_fast_v1.sql``, PostgreSQL only.

The file is versioned and never edited once released: what this migration installs stays what it
installed. A changed function is a new ``sell_reserved_fast_v2.sql`` and a new migration.
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "sell_reserved_fast_v1.sql"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS inventory_sell_reserved_fast(jsonb)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_receipt_fast_path")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
