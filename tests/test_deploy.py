"""Safe to deploy: production settings pass Django's checks, headers, health, and a 503 page."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import RequestFactory
from django.urls import reverse

from diary.models import Agreement, Day, Mission, Visit
from missiontracker.errors import server_error

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def documented_production_environment():
    """The KEY=value lines of .env.example (commented-out lines are optional extras)."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def run_check_deploy(environment):
    # Only the given settings: nothing from the test run or a developer's shell leaks in.
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


# What an operator puts in place of .env.example's placeholder.
A_REAL_SECRET_KEY = "q8Vd2-Jx7pLr0sWm4KfT9bNc6HyZ1aEu3GiO5vQk8RtY2wXn7MjB0lCe4DhF6gSa"


def test_check_deploy_reports_nothing_with_the_documented_production_environment():
    production = documented_production_environment()
    assert production["DEBUG"] == "false"
    production["SECRET_KEY"] = A_REAL_SECRET_KEY
    result = run_check_deploy(production)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_check_deploy_would_catch_a_production_setup_without_https():
    production = documented_production_environment()
    production.update(
        SECRET_KEY=A_REAL_SECRET_KEY, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"
    )
    result = run_check_deploy(production)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


# --- Headers ---------------------------------------------------------------------------------

PUBLIC_PAGES = [
    "/",
    "/missions/japan-2024/",
    "/missions/japan-2024/2024-06-11/",
    "/missions/japan-2024/visits/ispace/",
    "/missions/japan-2024/updates/",
    "/organisations/jaxa/",
    "/organisations/",
    "/people/",
    "/agreements/",
    "/search/?q=JAXA",
    "/sources/5e8127f6-d6a4-4a50-8e49-a22c118f5b5e/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_a_content_security_policy_without_unsafe_inline(client, demo, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def inline_code(html):
    """Inline scripts and styles a policy without 'unsafe-inline' would block."""
    found = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and not re.search(r'type="application/(ld\+)?json"', tag)
    ]
    found += re.findall(r"<[^>]+\sstyle=\"[^\"]*\"", html)
    found += re.findall(r"<style\b", html)
    found += re.findall(r"\son[a-z]+=\"", html)  # onclick= and the like
    return found


def test_public_pages_carry_no_inline_script_or_style(client, demo):
    """What the policy forbids, the pages must not need: scripts are files or JSON data."""
    for path in PUBLIC_PAGES:
        assert inline_code(client.get(path).content.decode()) == [], path


@pytest.mark.parametrize("model", [Mission, Day, Visit, Agreement], ids=lambda m: m.__name__)
def test_admin_pages_work_under_the_same_strict_policy(staff_client, demo, model):
    """Why the admin needs no relaxed policy: none of its pages relies on inline code."""
    name, obj = model._meta.model_name, model.objects.first()
    for url in (
        reverse(f"admin:diary_{name}_changelist"),
        reverse(f"admin:diary_{name}_add"),
        reverse(f"admin:diary_{name}_change", args=[obj.pk]),
        reverse(f"admin:diary_{name}_history", args=[obj.pk]),
        reverse("admin:index"),
        reverse("admin:login"),
    ):
        response = staff_client.get(url)
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert inline_code(response.content.decode()) == [], url


def test_pages_forbid_framing_and_leaking_referrers(client, demo):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Health ----------------------------------------------------------------------------------


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as it does when the database server is unreachable."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)


def test_health_answers_ok_when_the_database_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_503_when_the_database_is_down(client, database_down):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_health_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200
    assert client.get("/").status_code == 301


# --- Database down ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES[:-1])
def test_public_pages_answer_a_friendly_503_when_the_database_is_down(
    client, demo, monkeypatch, path
):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get(path)
    assert response.status_code == 503
    html = response.content.decode()
    assert "temporarily unavailable" in html
    assert "Nothing has been lost" in html
    assert 'href="/static/css/site.' in html  # in the site's own design
    assert response["Retry-After"] == "30"

    monkeypatch.undo()  # the database is back: the same process serves again
    assert client.get(path).status_code == 200


def test_the_admin_answers_503_too_when_the_database_is_down(staff_client, demo, database_down):
    response = staff_client.get(reverse("admin:diary_mission_changelist"))
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("error", "status"),
    [
        # A database failure outside any view still gets the 503 page...
        (OperationalError("server closed the connection unexpectedly"), 503),
        # ...and other server errors keep the plain 500.
        (ValueError("a bug"), 500),
    ],
)
def test_the_error_page_answers_503_for_a_database_failure_and_500_for_the_rest(error, status):
    request = RequestFactory().get("/")
    try:
        raise error
    except type(error):
        response = server_error(request)
    assert response.status_code == status
    assert ("temporarily unavailable" in response.content.decode()) == (status == 503)
