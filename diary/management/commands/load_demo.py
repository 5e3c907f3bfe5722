"""Load the demo mission: the Luxembourg Space Agency's economic mission to Japan, June 2024."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_FIXTURE = "lsa-japan-mission-2024"


class Command(BaseCommand):
    help = (
        "Load the demo mission (LSA economic mission to Japan, 10–14 June 2024). "
        "Safe to run again: records are matched by UUID and updated, never duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            call_command("loaddata", DEMO_FIXTURE, verbosity=0)
        self.stdout.write(self.style.SUCCESS("Demo mission loaded: /missions/japan-2024/"))
