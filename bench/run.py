#!/usr/bin/env python3
"""
Benchmark: `make bench` (or `.venv/bin/python bench/run.py`). Prints one report.

The configurations a user gets from the README, with nothing added (no `conn_max_age` or
other URL parameter: the app's own defaults apply): SQLite alone (a file in a temporary
folder); PostgreSQL alone when DATABASE_URL names a PostgreSQL server (a separate
`<name>_bench` database is created there and dropped after); and PostgreSQL + Redis, the
scale-out configuration, when a Redis answers at --redis (default BENCH_REDIS_URL or
redis://127.0.0.1:6379/8; the benchmark's keys are deleted after).

1. generate a synthetic diary with a small (15 visits) and a large (10,000 visits) mission;
2. count the queries of every public page for both, uncached, and of each admin changelist;
3. serve the site with gunicorn on 127.0.0.1 (a free port) and drive it with wrk:
   requests/second and p50/p99 latency of the itinerary, day, organisation and search pages
   and of a constant view (BENCHMARK_ENDPOINTS=true turns it on), each as a ratio to a
   static file (WhiteNoise) of the same server in the same run;
4. time `export_mission` on the large mission, and its peak memory, as ratios to `dumpdata`
   of the same visits ("n/a" where a command does not exist).

Bounded: each load run lasts --duration seconds (default 5); a whole run takes 2–4 minutes.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from scratch import scratch_postgres  # bench/scratch.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SMALL, LARGE = "bench-small", "bench-large"
LARGE_VISITS = 10_000
LOAD_PAGES = ["itinerary", "day", "organisation", "search"]
CONSTANT_PATH = "/benchmark/constant/"
REFERENCE = "static file"
REDIS_KEY_PREFIX = "missiontracker-bench"
GZIP = "Accept-Encoding: gzip, deflate, br"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per load run")
    parser.add_argument(
        "--rounds", type=int, default=4, help="load runs per page, each paired with the static file"
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=[*LOAD_PAGES, "constant view"],
        default=[*LOAD_PAGES, "constant view"],
        help="the pages under load (default: all), e.g. --pages itinerary --rounds 12",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--missions", type=int, default=100, help="random missions besides the two measured"
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        help="Redis for the PostgreSQL + Redis configuration (skipped when none answers)",
    )
    return parser.parse_args()


def require_wrk():
    if shutil.which("wrk") is None:
        sys.exit(
            "bench: the load generator `wrk` is not installed. Install it with\n"
            "    sudo apt-get install -y wrk\n"
            "(Debian/Ubuntu), then run `make bench` again."
        )


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="missiontracker-bench-") as folder:
        yield "SQLite", f"sqlite:///{folder}/bench.sqlite3"


@contextmanager
def postgres_database(url):
    """A fresh `<name>_bench` database beside the one DATABASE_URL names, dropped after."""
    with scratch_postgres(url, "_bench") as scratch_url:
        yield "PostgreSQL", scratch_url


def redis_reachable(url):
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # not installed, refused, wrong database: no Redis run
        print(f"bench: no PostgreSQL + Redis run: {url}: {error}", file=sys.stderr)
        return False
    return True


def forget_redis_keys(url):
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{REDIS_KEY_PREFIX}:*"):
        client.delete(key)


def environment(database_url, cache_url=None):
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    if cache_url:
        env["CACHE_URL"] = f"{cache_url}?key_prefix={REDIS_KEY_PREFIX}"
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        BENCHMARK_ENDPOINTS="true",
        ALLOWED_HOSTS="127.0.0.1",
    )
    return env


def manage(env, *args, capture=False):
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
    )
    return result.stdout


def prepare(env, missions):
    started = time.perf_counter()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(
        env,
        "generate_data",
        f"--missions={missions}",
        "--organisations=2000",
        "--people=4000",
        "--agreements=500",
        f"--sized-mission={SMALL}:15",
        f"--sized-mission={LARGE}:{LARGE_VISITS}",
    )
    return time.perf_counter() - started


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch_status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextmanager
def gunicorn(env, workers):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "missiontracker.wsgi",
            f"--bind=127.0.0.1:{port}", f"--workers={workers}", "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            if fetch_status(base + CONSTANT_PATH) == 200:
                break
            if server.poll() is not None:
                sys.exit("bench: gunicorn exited before serving; see the messages above.")
            time.sleep(0.2)
        else:
            sys.exit("bench: gunicorn did not answer within 20 seconds.")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, duration, connections):
    output = subprocess.run(
        # Like every browser, wrk says it accepts gzip (it does not decode it: no cost to it).
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", GZIP, url],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    latency = {
        share: float(value) * UNITS[unit]
        for share, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "failures": int(failures.group(1)) if failures else 0,
    }


def combined(runs):
    return {
        "rps": statistics.mean(run["rps"] for run in runs),
        "p50": statistics.median(run["p50"] for run in runs),
        "p99": statistics.median(run["p99"] for run in runs),
        "failures": sum(run["failures"] for run in runs),
    }


def static_path():
    """The collected site stylesheet, as pages link it: served by WhiteNoise, no Django view."""
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["css/site.css"]


def load(base, urls, options):
    """
    Each page's runs alternate with runs of the static file, and each page is compared
    with its own static runs: a machine busy with something else slows both alike.
    """
    constant_url = base + static_path()
    results, all_constant = {}, []
    for name, path in urls.items():
        url = base + path
        status = fetch_status(url)
        if status != 200:
            results[name] = f"n/a (HTTP {status})"
            continue
        for _ in range(options.workers * 2):  # let every worker render its copy once
            fetch_status(url)
        page_runs, constant_runs = [], []
        for _ in range(options.rounds):
            constant_runs.append(wrk(constant_url, options.duration, options.connections))
            page_runs.append(wrk(url, options.duration, options.connections))
        all_constant += constant_runs
        pairs = list(zip(page_runs, constant_runs, strict=True))
        results[name] = {
            **combined(page_runs),
            # The median of the paired ratios: one run disturbed by another process on the
            # machine moves it less than it moves a ratio of averages.
            "ratios": {
                key: statistics.median(page[key] / constant[key] for page, constant in pairs)
                for key in ("rps", "p50", "p99")
            },
        }
    ones = dict.fromkeys(("rps", "p50", "p99"), 1.0)
    return {REFERENCE: {**combined(all_constant), "ratios": ones}, **results}


def measured(env, *args):
    """(seconds, peak resident memory in MiB) of one manage.py command, or the reason it failed."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            last = errors.read().decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
            return f"n/a ({last[0][:80]})"
    return {"seconds": elapsed, "peak_mib": usage.ru_maxrss / 1024}


