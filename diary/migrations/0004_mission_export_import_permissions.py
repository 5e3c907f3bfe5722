"""Permissions to export and import mission fixtures; Editors get both (see diary/roles.py)."""

from django.db import migrations

from diary import roles

FIXTURE_PERMISSIONS = [("mission", "export_mission"), ("mission", "import_mission")]


def grant_editors(apps, schema_editor):
    # An Editor already adds, changes and deletes every record an import touches. Viewers
    # get neither: they read the admin, and a fixture carries drafts out in bulk.
    roles.grant(apps, roles.EDITOR, FIXTURE_PERMISSIONS)


def revoke_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [codename for _model, codename in FIXTURE_PERMISSIONS]
    for group in Group.objects.filter(name=roles.EDITOR):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="diary", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0003_staff_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="mission",
            options={
                "ordering": ["-start_date", "title"],
                "permissions": [
                    ("export_mission", "Can export missions as JSON fixtures"),
                    ("import_mission", "Can import missions from JSON fixtures"),
                ],
                "verbose_name": "mission",
                "verbose_name_plural": "missions",
            },
        ),
        migrations.RunPython(grant_editors, revoke_editors),
    ]
