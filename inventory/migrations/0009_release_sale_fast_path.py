"""Release and sale on the fast path (issue 19): ``inventory/sql/release_sell_fast.sql``, PostgreSQL only."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "release_sell_fast.sql"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS inventory_release_fast(jsonb)")
        schema_editor.execute("DROP FUNCTION IF EXISTS inventory_sell_fast(jsonb)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_reservation_fast_path")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
