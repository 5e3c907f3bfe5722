"""
The page cache under attack and failure: items 7, 10, 11 and 12 of the hostile review.

A cache is an optimisation. When Redis is down or hangs, pages are rendered and served;
whoever can reach Redis cannot run code in the app; what a client sends cannot plant a page
other readers get, nor make the cache grow without bound.
"""

import json
import os
import pickle
import time
from unittest import mock

import environ
import pytest
from django.core.cache.backends.dummy import DummyCache
from django.test import Client

from missiontracker import backing_services

from .services import closed_port, silent_listener

pytestmark = pytest.mark.django_db

# A database number of its own on the shared development Redis, one per pytest process
# (make test runs one per core with pytest-xdist: gw0 uses 7, gw1 8, ...).
REDIS_DATABASE = 7 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DATABASE}"


def use_cache(settings, url):
    """CACHES as settings.py builds them from CACHE_URL=url."""
    parsed = environ.Env.cache_url_config(url)
    settings.CACHES = {"default": backing_services.cache(parsed)}


def timed_get(client, path, **extra):
    started = time.monotonic()
    response = client.get(path, **extra)
    return response, time.monotonic() - started


# --- 7. Redis down or hanging -----------------------------------------------------------------


@pytest.fixture(params=["closed port", "silent listener"])
def broken_redis(request, settings):
    """Redis refusing connections, or accepting them and never answering."""
    if request.param == "closed port":
        use_cache(settings, f"redis://127.0.0.1:{closed_port()}/0")
        yield
    else:
        with silent_listener() as port:
            use_cache(settings, f"redis://127.0.0.1:{port}/0")
            yield


def test_pages_are_served_when_redis_is_down_or_hangs(client, demo, broken_redis):
    url = demo.get_absolute_url()
    # The first request also pays what a process does once (the route map's outlines, the
    # templates): a looser bound, still far from the minutes a hanging Redis would cost.
    response, seconds = timed_get(client, url)
    assert response.status_code == 200 and seconds < 5, f"{seconds:.1f} s for the first page"
    for _ in range(3):
        response, seconds = timed_get(client, url)
        assert response.status_code == 200
        assert "ispace and the Tokyo Mission Control room" in response.text
        assert seconds < 2, f"{seconds:.1f} s waiting for the cache"
    # Another process (its own memory empty) renders too.
    response, seconds = timed_get(Client(), url)
    assert response.status_code == 200 and seconds < 2


