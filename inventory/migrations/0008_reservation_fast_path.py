"""The reservation fast path's two PostgreSQL functions (issue 19, ``inventory.services.fast``).

SQLite has none: the Python path runs there. The SQL lives in ``inventory/sql``; this migration
installs it as it is today (a change of the functions is a new migration that reads the files again).
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"
FILES = ("reserve_fast.sql", "write_finish.sql")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in FILES:
        schema_editor.execute((SQL / name).read_text())


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS inventory_reserve_fast(jsonb)")
    schema_editor.execute("DROP FUNCTION IF EXISTS inventory_write_finish(jsonb)")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_drop_redundant_indexes"),
        ("webhooks", "0008_delivery_plural_label"),
        ("api", "0004_job_run"),
        ("partners", "0006_api_client_labels"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
