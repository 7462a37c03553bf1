"""Events numbered by a PostgreSQL sequence with a visibility horizon instead of a counter row
locked through every emitting transaction (issue 19; ``webhooks.sequencing``)."""

from django.db import migrations, models


def sequence_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite keeps the counter row: one writer at a time anyway
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST((SELECT COALESCE(MAX(value), 0) FROM webhooks_eventcounter),"
                       " (SELECT COALESCE(MAX(sequence), 0) FROM webhooks_event))")
        start = cursor.fetchone()[0] + 1
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS webhooks_event_sequence_seq AS bigint START {start}")


def sequence_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM webhooks_event_sequence_seq")
        cursor.execute("UPDATE webhooks_eventcounter SET value = GREATEST(value, %s) WHERE id = 1",
                       [cursor.fetchone()[0]])
        cursor.execute("DROP SEQUENCE IF EXISTS webhooks_event_sequence_seq")


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0005_audience_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='horizon',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['horizon'], name='event_horizon'),
        ),
        migrations.RunPython(sequence_create, sequence_drop),
    ]
