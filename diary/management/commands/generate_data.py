"""Generate a large synthetic diary for benchmarks and load tests (see diary/synthetic.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from diary.models import Mission
from diary.synthetic import Sizes, generate


def sized_mission(value):
    slug, _, visits = value.partition(":")
    if not slug or not visits.isdigit():
        raise ValueError(value)
    return slug, int(visits)


def refresh_planner_statistics():
    """
    PostgreSQL plans from table statistics that autovacuum refreshes only some time after a
    bulk load: until then a page over tens of thousands of fresh rows may take seconds
    instead of milliseconds (seen on the organisation directory, 6.9 s against 0.5 s). What
    a DBA does after a bulk load, done here.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "Fill the database with a large, realistic, reproducible synthetic diary: missions "
        "(one in ten a draft), their days, visits (some undated, some untimed), organisations, "
        "people and agreements. Bulk inserts; runs on SQLite or PostgreSQL."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name in ["missions", "max_days", "visits_per_day", "organisations", "people"]:
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
            )
        parser.add_argument("--agreements", type=int, default=defaults.agreements)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--prefix", default="gen", help="Starts every generated slug (default: gen)."
        )
        parser.add_argument(
            "--sized-mission",
            action="append",
            default=[],
            type=sized_mission,
            metavar="SLUG:VISITS",
            help="Also make a published mission with exactly this many visits, e.g. big:10000.",
        )

    def handle(self, *args, **options):
        sizes = Sizes(**{name: options[name] for name in Sizes.__dataclass_fields__})
        problems = [
            f"--{name.replace('_', '-')} must be at least 1"
            for name in ["max_days", "organisations", "people"]
            if getattr(sizes, name) < 1
        ]
        problems += [
            f"--{name.replace('_', '-')} cannot be negative"
            for name in ["missions", "visits_per_day", "agreements"]
            if getattr(sizes, name) < 0
        ]
        if sizes.agreements and not (sizes.missions or options["sized_mission"]):
            problems.append("--agreements needs at least one mission")
        slugs = [slug for slug, _ in options["sized_mission"]]
        taken = Mission.objects.filter(slug__in=slugs).values_list("slug", flat=True)
        if taken:
            problems.append(f"missions already exist with slug {', '.join(sorted(taken))}")
        if Mission.objects.filter(slug__startswith=f"{options['prefix']}-").exists():
            problems.append(
                f"data with prefix “{options['prefix']}” was already generated: "
                "choose another --prefix"
            )
        if problems:
            raise CommandError("; ".join(problems))
        started = time.perf_counter()
        counts = generate(sizes, options["seed"], options["prefix"], options["sized_mission"])
        refresh_planner_statistics()
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated {summary} in {elapsed:.1f} s."))