def test_health_reports_the_degraded_cache_without_failing(client, broken_redis):
    response, seconds = timed_get(client, "/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}
    assert seconds < 2


def test_redis_gets_short_socket_timeouts_by_default():
    config = backing_services.cache(environ.Env.cache_url_config(REDIS_URL))
    assert config["OPTIONS"]["socket_connect_timeout"] < 1
    assert config["OPTIONS"]["socket_timeout"] < 1
    overridden = environ.Env.cache_url_config(REDIS_URL + "?socket_timeout=2")
    assert backing_services.cache(overridden)["OPTIONS"]["socket_timeout"] == 2


# --- 10. Cache poisoning by Host ------------------------------------------------------------


def canonical_link(html):
    start = html.index('rel="canonical"')
    return html[html.rindex("<link", 0, start) : html.index(">", start)]


def test_a_host_with_another_port_does_not_plant_its_links_for_other_readers(client, demo):
    url = demo.get_absolute_url()
    planted = client.get(url, headers={"Host": "testserver:4444"})
    assert "testserver:4444" in canonical_link(planted.text)  # its own page, rendered for it
    for reader in (client, Client()):
        page = reader.get(url)
        assert page.status_code == 200
        assert "testserver:4444" not in page.text
        assert f'href="http://testserver{url}"' in canonical_link(page.text)


def test_a_host_in_other_case_does_not_plant_its_links_either(client, demo):
    url = demo.get_absolute_url()
    client.get(url, headers={"Host": "TestServer"})
    assert "TestServer" not in client.get(url).text


def test_a_disallowed_host_gets_400_even_for_a_cached_page(client, demo):
    url = demo.get_absolute_url()
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # now from the cache
    assert client.get(url, headers={"Host": "attacker.example"}).status_code == 400


def test_pages_are_cached_per_scheme(client, demo):
    url = demo.get_absolute_url()
    client.get(url)
    secure = client.get(url, secure=True)
    assert f'href="https://testserver{url}"' in canonical_link(secure.text)


# --- 11. Nothing read from the cache can execute ------------------------------------------------


class Payload:
    """What an attacker with access to Redis would store: unpickling it runs a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_the_redis_serializer_never_unpickles(tmp_path):
    marker = tmp_path / "ran"
    serializer = backing_services.JSONSerializer()
    assert serializer.loads(pickle.dumps(Payload(marker))) is None
    assert not marker.exists()
    assert serializer.loads(serializer.dumps({"a": [1, "b"]})) == {"a": [1, "b"]}
    assert serializer.loads(serializer.dumps(7)) == 7


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    use_cache(settings, REDIS_URL)
    yield client
    for key in client.scan_iter("*diary:page*"):
        client.delete(key)


def test_a_page_planted_in_redis_as_pickle_runs_nothing(demo, redis_cache, tmp_path):
    url = demo.get_absolute_url()
    assert Client().get(url).status_code == 200  # stored in Redis
    keys = list(redis_cache.scan_iter("*diary:page*"))
    assert keys, "the page went to Redis"
    for key in keys:
        json.loads(redis_cache.get(key))  # what the app wrote is JSON
    marker = tmp_path / "ran"
    for key in keys:
        redis_cache.set(key, pickle.dumps(Payload(marker)))
    page = Client().get(url)  # another process: nothing in its own memory
    assert not marker.exists(), "the planted pickle ran"
    assert page.status_code == 200
    assert "ispace and the Tokyo Mission Control room" in page.text


def test_a_page_planted_in_redis_as_json_of_another_shape_is_ignored(demo, redis_cache):
    url = demo.get_absolute_url()
    Client().get(url)
    for key in redis_cache.scan_iter("*diary:page*"):
        redis_cache.set(key, json.dumps({"format": 1, "content": "not base64!"}))
    page = Client().get(url)
    assert page.status_code == 200 and "ispace" in page.text


# --- 12. Bounded keys --------------------------------------------------------------------------


@pytest.fixture
def stored_keys(settings):
    """The keys the page cache writes to the shared cache, recorded."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with mock.patch.object(DummyCache, "set", autospec=True) as spy:
        yield lambda: {call.args[1] for call in spy.call_args_list}


def test_junk_query_strings_make_no_cache_entries(client, demo, stored_keys):
    url = demo.get_absolute_url()
    client.get(url)
    assert len(stored_keys()) == 1
    for junk in range(20):
        response = client.get(f"{url}?utm_source={junk}")
        assert response.status_code == 200
    for junk in ("&", "?", "x", "a=1&a=2"):
        client.get(f"{url}?{junk}")
    assert len(stored_keys()) == 1


def test_accept_language_values_share_one_entry(client, demo, stored_keys):
    url = demo.get_absolute_url()
    for language in ("fr", "ja", "de-CH", "xx-junk-1", "xx-junk-2", "*", "en;q=0.1"):
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200
        assert '<html lang="en">' in response.text  # the address chooses the language
    client.get(url, headers={"Cookie": "django_language=ja"})
    assert len(stored_keys()) == 1
    client.get("/ja" + url)
    assert len(stored_keys()) == 2


def test_declared_parameters_are_cached_and_undeclared_ones_are_not(client, demo, stored_keys):
    client.get("/search/?q=JAXA")
    assert len(stored_keys()) == 1
    client.get("/search/?q=JAXA&sort=junk")
    client.get("/search/?q=JAXA&q=again")
    assert len(stored_keys()) == 1
    client.get("/search/?q=Yamakawa")
    assert len(stored_keys()) == 2


def test_a_page_is_keyed_on_the_day_as_agreement_statuses_follow_the_date(rf):
    """Past an agreement's expiry date its status reads "expired" with no edit: the page
    cached the day before must not be served (nor its ETag validated) the day after."""
    import datetime

    from diary.caching import page_validators

    request = rf.get("/agreements/")
    monday = page_validators(request, 7, 1_700_000_000, today=datetime.date(2030, 1, 7))
    tuesday = page_validators(request, 7, 1_700_000_000, today=datetime.date(2030, 1, 8))
    assert monday != tuesday
    assert monday[1] != tuesday[1]  # the ETag too
