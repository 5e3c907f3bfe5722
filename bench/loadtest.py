#!/usr/bin/env python
"""
Loopback load test: the site under gunicorn, public readers and staff editors at once.

    .venv/bin/python bench/loadtest.py                  # 30 s, 8 readers, 3 editors, SQLite
    .venv/bin/python bench/loadtest.py --duration 60 --database-url postgres://…/scratch
    .venv/bin/python bench/loadtest.py --redis-outage   # the page cache's Redis dies mid-run
    .venv/bin/python bench/loadtest.py --same-records   # editors race on the same visits
    .venv/bin/python bench/loadtest.py --postgres-beside "$DATABASE_URL"   # on PostgreSQL

It builds a fresh database (a temporary SQLite file unless --database-url names another;
that one is migrated and gets the demo mission and bench users; --postgres-beside URL creates
`<name>_loadtest` on that PostgreSQL server and drops it afterwards), starts gunicorn on a free
127.0.0.1 port, then for --duration seconds readers fetch every public page while each
editor signs in to the admin for real and saves edit after edit (GET the change form, POST
every input of it back with one field changed). By default each editor has a visit of its
own and changes its summary.

--redis-outage: the page cache is a Redis server this script starts on a free loopback port
(no persistence); it is killed a third of the way through the run and, unless
--redis-stays-down, started again on the same port two thirds of the way through. Readers
must not notice: a failing cache degrades to rendering, it never takes pages down.

--same-records: every editor edits the SAME visits (--records of them, round robin), each
editor changing a different field. Two editors' saves then interleave: the admin must keep
both edits or refuse the later save with its "changed meanwhile" error (optimistic
concurrency, the `record_state` input of the change form), never silently save a stale copy
over the other's edit. Refused saves are counted and printed: a refusal is correct.

At the end it checks:

- zero errors: every read answered 200, every save answered 302 (saved) — or, with
  --same-records, the change form again with the concurrency error (refused);
- zero lost edits: every save the server acknowledged is in the visit's audit trail under
  its editor, and no refused save is;
- zero silent overwrites: in each visit's audit trail, and in the visit as it stands, every
  acknowledged field value stays until a LATER acknowledged save of the same field replaces
  it (a save that writes back an older value of a field its editor did not change is an
  overwrite).

It prints a report and exits 1 if any check fails. Nothing leaves the machine.
"""

import argparse
import http.client
import io
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from scratch import scratch_postgres  # bench/scratch.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
# For the project's packages and tests.browsing, imported once Django is set up.
sys.path.insert(0, str(ROOT))

EDITOR_PASSWORD = "bench-editor-" + secrets.token_urlsafe(8)
# Text fields of a visit the --same-records editors share out, one each (round robin).
SHARED_FIELDS = ["summary", "body", "title"]
ERROR_LISTS = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.DOTALL)
TAGS = re.compile(r"<[^>]+>")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One visitor: its own cookies, one request at a time, no redirects followed."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None):
        body = urlencode(form, doseq=True) if form is not None else None
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, content
        finally:
            connection.close()


@dataclass(frozen=True)
class Save:
    """One save an editor posted: which visit, which field, the (unique) value it wrote."""

    username: str
    visit_pk: int
    field: str
    value: str


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {"read": [], "edit": []}
        self.errors = []
        self.reader_errors = 0
        self.acknowledged = []  # Saves the server said it made, in the order it said so
        self.refused = []  # Saves refused with the concurrency error
        self.phase = "before"  # --redis-outage: "before", "down", "back"
        self.reads_by_phase = {}

    def timing(self, kind, seconds):
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message, *, reader=False):
        with self.lock:
            self.errors.append(message)
            self.reader_errors += reader

    def read(self):
        with self.lock:
            self.reads_by_phase[self.phase] = self.reads_by_phase.get(self.phase, 0) + 1


def reader(port, pages, stop, tally):
    browser, n = Browser(port), 0
    while not stop.is_set():
        path = pages[n % len(pages)]
        n += 1
        started = time.perf_counter()
        try:
            status, _, _ = browser.request("GET", path)
        except OSError as error:
            tally.error(f"GET {path}: {error}", reader=True)
            continue
        tally.timing("read", time.perf_counter() - started)
        if status != 200:
            tally.error(f"GET {path} ({tally.phase}): HTTP {status}", reader=True)
        else:
            tally.read()


def form_errors(html):
    """The text of the form's error lists, as a reader of the page sees it."""
    return " ".join(
        " ".join(unescape(TAGS.sub(" ", found)).split()) for found in ERROR_LISTS.findall(html)
    )


def is_concurrency_refusal(html):
    """The change form came back saying the record changed since it was opened."""
    errors = form_errors(html)
    return "errornote" in html and ("→" in errors or "changed" in errors.lower())


