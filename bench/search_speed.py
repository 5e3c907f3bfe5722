"""
How fast is search on PostgreSQL at ~11,000 visits?

"after" is diary.search.search as it is. "before" is a copy of it as of commit a98f9d8: the
stored, GIN-indexed vectors and trigram indexes of migration 0009 already, but each kind
read in one query whose window counted the matches over whole joined rows (for a common
word, ~10,000 rows of several kilobytes, spilled to disk), with every column of every row,
vectors included. (The code before the stored vectors, 0.8–1.5 s a search, is in the
2026-11-26 21:28 section of bench/RESULTS.md.) Both run the same queries against the same
database, interleaved, in this process, with DEBUG off as in production; the report prints
p50 and p99 wall-clock milliseconds per query and over all of them, and the p50 of the
process's CPU time (on a busy machine wall-clock includes waiting for a CPU).

With --generate, the database (default search_bench on 127.0.0.1) is dropped, created,
migrated and filled by `manage.py generate_data` (a 10,000-visit mission beside four
ordinary ones: about 10,700 visits), then vacuumed and analysed as autovacuum would in time:
rows inserted in bulk into a GIN index wait in its pending list, which every search reads
through, and PostgreSQL's planner rightly prefers a full scan until VACUUM merges them.
Without --generate, an existing database is used as it is.

    .venv/bin/python bench/search_speed.py [--generate] [--database search_bench] [--runs 30]
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
# A record number, a city, a person, two common words, a word found nowhere, and one word in
# most visits' names (the generated vocabulary is small: "orbit" is in 86% of visits).
QUERIES = ["7084", "Pune", "Tokyo", "Person Payload 593", "satellite launch", "Hayabusa", "orbit"]


def generate(database):
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {database}",
            "-c",
            f"CREATE DATABASE {database}",
        ],
        check=True,
    )
    env = {**os.environ, "DATABASE_URL": f"{PG}/{database}", "DEBUG": "true"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [
            *manage,
            "generate_data",
            "--missions",
            "4",
            "--organisations",
            "500",
            "--people",
            "1000",
            "--agreements",
            "200",
            "--sized-mission",
            "search-bench:10000",
        ],
        env=env,
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", database, "-c", "VACUUM ANALYZE"],
        check=True,
    )


def old_search(query, limit=20):
    """
    diary.search.search as of commit a98f9d8 (stored vectors, one query per kind counting its
    matches with a window over the whole joined rows), copied.
    """
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from django.db.models import Count, F, Q, Window

    from diary.models import Agreement, Mission, Organisation, Person, Visit
    from diary.models.search_vector import search_text
    from diary.search import KINDS, ResultGroup, query_words

    published = {
        "missions": lambda: Mission.objects.published().select_related("lead_organisation"),
        "visits": lambda: (
            Visit.objects.published()
            .select_related("mission", "day", "place")
            .defer("body", "search_vector")
        ),
        "organisations": lambda: Organisation.objects.published(),
        "people": lambda: Person.objects.published().select_related("organisation"),
        "agreements": lambda: Agreement.objects.published().select_related("mission", "kind"),
    }
    query = unicodedata.normalize("NFKC", query)
    groups = []
    for kind in KINDS:
        words = query_words(query)
        search_query = SearchQuery(query, search_type="websearch", config="simple")
        substring = Q()
        for word in words:
            substring &= Q(search_text__icontains=word)
        queryset = published[kind.key]()
        matches = (
            queryset.alias(search_text=search_text(*kind.fields))
            .filter(Q(search_vector=search_query) | substring)
            .annotate(rank=SearchRank(F("search_vector"), search_query))
            .order_by(F("rank").desc(), *queryset.model._meta.ordering)
            .annotate(matches_in_all=Window(Count("pk")))
        )
        results = list(matches[:limit])
        if results:
            groups.append(ResultGroup(kind, results[0].matches_in_all, results))
    return groups


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="search_bench")
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    if options.generate:
        generate(options.database)

    os.environ["DATABASE_URL"] = f"{PG}/{options.database}"
    # DEBUG off, as in production (DEBUG keeps a log of every query); a throwaway key.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from diary.models import Visit
    from diary.search import search

    versions = {"before": old_search, "after": search}
    timings = {(version, query): [] for version in versions for query in QUERIES}
    counts = {}
    cpu = {version: [] for version in versions}
    for run in range(options.runs + 1):  # the first run warms caches and is not counted
        for query in QUERIES:
            for version, function in versions.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                groups = function(query)
                elapsed = (time.perf_counter() - started) * 1000
                if run:
                    timings[version, query].append(elapsed)
                    cpu[version].append((time.process_time() - cpu_started) * 1000)
                found = {group.kind.key: group.count for group in groups}
                if counts.setdefault((version, query), found) != found:
                    raise SystemExit(f"{version} {query!r}: {found} then {counts[version, query]}")
    for query in QUERIES:
        # Since issue 12 a word may also match what a record belongs to (a person's
        # organisation, an organisation's parent, an agreement's kind, a visit's place, whose
        # city replaced the visit's own in migration 0016): those kinds may find more, or
        # other, records than before. Missions match on their own fields, as before.
        for key in ("missions",):
            before, after = counts["before", query].get(key), counts["after", query].get(key)
            if before != after:
                raise SystemExit(f"{query!r} finds {before} {key} before, {after} after")

    print(f"PostgreSQL, {Visit.objects.count():,} visits, {options.runs} runs of each query")
    print()
    print(
        "| query | matches before → after (visits) | before p50 ms | before p99 ms"
        " | after p50 ms | after p99 ms |"
    )
    print("|---|---|---|---|---|---|")
    for query in QUERIES:
        before, after = (sum(counts[version, query].values()) for version in versions)
        row = [f"`{query}`", f"{before} → {after} ({counts['after', query].get('visits', 0)})"]
        for version in versions:
            values = timings[version, query]
            row += [f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}"]
        print("| " + " | ".join(row) + " |")
    row = ["all", ""]
    for version in versions:
        values = [value for query in QUERIES for value in timings[version, query]]
        row += [f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}"]
    print("| " + " | ".join(row) + " |")
    print()
    print(
        "CPU time of this process per search, p50: "
        + ", ".join(f"{version} {statistics.median(cpu[version]):.1f} ms" for version in versions)
    )
    print(f"load average at the end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
