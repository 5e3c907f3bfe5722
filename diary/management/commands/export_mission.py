"""Write a mission (or every record, for a backup) as a JSON fixture with natural keys."""

from django.core.management.base import BaseCommand, CommandError

from diary.interchange.fixture_export import (
    collect_all_records,
    collect_mission_records,
    write_fixture,
)
from diary.models import Mission


class Command(BaseCommand):
    help = (
        "Export a mission with everything it refers to as a Django JSON fixture (natural keys, "
        "no database ids) that loads with `loaddata` or `import_mission`. With --all, export "
        "every diary record: a complete backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Mission slug(s).")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Every diary record, including those no mission refers to (for backups).",
        )
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="Write to FILE instead of standard output."
        )

    def handle(self, *args, slugs, all, output, **options):
        if all == bool(slugs):
            raise CommandError("Give one or more mission slugs, or --all (not both).")
        if all:
            records = collect_all_records()
        else:
            missions = Mission.objects.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(missions.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No mission with the slug(s): {', '.join(missing)}.")
            records = collect_mission_records(missions)
        if output:
            # newline="" keeps the bytes identical on every platform.
            with open(output, "w", encoding="utf-8", newline="") as stream:
                count = write_fixture(records, stream)
            self.stderr.write(f"Wrote {count} records to {output}.")
        else:
            write_fixture(records, self.stdout._out)
