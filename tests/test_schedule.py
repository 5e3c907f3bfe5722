"""The c3voc schedule's own choices (docs/c3voc-schedule.md); its consumers: test_consumers.py."""

import datetime
import re

import pytest

from . import factories

pytestmark = pytest.mark.django_db

# The event slug patterns of the voc JSON schema and of the voc XML schema (anchored there).
JSON_SLUG = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
XML_SLUG = re.compile(r"^[a-z0-9_]{4,}-[a-z0-9\-_]{4,}$")


def conference(client, mission):
    response = client.get(f"/missions/{mission.slug}/schedule.json")
    assert response.status_code == 200
    return response.json()["schedule"]["conference"]


def events(conference):
    return [event for day in conference["days"] for room in day["rooms"].values() for event in room]


def test_a_whole_day_never_lasts_24_hours_even_when_the_clocks_go_back(client):
    """pyfahrplan reads a duration as a time of day: 24:00 or 24:59 would crash it."""
    mission = factories.make_mission(
        timezone="Europe/Berlin",
        start_date=datetime.date(2024, 10, 26),
        end_date=datetime.date(2024, 10, 27),
    )
    for date in (mission.start_date, mission.end_date):
        factories.make_visit(mission, day=factories.make_day(mission, date=date))
    document = conference(client, mission)
    assert [(e["date"], e["duration"]) for e in events(document)] == [
        ("2024-10-26T00:00:00+02:00", "23:59"),
        ("2024-10-27T00:00:00+02:00", "23:59"),  # a 25-hour day: ends at 22:59 local
    ]
    assert document["days"][1]["day_end"] == "2024-10-27T23:59:00+01:00"


def test_event_slugs_fit_both_schemas_and_stay_unique(client):
    mission = factories.make_mission(slug="jp")  # a short acronym is padded: jp__
    day = factories.make_day(mission)
    for slug in ["ab", "a", "_x_", "visit-24", "Upper-Case", "ends-with-dash-"]:
        factories.make_visit(mission, day=day, slug=slug)
    slugs = [event["slug"] for event in events(conference(client, mission))]
    assert len(set(slugs)) == len(slugs) == 6
    for slug in slugs:
        assert JSON_SLUG.match(slug) and XML_SLUG.match(slug), slug
    assert "jp__-visit-24" in slugs  # a slug that fits is kept as it is


def test_people_are_named_for_pretalx_and_frab_readers_alike(client):
    mission = factories.make_mission()
    person = factories.make_person(name="Ada Example", honorific="Dr")
    factories.make_visit(mission, day=factories.make_day(mission), people=[person])
    (event,) = events(conference(client, mission))
    (entry,) = event["persons"]
    assert entry["name"] == entry["public_name"] == "Dr Ada Example"
    # No integer id: the schema's oneOf would then match frab's and pretalx's person at once.
    assert "id" not in entry


def test_conference_has_no_description_the_voc_xml_cannot_carry(client):
    mission = factories.make_mission(summary="A summary")
    assert "description" not in conference(client, mission)
