"""SQLite under several workers at once: writers queue, readers read, nobody sees "locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITERS, READERS, WRITES_EACH, READS_EACH = 4, 2, 40, 150


def run(args, environment):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


@pytest.fixture
def sqlite_file(tmp_path):
    """A migrated file database (not the suite's own), with one mission every writer edits."""
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"}
    run(["manage.py", "migrate", "--noinput", "-v", "0"], environment)
    create = (
        "import django, datetime; django.setup();"
        "from diary.models import Mission;"
        "Mission.objects.create(title='Contended', slug='contended', host_country='JP',"
        " start_date=datetime.date(2024, 6, 10), end_date=datetime.date(2024, 6, 14))"
    )
    run(["-c", create], {**environment, "DJANGO_SETTINGS_MODULE": "missiontracker.settings"})
    return environment


def test_concurrent_writers_and_readers_on_sqlite_meet_no_locked_database(sqlite_file):
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.sqlite_worker", role, str(count), f"{role}{n}"],
            cwd=ROOT,
            env=sqlite_file,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role, count, number in (("write", WRITES_EACH, WRITERS), ("read", READS_EACH, READERS))
        for n in range(number)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    errors = [error for report in reports for error in report["errors"]]
    assert errors == []
    assert {report["journal_mode"] for report in reports} == {"wal"}
    assert sum(r["done"] for r in reports if r["role"] == "write") == WRITERS * WRITES_EACH
    assert sum(r["done"] for r in reports if r["role"] == "read") == READERS * READS_EACH

    # Every committed write is there: one area per write, none lost, none doubled.
    count = run(
        [
            "-c",
            "import django; django.setup();"
            "from diary.models import CooperationArea; print(CooperationArea.objects.count())",
        ],
        {**sqlite_file, "DJANGO_SETTINGS_MODULE": "missiontracker.settings"},
    )
    assert int(count.stdout) == WRITERS * WRITES_EACH
