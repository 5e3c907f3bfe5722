#!/usr/bin/env python
"""
Loopback load test: the site under gunicorn, public readers and staff editors at once.

    .venv/bin/python bench/loadtest.py                  # 30 s, 8 readers, 3 editors, SQLite
    .venv/bin/python bench/loadtest.py --duration 60 --database-url postgres://…/scratch

It builds a fresh database (a temporary SQLite file unless --database-url names another;
that one is migrated and gets the demo mission and bench users), starts gunicorn on a free
127.0.0.1 port, then for --duration seconds readers fetch every public page while each
editor signs in to the admin for real and saves edit after edit of its own visit (GET the
change form, POST it back with a new summary). At the end it checks:

- zero errors: every read answered 200, every save answered 302 (saved);
- zero lost edits: every save the server acknowledged is in the visit's audit trail, and
  each visit holds its editor's last acknowledged edit.

It prints a report and exits 1 if either check fails. Nothing leaves the machine.
"""

import argparse
import http.client
import io
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# For the project's packages and tests.browsing, imported once Django is set up.
sys.path.insert(0, str(ROOT))

EDITOR_PASSWORD = "bench-editor-" + secrets.token_urlsafe(8)


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


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {"read": [], "edit": []}
        self.errors = []
        self.acknowledged = {}  # editor -> list of summaries the server said it saved

    def timing(self, kind, seconds):
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message):
        with self.lock:
            self.errors.append(message)


def reader(port, pages, stop, tally):
    browser, n = Browser(port), 0
    while not stop.is_set():
        path = pages[n % len(pages)]
        n += 1
        started = time.perf_counter()
        try:
            status, _, _ = browser.request("GET", path)
        except OSError as error:
            tally.error(f"GET {path}: {error}")
            continue
        tally.timing("read", time.perf_counter() - started)
        if status != 200:
            tally.error(f"GET {path}: HTTP {status}")


def editor(port, username, visit_pk, stop, tally):
    from tests.browsing import read_form

    browser = Browser(port)
    saved = tally.acknowledged.setdefault(username, [])
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
    change = f"/admin/diary/visit/{visit_pk}/change/"
    n = 0
    while not stop.is_set():
        n += 1
        summary = f"Edited by {username}, save #{n}."
        started = time.perf_counter()
        try:
            status, _, html = browser.request("GET", change)
            if status != 200:
                tally.error(f"{username} GET change form: HTTP {status}")
                continue
            form = read_form(html, "visit_form")
            form["summary"] = [summary]
            status, headers, _ = browser.request("POST", change, form)
        except OSError as error:
            tally.error(f"{username} save #{n}: {error}")
            continue
        tally.timing("edit", time.perf_counter() - started)
        if status == 302 and "/change/" not in headers.get("Location", ""):
            saved.append(summary)
        else:
            tally.error(f"{username} save #{n}: HTTP {status}")


def setup_database(environment, editors):
    """Migrate, load the demo, and make one Editor per bench editor, each with a visit."""
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
    visits = list(Visit.objects.published().order_by("pk")[:editors])
    if len(visits) < editors:
        raise SystemExit(f"The demo has {len(visits)} visits; ask for at most that many editors.")
    assignments = {}
    for n, visit in enumerate(visits, start=1):
        username = f"bench-editor-{n}"
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.set_password(EDITOR_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=EDITOR))
        assignments[username] = visit.pk
    return assignments, public_pages()


def lost_edits(assignments, tally):
    """Acknowledged saves missing from the audit trail, and visits not holding the last one."""
    from django.db import connections

    from diary.models import Visit

    connections.close_all()  # read what the server committed, not a cached view
    missing = []
    for username, visit_pk in assignments.items():
        acknowledged = tally.acknowledged.get(username, [])
        recorded = set(
            Visit.history.filter(id=visit_pk, history_user__username=username).values_list(
                "summary", flat=True
            )
        )
        missing += [
            f"{username}: {summary!r}" for summary in acknowledged if summary not in recorded
        ]
        final = Visit.objects.get(pk=visit_pk).summary
        if acknowledged and final != acknowledged[-1]:
            missing.append(f"{username}: visit holds {final!r}, last save was {acknowledged[-1]!r}")
    return missing


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (30)")
    parser.add_argument("--readers", type=int, default=8, help="public reader threads (8)")
    parser.add_argument("--editors", type=int, default=3, help="staff editors (3)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--database-url", help="default: a new temporary SQLite file")
    args = parser.parse_args(argv)

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
    assignments, pages = setup_database(environment, args.editors)

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
    try:
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
        threads = [
            threading.Thread(target=reader, args=(port, pages, stop, tally))
            for _ in range(args.readers)
        ] + [
            threading.Thread(target=editor, args=(port, username, visit_pk, stop, tally))
            for username, visit_pk in assignments.items()
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    missing = lost_edits(assignments, tally)
    reads, edits = tally.latencies["read"], tally.latencies["edit"]
    saves = sum(len(saved) for saved in tally.acknowledged.values())
    database = "SQLite (temporary file)" if not args.database_url else "DATABASE_URL given"
    print(f"Load test: {elapsed:.1f} s against gunicorn ({args.workers} workers), {database}")
    print(f"  readers {args.readers}, editors {len(assignments)}, {len(pages)} public pages")
    for label, values in (("reads", reads), ("admin saves", edits)):
        rate = len(values) / elapsed if elapsed else 0
        print(
            f"  {label:12} {len(values):6d}  {rate:7.1f}/s  "
            f"p50 {statistics.median(values) * 1000 if values else 0:6.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:6.1f} ms  "
            f"max {max(values, default=0) * 1000:6.1f} ms"
        )
    print(f"  acknowledged saves {saves}, errors {len(tally.errors)}, lost edits {len(missing)}")
    for line in (tally.errors + missing)[:20]:
        print(f"    {line}")
    scratch.cleanup()
    ok = not tally.errors and not missing and saves > 0 and reads
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
