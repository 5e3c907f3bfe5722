"""Create the Editor and Viewer staff roles (see diary/roles.py to extend them)."""

from django.db import migrations

from diary import roles

EDITOR_PERMISSIONS = roles.every(["add", "change", "delete", "view"])
VIEWER_PERMISSIONS = roles.every(["view"])


def create_roles(apps, schema_editor):
    roles.grant(apps, roles.EDITOR, EDITOR_PERMISSIONS)
    roles.grant(apps, roles.VIEWER, VIEWER_PERMISSIONS)


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[roles.EDITOR, roles.VIEWER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("diary", "0002_history_and_text_limits"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
