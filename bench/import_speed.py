"""
How fast does import_mission go, and how long does it hold the database?

Generates a synthetic mission with `manage.py generate_data` in a scratch database, exports
it with `export_mission` (about 15,000 records for the default 11,000 visits: the visits, the
mission's days and agreements, and the organisations and people they name), then, in a fresh
migrated database, times:

- `import_fixture(..., dry_run=True)` into the empty database (the admin preview),
- the real import into the empty database,
- with --again, a dry run and a real import of the same file again (every record unchanged),

each in its own process, and prints records per second. SQLite always; PostgreSQL too when
--postgresql is given (databases named import_bench_* on 127.0.0.1, or --database-prefix, created and dropped here).

    .venv/bin/python bench/import_speed.py [--visits 11000] [--postgresql] [--only-dry-run] [--again]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"

TIMED = """
import json, sys, time
import django
django.setup()
from diary.interchange.fixture_import import import_fixture
content = open(sys.argv[1], "rb").read()
started, cpu = time.perf_counter(), time.process_time()
report = import_fixture(content, dry_run=sys.argv[2] == "dry")
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
records = sum(sum(c.values()) for c in (report.created, report.updated, report.unchanged))
print(json.dumps({"seconds": elapsed, "cpu": cpu, "records": records, "lines": report.lines()}))
"""


def run(database_url, *args, capture=True):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "missiontracker.settings",
        # A benchmark import may take long on the old code; the server's limit is for requests.
        "DATABASE_STATEMENT_TIMEOUT_MS": "3600000",
    }
    result = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=capture, text=True, check=False
    )
    if result.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def manage(database_url, *args):
    return run(database_url, "manage.py", *args)


def psql(command):
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", command],
        check=True,
        capture_output=True,
    )


def fresh(kind, name, workdir):
    if kind == "sqlite":
        path = Path(workdir) / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        psql(f"DROP DATABASE IF EXISTS {name}")
        psql(f"CREATE DATABASE {name}")
        url = f"{PG}/{name}"
    manage(url, "migrate", "--verbosity", "0")
    return url


def timed_import(url, fixture, mode):
    return json.loads(run(url, "-c", TIMED, str(fixture), mode).strip().splitlines()[-1])


def bench(kind, visits, workdir, only_dry_run, prefix, again):
    source = fresh(kind, f"{prefix}_source", workdir)
    started = time.perf_counter()
    manage(
        source,
        "generate_data",
        "--missions=0",
        "--organisations=1500",
        "--people=2400",
        "--agreements=300",
        "--max-days=30",
        f"--sized-mission=bench:{visits}",
    )
    fixture = Path(workdir) / f"bench-{kind}.json"
    manage(source, "export_mission", "bench", "--output", str(fixture))
    print(
        f"{kind}: fixture {fixture.stat().st_size / 1e6:.1f} MB, "
        f"made in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    target = fresh(kind, f"{prefix}_target", workdir)
    steps = [("dry run, empty database", "dry")]
    if not only_dry_run:
        steps.append(("import, empty database", "real"))
    if again:
        steps += [("dry run, same data present", "dry"), ("import, same data present", "real")]
    rows = []
    for label, mode in steps:
        result = timed_import(target, fixture, mode)
        rate = result["records"] / result["seconds"]
        rows.append((label, result["records"], result["seconds"], rate, result["cpu"]))
        print(
            f"  {label}: {result['records']} records in {result['seconds']:.1f} s "
            f"= {rate:,.0f} records/s (the importing process's CPU: {result['cpu']:.1f} s)",
            flush=True,
        )
    if kind == "postgresql":
        psql(f"DROP DATABASE IF EXISTS {prefix}_source")
        psql(f"DROP DATABASE IF EXISTS {prefix}_target")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=11_000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--only-postgresql", action="store_true")
    parser.add_argument("--only-dry-run", action="store_true")
    parser.add_argument(
        "--again", action="store_true", help="then import the same file again (all unchanged)"
    )
    parser.add_argument(
        "--database-prefix", default="import_bench", help="PostgreSQL databases' name prefix"
    )
    options = parser.parse_args()
    kinds = [] if options.only_postgresql else ["sqlite"]
    if options.postgresql or options.only_postgresql:
        kinds.append("postgresql")
    with tempfile.TemporaryDirectory(prefix="import-bench-") as workdir:
        results = {
            kind: bench(
                kind,
                options.visits,
                workdir,
                options.only_dry_run,
                options.database_prefix,
                options.again,
            )
            for kind in kinds
        }
    # On a shared machine wall time swings with the load; the importing process's CPU time
    # (all of SQLite's work, PostgreSQL's server side excluded) does not.
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(
        "\n| database | step | records | seconds | records/s | CPU s |\n|---|---|---|---|---|---|"
    )
    for kind, rows in results.items():
        for label, records, seconds, rate, cpu in rows:
            print(f"| {kind} | {label} | {records} | {seconds:.1f} | {rate:,.0f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
