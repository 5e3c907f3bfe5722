"""
Operating the site: what happens when the parts around the app fail or are set up badly.

Items 8, 9, 19 and 21 of the hostile review (issue 9). Start-up settings are tested in a
fresh process (`run_app`), as gunicorn would load them.
"""

import json

import pytest
from django.db import connection
from django.urls import reverse

from missiontracker import backing_services

from ..support import database_url
from .services import ROOT, closed_port, run_app, silent_listener

pytestmark = pytest.mark.django_db

TIMED_GET = """
import time
from django.test import Client
client = Client(raise_request_exception=False)
for path in ("/", "/health/"):
    started = time.monotonic()
    response = client.get(path)
    print(path, response.status_code, round(time.monotonic() - started, 1))
"""


def timed_answers(output):
    """{path: (status, seconds)} from TIMED_GET's output."""
    answers = {}
    for line in output.splitlines():
        path, status, seconds = line.split()
        answers[path] = (int(status), float(seconds))
    return answers


# --- 8. A database that hangs ---------------------------------------------------------------


def test_a_hung_database_gets_the_friendly_503_within_seconds():
    """It accepts the connection and never answers: no 30 s wait, no gunicorn 500."""
    with silent_listener() as port:
        url = f"postgres://mission:secret@127.0.0.1:{port}/missions"
        result = run_app(TIMED_GET, {"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    answers = timed_answers(result.stdout)
    assert answers["/"][0] == 503
    assert answers["/health/"][0] == 503
    for path, (_, seconds) in answers.items():
        assert seconds < 8, f"{path} took {seconds} s"


def test_postgresql_gets_connect_and_statement_timeouts_unless_the_url_says_otherwise():
    parsed = {
        "ENGINE": backing_services.POSTGRESQL,
        "NAME": "missions",
        "OPTIONS": {"connect_timeout": 9},
        "CONN_MAX_AGE": 0,
    }
    config = backing_services.database(parsed)
    assert config["OPTIONS"]["connect_timeout"] == 9
    assert config["CONN_MAX_AGE"] == 0
    assert "statement_timeout=" in config["OPTIONS"]["options"]
    defaults = backing_services.database({"ENGINE": backing_services.POSTGRESQL, "NAME": "m"})
    assert defaults["OPTIONS"]["connect_timeout"] <= 5
    assert defaults["CONN_MAX_AGE"] == 600


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own setting")
def test_postgresql_sessions_run_with_a_statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "0"


SHOW_DATABASE = """
import json
from django.conf import settings
print(json.dumps(settings.DATABASES["default"], default=str))
"""


def test_connections_persist_by_default_on_sqlite_too(tmp_path):
    """A new SQLite connection and its PRAGMAs per request cost more than a cached page."""
    result = run_app(SHOW_DATABASE, {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    database = json.loads(result.stdout)
    assert database["CONN_MAX_AGE"] == 600
    url = f"sqlite:///{tmp_path}/db.sqlite3?conn_max_age=0"
    assert json.loads(run_app(SHOW_DATABASE, {"DATABASE_URL": url}).stdout)["CONN_MAX_AGE"] == 0


CUT_CONNECTION = """
import io, sys
import psycopg
from django.core.wsgi import get_wsgi_application
from django.db import connection

app = get_wsgi_application()  # as gunicorn calls it: request_started, request_finished and all


def get(path):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
    }
    statuses = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    body.close()
    return statuses[0].split()[0]


def cut_kept_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
        dbname=db["NAME"], autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


for path in PATHS:
    before = get(path)
    cut_kept_connection()
    print(path, before, get(path), get(path))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server that cuts connections")
def test_a_connection_the_database_cut_between_requests_is_replaced_not_answered_503():
    """
    A database restart, failover or idle timeout kills the connection a worker keeps: the
    next request, public page or staff page alike, gets a new connection, not a 503.
    """
    paths = ["/", reverse("admin:login"), "/health/"]
    url = database_url(connection.settings_dict)
    result = run_app(f"PATHS = {paths!r}\n" + CUT_CONNECTION, {"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    answers = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert answers == {path: ["200", "200", "200"] for path in paths}, result.stderr


# --- 9. Errors are logged -------------------------------------------------------------------

FAILING_PAGE = """
from django.test import Client
from diary.models import ContentVersion

def broken(cls, using=None):
    raise ZeroDivisionError("a bug in the page cache")

ContentVersion.current = classmethod(broken)
print(Client(raise_request_exception=False).get("/missions/japan-2024/").status_code)
"""


def test_every_server_error_is_written_to_stderr_with_its_path_and_traceback(tmp_path):
    result = run_app(FAILING_PAGE, {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert result.stdout.strip() == "500", result.stderr
    assert "Internal Server Error: /missions/japan-2024/" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError: a bug in the page cache" in result.stderr


def test_a_database_outage_is_logged_too():
    result = run_app(TIMED_GET, {"DATABASE_URL": f"postgres://m@127.0.0.1:{closed_port()}/m"})
    assert "Service Unavailable: /" in result.stderr
    assert "Health check: database unavailable" in result.stderr


# --- 19. The example secret key ---------------------------------------------------------------

CHECK_DEPLOY = """
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
"""


@pytest.mark.parametrize(
    "key",
    [
        "change-me-to-a-long-random-value-of-fifty-characters-or-more",  # .env.example's
        "a-short-key-of-thirty-chars-xy",
        "a" * 60,
        "",
    ],
    ids=["placeholder", "short", "one-character", "empty"],
)
def test_the_site_refuses_to_start_with_a_placeholder_or_weak_secret_key(key):
    result = run_app(CHECK_DEPLOY, {"SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is" in result.stderr


def test_the_documented_placeholder_is_the_one_refused():
    lines = (ROOT / ".env.example").read_text().splitlines()
    keys = [line.split("=", 1)[1].strip() for line in lines if line.startswith("SECRET_KEY=")]
    assert keys, ".env.example shows a SECRET_KEY"
    result = run_app(CHECK_DEPLOY, {"SECRET_KEY": keys[0]})
    assert "ImproperlyConfigured" in result.stderr


# --- 21. Methods ------------------------------------------------------------------------------


def test_health_answers_head_and_options_as_load_balancers_send_them(client):
    head = client.head("/health/")
    assert head.status_code == 200
    options = client.options("/health/")
    assert options.status_code == 200
    assert set(options["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "PUT", "DELETE", "PATCH", "CONNECT"])
def test_methods_no_view_handles_get_a_small_405(client, demo, method):
    for path in ("/", demo.get_absolute_url(), "/health/", reverse("admin:index")):
        response = client.generic(method, path)
        assert response.status_code == 405, (method, path)
        assert len(response.content) < 200
        assert "GET" in response["Allow"]
