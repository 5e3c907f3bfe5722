"""Helpers for tests that move whole missions: snapshot the diary, empty it, export it."""

import io
import json

from django.core.management import call_command

from diary.interchange.fixture_export import EXPORT_ORDER
from diary.models import Organisation


def database_state():
    """Every diary row and many-to-many link, as plain values: equal means untouched."""
    state = {}
    for model in EXPORT_ORDER:
        state[model._meta.label] = sorted(map(repr, model.objects.order_by("pk").values_list()))
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            state[through._meta.label] = sorted(map(repr, through.objects.values_list()))
    return state


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