def export_versus_dumpdata(env, visit_pks):
    has_export = subprocess.run(
        [PYTHON, "manage.py", "help", "export_mission"],
        cwd=ROOT, env=env, capture_output=True,
    ).returncode == 0  # fmt: skip
    if not has_export:  # dumpdata alone compares with nothing, and takes a minute
        return {"dumpdata": "n/a (not run)", "export": "n/a (no export_mission command)"}
    dump = measured(env, "dumpdata", "diary.visit", "--pks", ",".join(map(str, visit_pks)))
    return {"dumpdata": dump, "export": measured(env, "export_mission", LARGE)}


def run_on(label, database_url, options, redis_url=None):
    env = environment(database_url)
    print(f"bench: {label}: generating data…", file=sys.stderr)
    generation = prepare(env, options.missions)
    probe = json.loads(
        subprocess.run(
            [PYTHON, "bench/probe.py", SMALL, LARGE],
            cwd=ROOT, env=env, check=True, text=True, capture_output=True,
        ).stdout
    )  # fmt: skip
    urls = {name: probe["urls"]["large"][name] for name in LOAD_PAGES if name != "search"}
    urls["search"] = "/search/?q=orbit"
    urls["constant view"] = CONSTANT_PATH
    urls = {name: url for name, url in urls.items() if name in options.pages}
    print(f"bench: {label}: load runs ({options.duration} s each)…", file=sys.stderr)
    with gunicorn(env, options.workers) as base:
        throughputs = {label: load(base, urls, options)}
    if redis_url:
        print(f"bench: {label} + Redis: load runs…", file=sys.stderr)
        try:
            with gunicorn(environment(database_url, redis_url), options.workers) as base:
                throughputs[f"{label} + Redis"] = load(base, urls, options)
        finally:
            forget_redis_keys(redis_url)
    export = export_versus_dumpdata(env, probe["large_visit_pks"])
    return {
        "generation_s": generation,
        "probe": probe,
        "throughputs": throughputs,
        "export": export,
    }


