"""
The staff roles cover the models of 0010 (agreement kinds, signatories, texts): Editors add,
change, delete and view them, Viewers view them, as for every other diary model.

Numbered 0011 but placed after 0012_places so the chain stays linear (both were written at
the same time).
"""

from django.db import migrations

from diary import roles

MODELS = ["agreementkind", "signatory", "agreementtext"]


def forwards(apps, schema_editor):
    roles.grant(apps, roles.EDITOR, roles.every(["add", "change", "delete", "view"], MODELS))
    roles.grant(apps, roles.VIEWER, roles.every(["view"], MODELS))


class Migration(migrations.Migration):
    dependencies = [("diary", "0012_places")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
