from django.db import migrations


def create_staff_groups(apps, schema_editor):
    from partners.staff_roles import staff_groups_sync

    staff_groups_sync(apps=apps, using=schema_editor.connection.alias)


def remove_staff_groups(apps, schema_editor):
    from partners.staff_roles import ROLES

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0001_initial"),
        ("partners", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_staff_groups, remove_staff_groups)]