def editor(port, username, visit_pks, field, stop, tally, *, refusals_expected):
    from tests.browsing import read_form

    browser = Browser(port)
    try:
        _, _, html = browser.request("GET", "/admin/login/")
        form = read_form(html, "login-form")
        form.update(username=[username], password=[EDITOR_PASSWORD], next=["/admin/"])
        status, _, _ = browser.request("POST", "/admin/login/", form)
        if status != 302:
            tally.error(f"{username} could not sign in: HTTP {status}")
            return
    except OSError as error:
        tally.error(f"{username} sign-in: {error}")
        return
    n = 0
    while not stop.is_set():
        visit_pk = visit_pks[n % len(visit_pks)]
        n += 1
        change = f"/admin/diary/visit/{visit_pk}/change/"
        save = Save(username, visit_pk, field, f"{field} by {username}, save #{n}.")
        started = time.perf_counter()
        try:
            status, _, html = browser.request("GET", change)
            if status != 200:
                tally.error(f"{username} GET change form: HTTP {status}")
                continue
            form = read_form(html, "visit_form")
            form[field] = [save.value]
            status, headers, html = browser.request("POST", change, form)
        except OSError as error:
            tally.error(f"{username} save #{n}: {error}")
            continue
        tally.timing("edit", time.perf_counter() - started)
        if status == 302 and "/change/" not in headers.get("Location", ""):
            with tally.lock:
                tally.acknowledged.append(save)
        elif status == 200 and refusals_expected and is_concurrency_refusal(html):
            with tally.lock:
                tally.refused.append(save)
        else:
            detail = form_errors(html)[:200] if status == 200 else ""
            tally.error(f"{username} save #{n}: HTTP {status} {detail}".rstrip())


def setup_database(environment, editors, records):
    """
    Migrate, load the demo, and make one Editor per bench editor. Returns each editor's
    visits: one of its own, or (records > 0) the same `records` visits for everyone.
    """
    os.environ.update(environment)
    os.environ["DJANGO_SETTINGS_MODULE"] = "missiontracker.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from diary.models import Visit
    from diary.roles import EDITOR
    from tests.browsing import public_pages

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    wanted = records or editors
    visits = list(Visit.objects.published().order_by("pk").values_list("pk", flat=True)[:wanted])
    if len(visits) < wanted:
        raise SystemExit(f"The demo has {len(visits)} visits; ask for at most that many.")
    assignments = {}
    for n in range(1, editors + 1):
        username = f"bench-editor-{n}"
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.set_password(EDITOR_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=EDITOR))
        assignments[username] = visits if records else [visits[n - 1]]
    return assignments, public_pages()


def check_edits(tally):
    """
    (lost edits, silent overwrites), read from the audit trail and the visits as they stand.

    Values are unique per save, so each acknowledged value has exactly one history row that
    introduced it: the save itself. Walking a visit's history in order, a field holding an
    acknowledged value may change only to a new acknowledged value of that field.
    """
    from django.db import connections

    from diary.models import Visit

    connections.close_all()  # read what the server committed, not a cached view
    lost, overwrites = [], []
    acknowledged = {(s.visit_pk, s.field, s.value): s for s in tally.acknowledged}
    refused = {(s.visit_pk, s.field, s.value): s for s in tally.refused}
    visits = {s.visit_pk for s in tally.acknowledged + tally.refused}
    fields = sorted({s.field for s in tally.acknowledged + tally.refused})
    for visit_pk in sorted(visits):
        history = list(
            Visit.history.filter(id=visit_pk)
            .order_by("history_date", "history_id")
            .values("history_id", "history_user__username", *fields)
        )
        written = {
            (row["history_user__username"], field, row[field])
            for row in history
            for field in fields
        }
        for (pk, field, value), save in acknowledged.items():
            if pk == visit_pk and (save.username, field, value) not in written:
                lost.append(f"{save.username}: visit {pk} {field} = {value!r} not in its history")
        for (pk, field, value), save in refused.items():
            if pk == visit_pk and any(row[field] == value for row in history):
                lost.append(f"{save.username}: refused save {value!r} was written all the same")
        final = Visit.objects.filter(pk=visit_pk).values(*fields).get()
        for field in fields:
            held, introduced = None, set()
            for row in [*history, {**final, "history_user__username": "(the visit now)"}]:
                value = row[field]
                if value == held:
                    continue
                if (visit_pk, field, value) in acknowledged and value not in introduced:
                    introduced.add(value)
                    held = value
                    continue
                if held is not None:
                    overwrites.append(
                        f"visit {visit_pk} {field}: acknowledged {held!r} replaced by "
                        f"{value!r} ({row['history_user__username']}), no later save of it"
                    )
                held = None
    return lost, overwrites


