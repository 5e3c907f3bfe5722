"""
How fast is search on PostgreSQL at ~11,000 visits, before and after the stored vectors?

"after" is diary.search.search as it is: the stored, GIN-indexed search_vector column and the
trigram index over each record's joined fields (migration 0009). "before" is a copy of the
code it replaced: a text vector built from every row's fields in each query, and the
substring rule tested field by field (no index can serve either). Both run the same queries
against the same database, interleaved, in this process, through the same window count and
ordering; the report prints p50 and p99 milliseconds per query and over all of them.

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
    """diary.search.search before migration 0009 (commit 5c411ae), copied."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
    from django.db.models import Count, F, Q, Window

    from diary.search import KINDS, ResultGroup, query_words, substring_match

    query = unicodedata.normalize("NFKC", query)
    groups = []
    for kind in KINDS:
        words = query_words(query)
        name, *others = kind.fields
        document = SearchVector(name, weight="A", config="simple")
        if others:
            document += SearchVector(*others, weight="B", config="simple")
        search_query = SearchQuery(query, search_type="websearch", config="simple")
        queryset = kind.published()
        matches = (
            queryset.alias(document=document)
            .filter(Q(document=search_query) | substring_match(kind.fields, words))
            .annotate(rank=SearchRank(F("document"), search_query))
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
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from diary.models import Visit
    from diary.search import search

    versions = {"before": old_search, "after": search}
    timings = {(version, query): [] for version in versions for query in QUERIES}
    counts = {}
    for run in range(options.runs + 1):  # the first run warms caches and is not counted
        for query in QUERIES:
            for version, function in versions.items():
                started = time.perf_counter()
                groups = function(query)
                elapsed = (time.perf_counter() - started) * 1000
                if run:
                    timings[version, query].append(elapsed)
                found = {group.kind.key: group.count for group in groups}
                if counts.setdefault((version, query), found) != found:
                    raise SystemExit(f"{version} {query!r}: {found} then {counts[version, query]}")
    for query in QUERIES:
        if counts["before", query] != counts["after", query]:
            raise SystemExit(
                f"{query!r} finds {counts['before', query]} before, {counts['after', query]} after"
            )

    print(f"PostgreSQL, {Visit.objects.count():,} visits, {options.runs} runs of each query")
    print()
    print(
        "| query | matches (visits) | before p50 ms | before p99 ms | after p50 ms | after p99 ms |"
    )
    print("|---|---|---|---|---|---|")
    for query in QUERIES:
        row = [
            f"`{query}`",
            f"{sum(counts['after', query].values())} ({counts['after', query].get('visits', 0)})",
        ]
        for version in versions:
            values = timings[version, query]
            row += [f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}"]
        print("| " + " | ".join(row) + " |")
    row = ["all", ""]
    for version in versions:
        values = [value for query in QUERIES for value in timings[version, query]]
        row += [f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}"]
    print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
