"""Cached public pages are never stale: every edit is seen on the very next request."""

import gzip
import io
import time
from unittest import mock

import pytest
from django.core.cache.backends.dummy import DummyCache
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.http import parse_http_date

from diary.models import ContentVersion

from .browsing import read_form, single_values

pytestmark = pytest.mark.django_db


def worker_cache(name):
    """The settings of one server process's own in-memory cache."""
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": name,
            }
        }
    )


def rename_visit_in_admin(staff_client, visit, title):
    """Open the visit's change form as an editor would, change the title, save."""
    url = reverse("admin:diary_visit_change", args=[visit.pk])
    data = single_values(read_form(staff_client.get(url).text, "visit_form"))
    data["title"] = title
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def ispace(demo):
    return demo.visits.get(slug="ispace")


def test_a_repeated_anonymous_visit_is_served_from_the_cache_in_one_query(
    client, demo, django_assert_num_queries
):
    first = client.get(demo.get_absolute_url())
    with django_assert_num_queries(1):  # the content version, nothing else
        again = client.get(demo.get_absolute_url())
    assert again.content == first.content


def test_an_admin_edit_shows_on_the_itinerary_at_the_next_request(staff_client, demo, ispace):
    reader = Client()
    assert "ispace and the Tokyo Mission Control room" in reader.get(demo.get_absolute_url()).text
    rename_visit_in_admin(staff_client, ispace, "Renamed ispace visit")
    html = reader.get(demo.get_absolute_url()).text
    assert "Renamed ispace visit" in html
    assert "ispace and the Tokyo Mission Control room" not in html


def test_not_modified_only_while_nothing_changed(staff_client, demo, ispace):
    reader = Client()
    first = reader.get(demo.get_absolute_url())
    etag = first["ETag"]
    assert reader.get(demo.get_absolute_url(), headers={"If-None-Match": etag}).status_code == 304
    rename_visit_in_admin(staff_client, ispace, "Renamed ispace visit")
    after = reader.get(demo.get_absolute_url(), headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after["ETag"] != etag
    assert "Renamed ispace visit" in after.text


def content_changed_seconds_ago(seconds):
    """Date the last change back, as if the content had stood still since."""
    ContentVersion.objects.update(changed_at=int(time.time()) - seconds)


def test_last_modified_moves_with_every_edit(staff_client, demo, ispace):
    content_changed_seconds_ago(60)
    reader = Client()
    last_modified = reader.get(demo.get_absolute_url())["Last-Modified"]
    since = {"If-Modified-Since": last_modified}
    assert reader.get(demo.get_absolute_url(), headers=since).status_code == 304
    rename_visit_in_admin(staff_client, ispace, "Renamed ispace visit")
    assert reader.get(demo.get_absolute_url(), headers=since).status_code == 200


def test_two_workers_with_their_own_caches_both_see_an_edit_made_through_one(
    staff_client, demo, ispace
):
    reader = Client()
    for worker in ("worker-a", "worker-b"):
        with worker_cache(worker):
            assert "ispace and the Tokyo" in reader.get(demo.get_absolute_url()).text
    with worker_cache("worker-a"):
        rename_visit_in_admin(staff_client, ispace, "Renamed ispace visit")
    for worker in ("worker-a", "worker-b"):
        with worker_cache(worker):
            assert "Renamed ispace visit" in reader.get(demo.get_absolute_url()).text, worker


def test_a_page_staff_saw_is_never_served_to_anonymous_readers(staff_client, draft_world):
    mission = draft_world["mission"]
    assert "Draft — visible to staff only" in staff_client.get(mission.get_absolute_url()).text
    assert Client().get(mission.get_absolute_url()).status_code == 404


def test_staff_get_fresh_pages_not_the_shared_copy(staff_client, demo):
    page = Client().get(demo.get_absolute_url())
    assert "ETag" in page
    assert "ETag" not in staff_client.get(demo.get_absolute_url())


def test_loading_a_fixture_retires_cached_pages(client, demo):
    before = ContentVersion.current()
    client.get(demo.get_absolute_url())
    call_command("load_demo", stdout=io.StringIO())
    assert ContentVersion.current()[0] > before[0]


def test_generated_data_retires_cached_pages(client, demo):
    client.get(reverse("diary:home"))
    call_command(
        "generate_data",
        "--missions=1",
        "--max-days=1",
        "--organisations=3",
        "--people=3",
        "--agreements=0",
        stdout=io.StringIO(),
    )
    assert "gen-mission-0" in client.get(reverse("diary:home")).text


def test_readers_accepting_gzip_get_the_same_page_compressed(client, demo):
    plain = client.get(demo.get_absolute_url())
    for _ in range(2):  # rendered then stored, and from the cache
        packed = client.get(demo.get_absolute_url(), headers={"Accept-Encoding": "gzip"})
        assert packed["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.content) == plain.content
        assert int(packed["Content-Length"]) == len(packed.content)
    assert packed["ETag"] != plain["ETag"]
    assert "Accept-Encoding" in packed["Vary"]
    etag = {"If-None-Match": packed["ETag"], "Accept-Encoding": "gzip"}
    assert client.get(demo.get_absolute_url(), headers=etag).status_code == 304


def test_pages_cached_by_the_previous_release_are_not_served_after_a_deploy(
    client, demo, monkeypatch, django_assert_max_num_queries
):
    """A shared cache (Redis) outlives the workers: new code must not serve old pages."""
    url = demo.get_absolute_url()
    before = client.get(url)
    monkeypatch.setattr("diary.caching.code_release", lambda: "a-newer-release")
    with django_assert_max_num_queries(10) as captured:  # a page rendered afresh
        after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert len(captured) > 1, "rendered afresh, not read from the cache"


def test_last_modified_is_never_later_than_the_date_after_an_import(client, demo):
    """An import bumps the version many times in a second; the date must stay in the past."""
    for _ in range(30):
        ContentVersion.bump()
    response = client.get(demo.get_absolute_url())
    now = time.time()
    assert ContentVersion.current()[1] <= now
    if "Last-Modified" in response:  # none at all while the change is this second's
        assert parse_http_date(response["Last-Modified"]) <= now


def test_a_page_from_the_second_of_a_change_carries_no_date(client, demo):
    """Two versions can share a second: a page of that second must give no date to send back."""
    for _ in range(5):
        ContentVersion.bump()
        changed_at = ContentVersion.current()[1]
        response = client.get(demo.get_absolute_url())
        if int(time.time()) == changed_at:  # the whole exchange within that second
            assert "Last-Modified" not in response
            assert "ETag" in response  # still validated, by its version
            return
    pytest.skip("the clock turned a second during every attempt")


def test_a_local_hit_costs_no_trip_to_the_shared_cache(client, demo, settings):
    """Redis behind each process's own memory: a page this process has costs no round trip."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    url = demo.get_absolute_url()
    client.get(url)
    with mock.patch.object(DummyCache, "get", side_effect=AssertionError("asked Redis")):
        again = client.get(url)
    assert again.status_code == 200 and "ispace" in again.text


def test_pages_whose_language_is_in_the_address_do_not_vary_on_accept_language(client, demo):
    # override: the French page activates French in this thread, and later tests build URLs.
    with translation.override("en"):
        for url in (demo.get_absolute_url(), "/fr" + demo.get_absolute_url()):
            for _ in range(2):  # rendered, then from the cache
                vary = client.get(url, headers={"Accept-Language": "ja"})["Vary"]
                assert "Accept-Language" not in vary, url
                assert "Accept-Encoding" in vary