def postgres_beside(url):
    """A fresh `<name>_loadtest` database on the server `url` names, dropped afterwards."""
    return scratch_postgres(url, "_loadtest")


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class RedisServer:
    """A throwaway redis-server on a loopback port: no persistence, killed at will."""

    def __init__(self, port):
        self.port = port
        self.process = None
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise SystemExit("--redis-outage needs redis-server (apt-get install redis-server)")

    def start(self):
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"redis-server did not come up on 127.0.0.1:{self.port}")
            time.sleep(0.05)

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def run_outage(redis, duration, stay_down, tally):
    """Kill Redis a third of the way through the run; bring it back at two thirds."""
    time.sleep(duration / 3)
    redis.kill()
    with tally.lock:
        tally.phase = "down"
    if stay_down:
        time.sleep(duration * 2 / 3)
        return
    time.sleep(duration / 3)
    redis.start()
    with tally.lock:
        tally.phase = "back"
    time.sleep(duration / 3)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (30)")
    parser.add_argument("--readers", type=int, default=8, help="public reader threads (8)")
    parser.add_argument("--editors", type=int, default=3, help="staff editors (3)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--database-url", help="default: a new temporary SQLite file")
    parser.add_argument(
        "--postgres-beside",
        metavar="URL",
        help="create <name>_loadtest on this PostgreSQL server, use it, drop it afterwards",
    )
    parser.add_argument(
        "--redis-outage",
        action="store_true",
        help="cache pages in a Redis this script starts, and kill it mid-run",
    )
    parser.add_argument(
        "--redis-stays-down",
        action="store_true",
        help="with --redis-outage: do not start Redis again before the end",
    )
    parser.add_argument(
        "--same-records",
        action="store_true",
        help="all editors edit the same visits, each changing a different field",
    )
    parser.add_argument(
        "--records", type=int, default=2, help="with --same-records: how many visits (2)"
    )
    args = parser.parse_args(argv)
    if args.same_records and args.editors < 2:
        parser.error("--same-records needs at least 2 editors")
    if args.postgres_beside and args.database_url:
        parser.error("give --database-url or --postgres-beside, not both")
    scratch_database = (
        postgres_beside(args.postgres_beside) if args.postgres_beside else nullcontext()
    )
    with scratch_database as scratch_url:
        if scratch_url:
            args.database_url = scratch_url
        return run(args)


def run(args):
    """Build the database, serve it, load it, check it; 0 when every check passed."""
    scratch = tempfile.TemporaryDirectory(prefix="missiontracker-bench-")
    port = free_port()
    environment = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": args.database_url or f"sqlite:///{Path(scratch.name) / 'bench.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback: cookies must travel without TLS here.
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
    }
    redis = None
    if args.redis_outage:
        redis = RedisServer(free_port())
        redis.start()
        environment["CACHE_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    server = None
    try:
        assignments, pages = setup_database(
            environment, args.editors, args.records if args.same_records else 0
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "missiontracker.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if Browser(port).request("GET", "/health/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not come up")
            time.sleep(0.2)

        tally, stop = Tally(), threading.Event()
        fields = SHARED_FIELDS if args.same_records else ["summary"]
        threads = [
            threading.Thread(target=reader, args=(port, pages, stop, tally))
            for _ in range(args.readers)
        ] + [
            threading.Thread(
                target=editor,
                args=(port, username, visit_pks, fields[n % len(fields)], stop, tally),
                kwargs={"refusals_expected": args.same_records},
            )
            for n, (username, visit_pks) in enumerate(assignments.items())
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        if redis is not None:
            run_outage(redis, args.duration, args.redis_stays_down, tally)
        else:
            time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if redis is not None:
            redis.kill()

    lost, overwrites = check_edits(tally)
    reads, edits = tally.latencies["read"], tally.latencies["edit"]
    saves = len(tally.acknowledged)
    database = (
        "SQLite (temporary file)"
        if not args.database_url
        else "PostgreSQL (scratch database)"
        if args.postgres_beside
        else "DATABASE_URL given"
    )
    print(f"Load test: {elapsed:.1f} s against gunicorn ({args.workers} workers), {database}")
    print(f"  readers {args.readers}, editors {len(assignments)}, {len(pages)} public pages")
    if args.same_records:
        shared = ", ".join(fields[n % len(fields)] for n in range(len(assignments)))
        print(f"  same records: {args.records} visits, editors changing {shared}")
    for label, values in (("reads", reads), ("admin saves", edits)):
        rate = len(values) / elapsed if elapsed else 0
        print(
            f"  {label:12} {len(values):6d}  {rate:7.1f}/s  "
            f"p50 {statistics.median(values) * 1000 if values else 0:6.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:6.1f} ms  "
            f"max {max(values, default=0) * 1000:6.1f} ms"
        )
    problems = []
    if redis is not None:
        phases = tally.reads_by_phase
        back = "stayed down" if args.redis_stays_down else f"back {phases.get('back', 0)}"
        print(
            f"  Redis 127.0.0.1:{redis.port}: good reads with it up {phases.get('before', 0)}, "
            f"down {phases.get('down', 0)}, {back}; reader errors {tally.reader_errors}"
        )
        if not phases.get("down"):
            problems.append("no page was read successfully while Redis was down")
    print(
        f"  acknowledged saves {saves}, refused (changed meanwhile) {len(tally.refused)}, "
        f"errors {len(tally.errors)}, lost edits {len(lost)}, silent overwrites {len(overwrites)}"
    )
    if saves == 0:
        problems.append("no save was acknowledged")
    if not reads:
        problems.append("no page was read")
    for line in (tally.errors + lost + overwrites + problems)[:20]:
        print(f"    {line}")
    scratch.cleanup()
    ok = not (tally.errors or lost or overwrites or problems)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
