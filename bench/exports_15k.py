#!/usr/bin/env python3
"""
Public formats and the sitemap on a 15,000-visit mission: `.venv/bin/python bench/exports_15k.py`.

Generates (`manage.py generate_data`) a throwaway SQLite diary with one published mission of
--visits visits among --missions others, then prints, for the mission's JSON, c3voc schedule
and iCalendar feed: the uncached build (a reader with a session cookie, whom the page cache
never serves) — time, queries, size — then what anonymous readers get: the first request,
a cached one, a revalidation (If-None-Match → 304) and a HEAD (its ETag beside GET's). Then
the sitemap: every file a crawler fetches from /sitemap.xml, with its URL count and size
against the protocol's limits (50,000 URLs and 50 MB per file).

Times are CPU seconds of the measuring process (SQLite runs in it), not wall-clock time.

--database-url reuses a database already generated (e.g. by --keep); --root measures another
checkout of the code (how the "before" figures in bench/RESULTS.md were taken).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "exports-15k"
FORMATS = {"json": "mission_json", "schedule": "mission_schedule", "ics": "mission_ics"}
SITEMAP_URL_LIMIT = 50_000
SITEMAP_BYTES_LIMIT = 50 * 1024 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=15_000)
    parser.add_argument("--missions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="uncached builds per format")
    parser.add_argument("--database-url", help="an already generated database (skip generation)")
    parser.add_argument("--keep", help="generate into this SQLite file and keep it")
    parser.add_argument("--root", type=Path, default=ROOT, help="the code to measure")
    return parser.parse_args()


def environment(database_url):
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="testserver,127.0.0.1",
    )
    return env


def generate(root, env, options):
    started = time.perf_counter()
    for args in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        [
            "generate_data",
            f"--missions={options.missions}",
            "--organisations=2000",
            "--people=4000",
            "--agreements=500",
            f"--sized-mission={SLUG}:{options.visits}",
        ],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


WALL = []  # wall-clock seconds of each timed call, beside its CPU seconds


def timed(call):
    """(result, seconds): CPU seconds of this process (the SQLite queries run in it too),
    which a shared, busy machine distorts far less than the wall clock (kept in WALL)."""
    started, wall = time.process_time(), time.perf_counter()
    result = call()
    WALL.append(time.perf_counter() - wall)
    return result, time.process_time() - started


def measure_formats(rounds):
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    rows = []
    for label, name in FORMATS.items():
        url = reverse(f"diary:{name}", kwargs={"slug": SLUG})
        # A session cookie makes the page cache step aside: this is the build itself.
        uncached = Client(headers={"Cookie": "sessionid=bench"}, raise_request_exception=False)
        times, walls = [], []
        for _ in range(rounds):
            queries = []
            with connection.execute_wrapper(
                lambda run, sql, *args, log=queries: log.append(sql) or run(sql, *args)
            ):
                response, seconds = timed(lambda url=url, client=uncached: client.get(url))
            times.append(seconds)
            walls.append(WALL[-1])
        if response.status_code != 200:  # the "before" code failed some builds outright
            rows.append({"format": label, "failed": response.status_code, "seconds": seconds})
            continue
        anonymous = Client()
        first, first_seconds = timed(lambda url=url, client=anonymous: client.get(url))
        _, cached_seconds = timed(lambda url=url, client=anonymous: client.get(url))
        etag = first.get("ETag")
        revalidated = anonymous.get(url, headers={"If-None-Match": etag}) if etag else None
        head = anonymous.head(url)
        rows.append(
            {
                "format": label,
                "uncached_s": statistics.median(times),
                "uncached_wall_s": statistics.median(walls),
                "queries": len(queries),
                "bytes": len(response.content),
                "first_anonymous_s": first_seconds,
                "cached_s": cached_seconds,
                "etag": bool(etag),
                "revalidation": revalidated.status_code if revalidated else "no ETag",
                "head_etag_matches": bool(etag) and head.get("ETag") == etag,
            }
        )
    return rows


def measure_sitemap():
    from django.test import Client

    client = Client()
    files = []
    pending = ["/sitemap.xml"]
    started = time.process_time()
    while pending:
        url = pending.pop(0)
        response, seconds = timed(lambda url=url: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        text = response.content.decode()
        if "<sitemapindex" in text:
            for location in re.findall(r"<loc>([^<]+)</loc>", text):
                pending.append(re.sub(r"^https?://[^/]+", "", location).replace("&amp;", "&"))
            kind = "index"
        else:
            kind = "urls"
        files.append((url, kind, text.count("<url>"), len(response.content), seconds))
    return files, time.process_time() - started


def report(options, generated_in, rows, sitemap_files, sitemap_seconds):
    print(f"# Public formats on a {options.visits:,}-visit mission ({options.root})")
    if generated_in is not None:
        print(f"generated in {generated_in:.0f} s")
    print()
    print(
        "| format | uncached (CPU) | wall | queries | size | 1st anonymous | cached | ETag | "
        "If-None-Match | HEAD same ETag |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "failed" in row:
            print(f"| {row['format']} | HTTP {row['failed']} after {row['seconds']:.1f} s |")
            continue
        print(
            f"| {row['format']} | {row['uncached_s'] * 1000:,.0f} ms | "
            f"{row['uncached_wall_s'] * 1000:,.0f} ms | {row['queries']} | "
            f"{row['bytes'] / 1e6:.1f} MB | {row['first_anonymous_s'] * 1000:,.0f} ms | "
            f"{row['cached_s'] * 1000:,.1f} ms | {'yes' if row['etag'] else 'no'} | "
            f"{row['revalidation']} | {'yes' if row['head_etag_matches'] else 'no'} |"
        )
    print()
    url_files = [f for f in sitemap_files if f[1] == "urls"]
    largest = max(url_files, key=lambda f: f[2])
    slowest = max(sitemap_files, key=lambda f: f[4])
    print(
        f"sitemap: {len(sitemap_files)} file(s), {sum(f[2] for f in url_files):,} URLs in "
        f"{sitemap_seconds:.1f} s; largest file {largest[0]}: {largest[2]:,} URLs, "
        f"{largest[3] / 1e6:.1f} MB (limits {SITEMAP_URL_LIMIT:,} / "
        f"{SITEMAP_BYTES_LIMIT / 1e6:.0f} MB); slowest {slowest[0]}: {slowest[4]:.2f} s"
    )
    within = all(f[2] <= SITEMAP_URL_LIMIT and f[3] <= SITEMAP_BYTES_LIMIT for f in url_files)
    print(f"every sitemap file within the protocol's limits: {'yes' if within else 'NO'}")


def main():
    options = parse_args()
    options.root = options.root.resolve()
    with tempfile.TemporaryDirectory(prefix="missiontracker-exports-") as folder:
        generated_in = None
        database_url = options.database_url
        if database_url is None:
            path = options.keep or f"{folder}/exports.sqlite3"
            database_url = f"sqlite:///{path}"
            generated_in = generate(options.root, environment(database_url), options)
        os.environ.update(environment(database_url))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")
        sys.path.insert(0, str(options.root))
        os.chdir(options.root)
        import django

        django.setup()
        rows = measure_formats(options.rounds)
        sitemap_files, sitemap_seconds = measure_sitemap()
        report(options, generated_in, rows, sitemap_files, sitemap_seconds)


if __name__ == "__main__":
    main()
