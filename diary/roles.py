"""
Staff roles, as Django groups. Migrations create and extend them; nothing else should.

- Editor: adds, changes and deletes all diary content; publishing is changing a mission's
  status, so an Editor publishes.
- Viewer: reads the admin, changes nothing.

A role is a group, so giving someone a role is adding them to the group (and ticking
"staff status", without which nobody enters the admin). A later migration that adds a
permission extends a role with `grant`, e.g. for a custom `export_mission` permission:

    def forwards(apps, schema_editor):
        roles.grant(apps, roles.EDITOR, [("mission", "export_mission")])

These functions take the migration's historical `apps`, never the live models, so they stay
valid however the models change later.
"""

EDITOR = "Editor"
VIEWER = "Viewer"

# The diary's models as of the migration that created the roles.
DIARY_MODELS = [
    "mission",
    "day",
    "visit",
    "organisation",
    "person",
    "agreement",
    "cooperationarea",
    "source",
]


def ensure_permissions(apps):
    """Permissions are normally made after all migrations; a role needs them now."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("diary")
    # A migration's app config is a stub create_permissions would skip as "no models".
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = None


def grant(apps, role, model_permissions):
    """Give `role` each (model, codename) in `model_permissions`, creating the group if new."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ensure_permissions(apps)
    group, _ = Group.objects.get_or_create(name=role)
    for model, codename in model_permissions:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="diary",
                content_type__model=model,
                codename=codename,
            )
        )


def every(actions, models=DIARY_MODELS):
    return [(model, f"{action}_{model}") for model in models for action in actions]
