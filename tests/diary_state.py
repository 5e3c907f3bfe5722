"""Helpers for tests that move whole missions: snapshot the diary, empty it, export it."""

import io
import json

from django.apps import apps
from django.core.management import call_command

from diary.interchange.fixture_export import EXPORT_ORDER
from diary.models import Organisation


def database_state():
    """Every row of every diary table — content, links and audit history — as plain values:
    equal means untouched."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for model in apps.get_app_config("diary").get_models(include_auto_created=True)
    }


def content_counts():
    """How many records and many-to-many links of each kind the diary holds."""
    counts = {}
    for model in EXPORT_ORDER:
        counts[model._meta.label] = model.objects.count()
        for field in model._meta.many_to_many:
            counts[f"{model._meta.label}.{field.name}"] = field.remote_field.through.objects.count()
    return counts


def empty_diary():
    """Delete every diary row, children before what they point to, as on a fresh instance."""
    Organisation.objects.update(parent=None)
    for model in reversed(EXPORT_ORDER):
        model.objects.all().delete()
    assert all(not model.objects.exists() for model in EXPORT_ORDER)


def export_bytes(path, *slugs):
    """export_mission to a file (--all when no slug is given) and return its bytes."""
    arguments = slugs or ["--all"]
    call_command("export_mission", *arguments, output=str(path), stderr=io.StringIO())
    return path.read_bytes()


def export_records(path, *slugs):
    return json.loads(export_bytes(path, *slugs))
