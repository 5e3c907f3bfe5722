"""
Hostile requests to the places of a mission: /missions/<slug>/places.geojson and the route
map. Drafts stay private (for staff too: a format is the public record), junk is turned
away, HEAD and ETag behave as on every format, and text in place names stays text.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from diary.models import Place
from tests.factories import make_day, make_draft_world, make_mission, make_place, make_visit

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '</text><script>alert(1)</script><text x="0" style="fill:red">&amp;'


def places_url(slug):
    return reverse("diary:mission_places", kwargs={"slug": slug})


@pytest.fixture
def published(db):
    mission = make_mission(title="Published mission", slug="published-mission")
    make_visit(mission, day=make_day(mission), place=make_place(name="Somewhere"))
    return mission


def test_a_drafts_places_are_404_for_anonymous_readers_and_for_staff(staff):
    draft = make_draft_world()["mission"]
    make_visit(draft, place=make_place(name="Secret site"))
    assert Client().get(places_url(draft.slug)).status_code == 404
    assert staff.get(places_url(draft.slug)).status_code == 404
    assert staff.head(places_url(draft.slug)).status_code == 404


def test_a_place_used_only_by_a_draft_is_not_published(db):
    draft = make_draft_world()["mission"]
    secret = make_place(name="Secret site")
    make_visit(draft, place=secret)
    assert secret not in Place.objects.published()


@pytest.mark.parametrize("slug", ["no-such-mission", "x" * 300, "published-mission-"])
def test_unknown_or_absurd_missions_are_404(slug, published):
    assert Client().get(places_url(slug)).status_code == 404


@pytest.mark.parametrize(
    "path", ["places.geojson/", "places.geojsonx", "places.json", "PLACES.geojson"]
)
def test_near_miss_addresses_are_404(path, published):
    assert Client().get(f"/missions/{published.slug}/{path}").status_code == 404


@pytest.mark.parametrize("query", ["?bbox=0,0,1,1", "?callback=x", "?" + "a=b&" * 500])
def test_a_query_string_is_sent_to_the_bare_address(query, published):
    response = Client().get(places_url(published.slug) + query)
    assert response.status_code == 301
    assert response["Location"] == places_url(published.slug)


def test_head_carries_gets_etag_and_a_matching_etag_gets_304(published):
    client = Client()
    get = client.get(places_url(published.slug))
    head = client.head(places_url(published.slug))
    assert get.status_code == head.status_code == 200
    assert head["ETag"] == get["ETag"] and head.content == b""
    again = client.get(places_url(published.slug), headers={"If-None-Match": get["ETag"]})
    assert again.status_code == 304


def test_writing_methods_are_refused(published):
    assert Client().post(places_url(published.slug)).status_code == 405


def test_hostile_place_names_stay_text_in_the_map_and_the_geojson(published):
    place = published.visits.get().place
    place.name = HOSTILE_NAME
    place.save()
    html = Client().get(published.get_absolute_url()).content.decode()
    svg = html[html.index('<svg class="route-map"') : html.index("</svg>")]
    assert "<script>" not in svg and 'style="' not in svg
    document = json.loads(Client().get(places_url(published.slug)).content)
    assert document["features"][0]["properties"]["name"] == HOSTILE_NAME
