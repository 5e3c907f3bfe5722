"""Load the demo mission: the Luxembourg Space Agency's economic mission to Japan, June 2024."""

import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from diary.models import Mission
from diary.publishing import publish
from diary.translation import in_fixture_language

DEMO_FIXTURE = "lsa-japan-mission-2024"


class Command(BaseCommand):
    help = (
        "Load the demo mission (LSA economic mission to Japan, 10–14 June 2024). "
        "Safe to run again: records are matched by UUID and updated, never duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            # The fixture's `title` is English (diary/translation.py), whatever is active.
            with in_fixture_language(deactivate=True):
                call_command("loaddata", DEMO_FIXTURE, verbosity=0)
            # Publishing is an act that records revision 1 (diary/publishing.py): the demo's
            # published missions are published so, once; loading again changes nothing.
            for mission in Mission.objects.published().filter(
                uuid__in=_fixture_missions(), revisions__isnull=True
            ):
                publish(mission)
        self.stdout.write(self.style.SUCCESS("Demo mission loaded: /missions/japan-2024/"))


def _fixture_missions():
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / f"{DEMO_FIXTURE}.json"
    records = json.loads(fixture.read_text(encoding="utf-8"))
    return [
        record["fields"]["uuid"]
        for record in records
        if record["model"] == "diary.mission" and "uuid" in record.get("fields", {})
    ]
