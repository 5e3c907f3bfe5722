"""
Hostile requests to the open data (/agreements.csv, /meetings.csv, their CSVW metadata) and
the filtered registry: drafts asked for by anonymous readers and by staff, junk and reordered
query strings, absurd filter values, HEAD/ETag/304, cookies that try to step around the
cache, text that breaks naive CSV writers.
"""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.models import Agreement
from tests.factories import (
    make_agreement,
    make_day,
    make_draft_world,
    make_mission,
    make_organisation,
    make_visit,
)

pytestmark = pytest.mark.django_db

DOCUMENTS = [
    "agreements_csv",
    "meetings_csv",
    "agreements_csv_metadata",
    "meetings_csv_metadata",
]


def url(name):
    return reverse(f"diary:{name}")


@pytest.fixture
def published(db):
    mission = make_mission(title="Published mission", slug="published-mission")
    partner = make_organisation(name="Partner", slug="partner", country="JP")
    visit = make_visit(mission, day=make_day(mission), title="A visit", organisations=[partner])
    make_agreement(mission, parties=[partner], title="Public agreement", signed_at_visit=visit)
    return mission


@pytest.mark.parametrize("name", ["agreements_csv", "meetings_csv"])
def test_drafts_are_in_no_csv_for_anonymous_readers_nor_staff(name, published, staff):
    world = make_draft_world()
    for client in (Client(), staff):
        text = client.get(url(name)).content.decode()
        assert "Public agreement" in text or "A visit" in text
        for record in world.values():
            assert str(record.uuid) not in text
        assert "Secret" not in text and "Hidden Partner" not in text


def test_a_draft_party_cannot_be_probed_through_the_filters(published, staff):
    """Filtering on a party named only in drafts answers as for a party that does not exist."""
    make_draft_world()
    for client in (Client(), staff):
        response = client.get(url("agreements_csv") + "?party=hidden-partner")
        assert response.status_code == 200
        assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 1  # header


@pytest.mark.parametrize(
    "name", ["meetings_csv", "agreements_csv_metadata", "meetings_csv_metadata"]
)
@pytest.mark.parametrize("query", ["?x=1", "?p=-1&page=%00", "?" + "a=1&" * 200, "?=", "?%ff"])
def test_a_query_string_on_a_document_without_filters_goes_to_the_bare_address(
    name, query, published
):
    response = Client().get(url(name) + query)
    assert response.status_code == 301
    assert response["Location"] == url(name)


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("?kind=moc&party=partner", "?party=partner&kind=moc"),
        ("?party=partner&party=other", "?party=other"),
        ("?party=&kind=moc", "?kind=moc"),
        ("?junk=1&" + "a=1&" * 200, ""),
        ("?page=2", ""),  # the CSV is never paged
    ],
)
def test_the_csv_filters_have_one_address(query, canonical, published):
    response = Client().get(url("agreements_csv") + query)
    assert response.status_code == 301
    assert response["Location"] == url("agreements_csv") + canonical


@pytest.mark.parametrize(
    "query",
    ["?year=soon", "?year=99999999999999999999", "?status=%00", "?level=galactic", "?sort=chaos"],
)
def test_absurd_filter_values_are_400_not_500(query, published):
    for name in ("agreements", "agreements_csv"):
        response = Client().get(url(name) + query)
        assert response.status_code == 400, (name, query)


@pytest.mark.parametrize("value", ["a" * 5000, "%00", "'; DROP TABLE diary_agreement; --", "日本"])
def test_odd_text_filters_select_nothing_and_break_nothing(value, published):
    for name in ("agreements", "agreements_csv"):
        response = Client().get(url(name), {"party": value})
        assert response.status_code in (200, 301), name
    assert Agreement.objects.count() == 1


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_head_carries_gets_etag_and_a_matching_etag_gets_304(name, reader, published, staff):
    client = Client() if reader == "anonymous" else staff
    get = client.get(url(name))
    assert get.status_code == 200
    head = client.head(url(name))
    assert head.status_code == 200
    assert head["ETag"] == get["ETag"]
    assert head.content == b""
    assert client.get(url(name), headers={"If-None-Match": get["ETag"]}).status_code == 304


@pytest.mark.parametrize("name", DOCUMENTS)
def test_writing_methods_are_refused(name, published):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(Client(), method)(url(name)).status_code == 405


@pytest.mark.parametrize("name", ["agreements_csv", "meetings_csv"])
def test_a_made_up_session_cookie_cannot_force_a_rebuild(name, published, django_user_model):
    client = Client()
    assert client.get(url(name)).status_code == 200  # built once, and stored

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(name)).status_code == 200
        return [query["sql"] for query in captured]

    client.cookies["sessionid"] = "made-up"
    assert not any("diary_agreement" in sql or "diary_visit" in sql for sql in queries())


def test_text_that_breaks_naive_csv_writers_stays_in_its_cell(published):
    hostile = 'Line one\r\nline two\rthree, with "quotes"; | and =HYPERLINK("x")'
    visit = published.visits.get()
    visit.summary = hostile
    visit.save()
    agreement = Agreement.objects.get()
    agreement.title = hostile
    agreement.save()
    for name, column in (("meetings_csv", "purpose"), ("agreements_csv", "title")):
        rows = list(
            csv.DictReader(io.StringIO(Client().get(url(name)).content.decode(), newline=""))
        )
        assert len(rows) == 1
        assert rows[0][column] == hostile
