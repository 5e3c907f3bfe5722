"""
In-process measurements for bench/run.py, printed as JSON: queries per public page (small
and large mission), uncached render times, and the query count of each admin changelist.
Run with the benchmark database's environment; `python bench/probe.py SMALL LARGE`.
"""

import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from diary.models import Agreement, ContentVersion, Mission, Organisation, Person, Visit  # noqa: E402

CONSTANT_PATH = "/benchmark/constant/"
ADMIN_MODELS = ["mission", "day", "visit", "organisation", "person", "agreement", "source"]


def busiest(queryset, relation):
    return queryset.annotate(n=Count(relation)).order_by("-n").first()


def pages(mission):
    visits = Visit.objects.filter(mission=mission)
    visit = visits.filter(day__isnull=False).first()
    found = {
        "home": reverse("diary:home"),
        "itinerary": mission.get_absolute_url(),
        "day": visit.day.get_absolute_url(),
        "visit": visit.get_absolute_url(),
        "organisation": busiest(Organisation.objects.filter(visits__in=visits), "visits"),
        "person": busiest(Person.objects.filter(visits__in=visits), "visits"),
        "agreement list": reverse("diary:agreements"),
        "organisations A–Z": reverse("diary:organisations"),
        "people A–Z": reverse("diary:people"),
        "agreement": Agreement.objects.filter(mission=mission).first()
        or Agreement.objects.published().first(),
    }
    return {
        name: page if isinstance(page, str) else page.get_absolute_url()
        for name, page in found.items()
        if page is not None
    }


def measure(client, url):
    """(status, queries, seconds) of one uncached request."""
    # A new content version: no page stored under the old one (in Redis or in this
    # process's own memory) can answer, as after an edit.
    ContentVersion.bump()
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    return response.status_code, len(queries), elapsed


def wsgi_seconds(application, path, times):
    """Seconds per request of the cached page, through the whole WSGI stack, no network."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    started = time.perf_counter()
    for _ in range(times):
        response = application({**environ, "wsgi.input": io.BytesIO()}, lambda *args: None)
        b"".join(response)
        response.close()
    return (time.perf_counter() - started) / times


def in_process_ratios(urls, rounds=7, times=200):
    """Constant view's time ÷ each page's, interleaved, best of `rounds`: CPU cost alone."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    ratios = {}
    for name in ("itinerary", "day", "organisation"):
        wsgi_seconds(application, urls[name], 10)
        pairs = [
            (
                wsgi_seconds(application, CONSTANT_PATH, times),
                wsgi_seconds(application, urls[name], times),
            )
            for _ in range(rounds)
        ]
        constant, page = min(p[0] for p in pairs), min(p[1] for p in pairs)
        ratios[name] = {
            "constant_us": constant * 1e6,
            "page_us": page * 1e6,
            "ratio": constant / page,
        }
    return ratios


def main(small_slug, large_slug):
    client = Client(HTTP_HOST="127.0.0.1")
    report = {"pages": {}, "admin": {}, "urls": {}}
    for size, slug in (("small", small_slug), ("large", large_slug)):
        mission = Mission.objects.get(slug=slug)
        urls = pages(mission)
        report["urls"][size] = urls
        for name, url in urls.items():
            measure(client, url)  # warm Python-level caches (templates, URL resolver)
            status, queries, seconds = measure(client, url)
            report["pages"].setdefault(name, {})[size] = {
                "status": status,
                "queries": queries,
                "ms": round(seconds * 1000, 1),
                "visits": mission.visits.count(),
            }
    user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client.force_login(user)
    for model in ADMIN_MODELS:
        url = reverse(f"admin:diary_{model}_changelist")
        client.get(url)
        status, queries, seconds = measure(client, url)
        report["admin"][model] = {"status": status, "queries": queries, "ms": round(seconds * 1000)}
    report["in_process"] = in_process_ratios(report["urls"]["large"])
    large = Mission.objects.get(slug=large_slug)
    report["large_visit_pks"] = list(large.visits.values_list("pk", flat=True))
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:3])
