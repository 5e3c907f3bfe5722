"""
Does export_mission's memory stay flat as a mission grows?

Builds missions of growing size in a throwaway SQLite database, exports each to a file and
prints the peak Python memory the export allocated (tracemalloc), next to the file size.
A streamed export's peak grows far slower than its output; a whole-document export's grows
with it.

    .venv/bin/python bench/export_memory.py [VISITS ...]     # default: 500 2000 8000
"""

import datetime
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="export-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from diary.interchange.fixture_export import collect_mission_records, write_fixture  # noqa: E402
from diary.models import Day, Mission, Organisation, Person, Visit  # noqa: E402


def build_mission(visit_count: int) -> Mission:
    slug = f"bench-{visit_count}"
    mission = Mission.objects.create(
        title=f"Benchmark mission ({visit_count} visits)",
        slug=slug,
        host_country="JP",
        timezone="Asia/Tokyo",
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2024, 12, 31),
        status=Mission.Status.PUBLISHED,
    )
    days = Day.objects.bulk_create(
        Day(mission=mission, date=datetime.date(2024, 1, 1) + datetime.timedelta(days=n))
        for n in range(366)
    )
    organisation = Organisation.objects.create(
        name=f"宇宙機関 {slug}", slug=f"org-{slug}", native_name="宇宙機関", native_language="ja"
    )
    person = Person.objects.create(name=f"Person {slug}", slug=f"person-{slug}")
    visits = Visit.objects.bulk_create(
        Visit(
            mission=mission,
            day=days[n % len(days)] if n % 5 else None,
            title=f"Visit {n} — 訪問",
            slug=f"visit-{n}",
            body="A paragraph of account. " * 20,
        )
        for n in range(visit_count)
    )
    Visit.organisations.through.objects.bulk_create(
        Visit.organisations.through(visit=v, organisation=organisation) for v in visits
    )
    Visit.people.through.objects.bulk_create(
        Visit.people.through(visit=v, person=person) for v in visits
    )
    return mission


def main(sizes):
    call_command("migrate", verbosity=0)
    print(f"{'visits':>8} {'records':>8} {'file MB':>8} {'peak MB':>8} {'seconds':>8}")
    for size in sizes:
        mission = build_mission(size)
        output = Path(workdir) / f"{mission.slug}.json"
        tracemalloc.start()
        started = time.perf_counter()
        with output.open("w", encoding="utf-8", newline="") as stream:
            count = write_fixture(
                collect_mission_records(Mission.objects.filter(pk=mission.pk)), stream
            )
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{size:>8} {count:>8} {output.stat().st_size / 1e6:>8.1f} "
            f"{peak / 1e6:>8.1f} {elapsed:>8.1f}"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [500, 2000, 8000])
