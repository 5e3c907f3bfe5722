#!/usr/bin/env python3
"""
The route map of a mission with 200 places across several countries:
`.venv/bin/python bench/map_speed.py [--places 200] [--rounds 5]`.

Builds a throwaway SQLite diary (migrated from scratch) with one published mission whose
visits happen at --places places spread over Europe and Asia (three in four dated), then
prints: decoding the vendored outlines (once per process), drawing the map alone (queries
+ projection + SVG), the whole mission page uncached (a reader with a session cookie,
whom the page cache never serves) and the page as the cache then serves it — CPU seconds of this process (SQLite
runs in it), with query counts and sizes. tests/test_places.py asserts the query counts.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu(function):
    start = time.process_time()
    result = function()
    return time.process_time() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="map-speed-")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missiontracker.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from diary import maps, queries
    from diary.models import Day, Mission, Place, Visit

    call_command("migrate", verbosity=0)
    mission = Mission.objects.create(
        title="Map bench",
        slug="map-bench",
        # Its visits are in ten countries; its host country is the first.
        host_country="FR",
        timezone="Europe/Paris",
        start_date=datetime.date(2024, 6, 1),
        end_date=datetime.date(2024, 6, 20),
        status=Mission.Status.PUBLISHED,
    )
    days = [
        Day.objects.create(mission=mission, date=mission.start_date + datetime.timedelta(i))
        for i in range(20)
    ]
    countries = ["FR", "DE", "IT", "ES", "PL", "JP", "KR", "IN", "TR", "GR"]
    places = Place.objects.bulk_create(
        Place(
            name=f"Research centre {i}",
            city=f"City {i}",
            country=countries[i % 10],
            latitude=f"{30 + (i * 37) % 30 + (i % 7) / 10:.4f}",
            longitude=f"{-5 + (i * 53) % 140 + (i % 3) / 10:.4f}",
            coordinates_source="bench",
        )
        for i in range(args.places)
    )
    Visit.objects.bulk_create(
        Visit(
            mission=mission,
            title=f"Visit {i}",
            slug=f"visit-{i}",
            place=place,
            day=days[i % 20] if i % 4 else None,
            position=i,
        )
        for i, place in enumerate(places)
    )

    decode, _ = cpu(lambda: (maps.countries("50m"), maps.countries("110m")))
    print(f"{args.places} places in {len(countries)} countries, {args.rounds} rounds (CPU s)")
    print(f"  decode vendored outlines, once per process: {decode:.3f}")

    def draw():
        route = queries.mission_map(mission)
        return route.svg("bench", maps.map_description(route))

    timings, svg = [], ""
    for _ in range(args.rounds):
        seconds, svg = cpu(draw)
        timings.append(seconds)
    with CaptureQueriesContext(connection) as captured:
        draw()
    print(
        f"  map alone: median {statistics.median(timings):.3f}, max {max(timings):.3f}; "
        f"{len(captured)} query; SVG {len(svg) / 1024:.0f} KiB"
    )

    client = Client()
    url = mission.get_absolute_url()
    # A reader with a session cookie is never served from the page cache: every request
    # renders the page.
    session_reader = Client()
    session_reader.cookies["sessionid"] = "bench-reader"
    uncached = []
    for _ in range(args.rounds):
        seconds, response = cpu(lambda: session_reader.get(url))
        assert response.status_code == 200
        uncached.append(seconds)
    with CaptureQueriesContext(connection) as captured:
        response = session_reader.get(url)
    print(
        f"  mission page uncached: median {statistics.median(uncached):.3f}, "
        f"max {max(uncached):.3f}; {len(captured)} queries; {len(response.content) / 1024:.0f} KiB"
    )
    cache.clear()
    client.get(url)  # the first anonymous request fills the cache
    cached = []
    for _ in range(args.rounds):
        seconds, response = cpu(lambda: client.get(url))
        cached.append(seconds)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    print(f"  mission page cached: median {statistics.median(cached):.4f}; {len(captured)} queries")


if __name__ == "__main__":
    main()