def ratio(value, reference, digits=2):
    return f"{value / reference:.{digits}f}×" if reference else "n/a"


def report(label, results, options):
    lines = [f"## {label}", ""]
    lines.append(f"Data generated in {results['generation_s']:.0f} s.")
    lines += ["", "| page | queries, 15 visits | queries, 10,000 visits | uncached ms, 10,000 |"]
    lines.append("|---|---|---|---|")
    for name, sizes in results["probe"]["pages"].items():
        small, large = sizes.get("small", {}), sizes.get("large", {})
        lines.append(
            f"| {name} | {small.get('queries', 'n/a')} | {large.get('queries', 'n/a')} "
            f"| {large.get('ms', 'n/a')} |"
        )
    lines += ["", "| admin changelist | queries | ms |", "|---|---|---|"]
    for name, row in results["probe"]["admin"].items():
        lines.append(f"| {name} | {row['queries']} | {row['ms']} |")
    lines += [
        "",
        f"Load: wrk, {options.connections} connections, {options.rounds} runs of "
        f"{options.duration} s per page, each paired with a run of a static file from the same "
        f"server (ratios: median over the pairs); gunicorn with {options.workers} workers, "
        "configured as the README says (no URL parameters). Requests say they accept gzip, "
        "as browsers do.",
    ]
    for configuration, throughput in results["throughputs"].items():
        lines += [
            "",
            f"{configuration}:",
            "",
            "| page (10,000-visit mission) | req/s | × static | p50 ms | × static "
            "| p99 ms | × static |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in throughput.items():
            if isinstance(row, str):
                lines.append(f"| {name} | {row} | | | | | |")
                continue
            ratios = row["ratios"]
            failed = f" ({row['failures']} failed)" if row["failures"] else ""
            lines.append(
                f"| {name}{failed} | {row['rps']:.0f} | {ratios['rps']:.2f}× "
                f"| {row['p50']:.2f} | {ratios['p50']:.2f}× "
                f"| {row['p99']:.2f} | {ratios['p99']:.2f}× |"
            )
    lines += [
        "",
        "Cached pages through the whole WSGI stack in one process, no network (best of 7 "
        "interleaved batches of 200): CPU cost against the constant view's.",
        "",
        "| page | µs per request | constant µs | throughput × constant |",
        "|---|---|---|---|",
    ]
    for name, row in results["probe"]["in_process"].items():
        lines.append(
            f"| {name} | {row['page_us']:.0f} | {row['constant_us']:.0f} | {row['ratio']:.2f}× |"
        )
    dump, export = results["export"]["dumpdata"], results["export"]["export"]
    lines += ["", "| export of the 10,000-visit mission | seconds | peak MiB |", "|---|---|---|"]
    for name, row in (("dumpdata (its visits)", dump), ("export_mission", export)):
        if isinstance(row, str):
            lines.append(f"| {name} | {row} | |")
        else:
            lines.append(f"| {name} | {row['seconds']:.2f} | {row['peak_mib']:.0f} |")
    if isinstance(dump, dict) and isinstance(export, dict):
        lines.append(
            f"| export ÷ dumpdata | {ratio(export['seconds'], dump['seconds'])} "
            f"| {ratio(export['peak_mib'], dump['peak_mib'])} |"
        )
    return "\n".join(lines)


def main():
    options = parse_args()
    require_wrk()
    started = time.perf_counter()
    targets = [(sqlite_database(), None)]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        redis_url = options.redis if redis_reachable(options.redis) else None
        targets.append((postgres_database(database_url), redis_url))
    else:
        print("bench: no PostgreSQL runs: DATABASE_URL names no PostgreSQL", file=sys.stderr)
    sections = []
    for target, redis_url in targets:
        with target as (label, url):
            sections.append(report(label, run_on(label, url, options, redis_url), options))
    header = [
        "# Benchmark report",
        "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · {platform.node()} · "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · took {time.perf_counter() - started:.0f} s",
    ]
    print("\n\n".join(["\n".join(header), *sections]))


if __name__ == "__main__":
    main()
