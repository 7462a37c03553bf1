"""The reservation fast path's two PostgreSQL functions (issue 19, ``inventory.services.fast``).

SQLite has none: the Python path runs there. The SQL lives in ``inventory/sql``; this migration
installs it as it is today (a change of the functions is a new migration that reads the files again).
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"
FILES = ("fast_common.sql", "reserve_fast.sql", "write_finish.sql")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in FILES:
        schema_editor.execute((SQL / name).read_text())


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for signature in ("inventory_reserve_fast(jsonb)", "inventory_write_finish(jsonb)", "inventory_fast_lock(jsonb)",
                      "inventory_fast_retailers(bigint)", "inventory_fast_version(bigint, timestamptz)",
                      "inventory_fast_ledger(jsonb, jsonb, text, bigint, integer, integer, integer, bigint, bigint,"
                      " text, bigint, text)", "inventory_fast_lots(jsonb, timestamptz)"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {signature}")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_drop_redundant_indexes"),
        ("webhooks", "0008_delivery_plural_label"),
        ("api", "0004_job_run"),
        ("partners", "0006_api_client_labels"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
