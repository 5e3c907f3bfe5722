"""Import a JSON fixture (as written by export_mission) safely: all of it, or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diary.interchange.fixture_import import FixtureImportError, import_fixture


class Command(BaseCommand):
    help = (
        "Import a mission fixture. The whole file is validated first; on any problem nothing "
        "is written and each problem is reported with the record and field. Records are "
        "matched by UUID: importing again updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="A JSON fixture with natural keys.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and report what would be created, updated and left unchanged.",
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            report = import_fixture(content, dry_run=dry_run)
        except FixtureImportError as error:
            raise CommandError(f"Nothing was imported from {file}:\n{error}") from None
        heading = "Dry run — nothing written. Would import:" if dry_run else f"Imported {file}:"
        self.stdout.write(heading)
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Done."))
