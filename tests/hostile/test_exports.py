"""
Hostile requests to every public format (.json, schedule.json, .ics) and the sitemap:
drafts asked for by anonymous readers and by staff, junk query strings, absurd ids,
HEAD/ETag/304, text that breaks naive iCalendar writers, and sizes past the sitemap limits.
"""

import re

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from diary.models import Mission, Visit
from diary.publishing import publish
from diary.sitemaps import DiarySitemap
from tests.factories import (
    drop_same_mission_checks,
    make_day,
    make_draft_mission,
    make_draft_world,
    make_mission,
    make_organisation,
    make_person,
    make_place,
    make_visit,
)

pytestmark = pytest.mark.django_db

FORMATS = ["mission_ics", "mission_json", "mission_schedule"]
GZIP = {"Accept-Encoding": "gzip"}


def url(name, slug):
    return reverse(f"diary:{name}", kwargs={"slug": slug})


@pytest.fixture
def published(db):
    mission = make_mission(title="Published mission", slug="published-mission")
    make_visit(mission, day=make_day(mission), title="A visit")
    return mission


@pytest.mark.parametrize("name", FORMATS)
def test_a_draft_is_404_for_anonymous_readers_and_for_staff(name, staff):
    draft = make_draft_world()["mission"]
    assert Client().get(url(name, draft.slug)).status_code == 404
    assert staff.get(url(name, draft.slug)).status_code == 404
    assert staff.head(url(name, draft.slug)).status_code == 404


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize(
    "slug", ["no-such-mission", "9" * 40, "a" * 2000, "published-mission-", "-"]
)
def test_unknown_or_absurd_ids_are_404(name, slug, published):
    assert Client().get(url(name, slug)).status_code == 404


def assert_sent_to_the_bare_address(address, query):
    """The address with a query string answers a permanent redirect to itself without it."""
    response = Client().get(address + query)
    assert response.status_code == 301
    assert response["Location"] == address


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("query", ["?x=1", "?p=-1&page=%00", "?" + "a=1&" * 200, "?=", "?%ff"])
def test_a_query_string_is_sent_to_the_bare_address(name, query, published):
    assert_sent_to_the_bare_address(url(name, published.slug), query)


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_head_carries_gets_etag_and_a_matching_etag_gets_304(name, reader, published, staff):
    client = Client() if reader == "anonymous" else staff
    address = url(name, published.slug)
    get = client.get(address)
    assert get.status_code == 200
    etag = get["ETag"]
    head = client.head(address)
    assert head.status_code == 200
    assert head["ETag"] == etag
    assert head.content == b""
    for method in (client.get, client.head):
        again = method(address, headers={"If-None-Match": etag})
        assert again.status_code == 304, method
        assert again["ETag"] == etag


@pytest.mark.parametrize("name", FORMATS)
def test_gzipped_copy_has_its_own_etag_and_304(name, published):
    client = Client()
    address = url(name, published.slug)
    plain, gzipped = client.get(address), client.get(address, headers=GZIP)
    assert gzipped["Content-Encoding"] == "gzip"
    assert gzipped["ETag"] != plain["ETag"]
    revalidated = client.get(address, headers={**GZIP, "If-None-Match": gzipped["ETag"]})
    assert revalidated.status_code == 304


@pytest.mark.parametrize("name", FORMATS)
def test_an_edit_changes_the_etag_at_once(name, published):
    client = Client()
    address = url(name, published.slug)
    etag = client.get(address)["ETag"]
    visit = Visit.objects.get(mission=published)
    visit.title = "Renamed visit"
    visit.save()
    response = client.get(address, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert b"Renamed visit" in response.content


@pytest.mark.parametrize("name", FORMATS)
def test_writing_methods_are_refused(name, published):
    address = url(name, published.slug)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(Client(), method)(address).status_code == 405


@pytest.mark.parametrize("name", FORMATS)
def test_queries_stay_the_same_however_many_visits(name):
    mission = make_mission(slug="growing")
    day = make_day(mission)
    # The JSON reads organisations' parents a level per query: the same depth in both runs.
    make_visit(
        mission,
        day=day,
        people=[make_person(organisation=make_organisation())],
        organisations=[make_organisation(parent=make_organisation())],
    )

    def queries():
        # Each call follows an edit: nothing is cached at this content version yet, so this
        # is the build itself.
        client = Client(headers={"Cookie": "sessionid=none"})
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(name, mission.slug)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(15):
        make_visit(
            mission,
            day=day,
            people=[make_person(organisation=make_organisation())],
            organisations=[make_organisation(parent=make_organisation())],
        )
    assert queries() == few
    assert few <= 16


@pytest.mark.parametrize("name", FORMATS)
def test_a_made_up_session_cookie_cannot_force_a_rebuild(name, published, django_user_model):
    """A format is the same for every reader, so cookies do not step around its cache."""
    address = url(name, published.slug)
    # One client, so one server process's cache (each test Client has its own middleware).
    client = Client()
    assert client.get(address).status_code == 200  # built once, and stored

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert response.status_code == 200
        return [query["sql"] for query in captured]

    client.cookies["sessionid"] = "made-up"
    assert not any("diary_visit" in sql for sql in queries())  # the version read, no build
    client.force_login(django_user_model.objects.create_superuser("chief", "c@example.org", "pw"))
    assert not any("diary_visit" in sql for sql in queries())  # staff get the same record


HOSTILE_TEXT = "Line one\r\nline two\rline three\nend, with; separators \\ and a backslash"


def test_feed_with_line_breaks_and_separators_everywhere_is_no_500():
    mission = make_mission(title=HOSTILE_TEXT, summary=HOSTILE_TEXT, slug="hostile")
    make_visit(
        mission,
        day=make_day(mission),
        title=HOSTILE_TEXT,
        summary=HOSTILE_TEXT,
        place=make_place(name=HOSTILE_TEXT, city=HOSTILE_TEXT),
        organisations=[make_organisation(name=HOSTILE_TEXT, short_name="A;B,C")],
        people=[make_person(name=HOSTILE_TEXT, role=HOSTILE_TEXT, honorific="Dr;")],
    )
    for name in FORMATS:
        assert Client().get(url(name, mission.slug)).status_code == 200, name
    content = Client().get(url("mission_ics", mission.slug)).content
    assert not re.search(rb"[^\r]\n|\r[^\n]", content)  # only CRLF line ends, nothing raw
    (event,) = Calendar.from_ical(content).events
    expected = HOSTILE_TEXT.replace("\r\n", "\n").replace("\r", "\n")
    assert str(event["SUMMARY"]) == expected
    assert expected in str(event["DESCRIPTION"])


# Sitemap


def sitemap_files(client):
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert b"<sitemapindex" in index.content
    locations = re.findall(r"<loc>http://testserver([^<]+)</loc>", index.content.decode())
    return {
        location.replace("&amp;", "&"): client.get(location.replace("&amp;", "&"))
        for location in locations
    }


def test_sitemap_splits_a_large_kind_into_files_within_the_limit():
    mission = make_mission(slug="large")
    day = make_day(mission)
    # One more visit than fits in one file (each visit is a URL in each of three languages).
    visits = DiarySitemap.limit // 3 + 1
    Visit.objects.bulk_create(
        Visit(mission=mission, day=day, title=f"Visit {n}", slug=f"visit-{n}")
        for n in range(visits)
    )
    files = sitemap_files(Client())
    assert "/sitemap-visits.xml" in files and "/sitemap-visits.xml?p=2" in files
    counts = {}
    for location, response in files.items():
        assert response.status_code == 200, location
        counts[location] = response.content.count(b"<url>")
        assert counts[location] <= DiarySitemap.limit
    assert counts["/sitemap-visits.xml"] + counts["/sitemap-visits.xml?p=2"] == visits * 3
    # Each URL still names its translations.
    assert (
        files["/sitemap-visits.xml?p=2"].content.count(b'hreflang="x-default"')
        == (counts["/sitemap-visits.xml?p=2"])
    )


@pytest.mark.parametrize(
    "address",
    [
        "/sitemap-visits.xml?p=99",
        "/sitemap-visits.xml?p=0",
        "/sitemap-visits.xml?p=abc",
        "/sitemap-visits.xml?p=" + "9" * 50,
        "/sitemap-nothing.xml",
        "/sitemap-" + "a" * 500 + ".xml",
    ],
)
def test_sitemap_pages_and_kinds_that_do_not_exist_are_404(address, published):
    assert Client().get(address).status_code == 404


def test_sitemap_files_leave_out_drafts(published):
    draft = make_draft_world()
    text = b"".join(r.content for r in sitemap_files(Client()).values())
    assert b"published-mission" in text
    assert draft["mission"].slug.encode() not in text
    assert b"hidden" not in text


def test_sitemap_head_and_304(published):
    client = Client()
    get = client.get("/sitemap-visits.xml")
    assert client.head("/sitemap-visits.xml")["ETag"] == get["ETag"]
    again = client.get("/sitemap-visits.xml", headers={"If-None-Match": get["ETag"]})
    assert again.status_code == 304
    assert client.post("/sitemap.xml").status_code == 405


# One dated visit's calendar file, /missions/<mission>/visits/<visit>.ics (issue 12)


def visit_ics(mission_slug, slug):
    return reverse("diary:visit_ics", kwargs={"mission_slug": mission_slug, "slug": slug})


def dated_visit_file(mission):
    return visit_ics(mission.slug, Visit.objects.get(mission=mission, day__isnull=False).slug)


def test_a_draft_visits_calendar_file_is_404_for_anonymous_readers_and_for_staff(staff):
    draft = make_draft_world()
    address = visit_ics(draft["mission"].slug, draft["visit"].slug)
    assert Client().get(address).status_code == 404
    assert staff.get(address).status_code == 404
    assert staff.head(address).status_code == 404


@pytest.mark.parametrize(
    ("mission_slug", "slug"),
    [
        ("published-mission", "no-such-visit"),
        ("no-such-mission", "a-visit"),
        ("published-mission", "9" * 40),
        ("published-mission", "a" * 2000),
        ("a" * 2000, "a-visit"),
        ("published-mission", "undated"),
    ],
)
def test_unknown_absurd_or_undated_visits_have_no_calendar_file(mission_slug, slug, published):
    make_visit(published, title="Undated", slug="undated")
    assert Client().get(visit_ics(mission_slug, slug)).status_code == 404


def test_a_visit_on_another_missions_day_has_no_calendar_file(db):
    drop_same_mission_checks()  # before any row: PostgreSQL alters no table with pending checks
    published = make_mission(slug="published-mission")
    other = make_mission(slug="other-mission")
    stray = make_visit(published, title="Stray", slug="stray")
    Visit.objects.filter(pk=stray.pk).update(day=make_day(other))
    assert Client().get(visit_ics("published-mission", "stray")).status_code == 404


@pytest.mark.parametrize("query", ["?x=1", "?p=-1&page=%00", "?" + "a=1&" * 200, "?=", "?%ff"])
def test_a_query_string_on_a_visit_file_is_sent_to_the_bare_address(query, published):
    address = dated_visit_file(published)
    response = Client().get(address + query)
    assert response.status_code == 301
    assert response["Location"] == address


@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_a_visit_file_head_carries_the_etag_and_a_matching_etag_gets_304(reader, published, staff):
    client = Client() if reader == "anonymous" else staff
    address = dated_visit_file(published)
    get = client.get(address)
    assert get.status_code == 200
    head = client.head(address)
    assert head.status_code == 200 and head["ETag"] == get["ETag"] and head.content == b""
    for method in (client.get, client.head):
        again = method(address, headers={"If-None-Match": get["ETag"]})
        assert again.status_code == 304, method


def test_an_edit_changes_a_visit_files_etag_and_writing_methods_are_refused(published):
    client = Client()
    address = dated_visit_file(published)
    etag = client.get(address)["ETag"]
    visit = Visit.objects.get(mission=published, day__isnull=False)
    visit.title = "Renamed visit"
    visit.save()
    response = client.get(address, headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"Renamed visit" in response.content
    for method in ("post", "put", "delete", "patch"):
        assert getattr(Client(), method)(address).status_code == 405


def test_a_visit_file_with_hostile_text_parses_back():
    mission = make_mission(slug="hostile-visit")
    visit = make_visit(
        mission,
        day=make_day(mission),
        title=HOSTILE_TEXT,
        summary=HOSTILE_TEXT,
        organisations=[make_organisation(name=HOSTILE_TEXT, short_name="A;B,C")],
    )
    content = Client().get(visit_ics(mission.slug, visit.slug)).content
    assert not re.search(rb"[^\r]\n|\r[^\n]", content)
    (event,) = Calendar.from_ical(content).events
    assert str(event["SUMMARY"]) == HOSTILE_TEXT.replace("\r\n", "\n").replace("\r", "\n")


# Publications: each revision's JSON, the mission's and the site's Atom feeds (issue 12)


@pytest.fixture
def revised(db):
    """A mission published through the act of publishing: revision 1, then revision 2."""
    mission = make_draft_mission(title="Revised mission", slug="revised-mission")
    visit = make_visit(mission, day=make_day(mission), title="A visit")
    publish(mission)
    visit.title = "A renamed visit"
    visit.save()
    publish(mission, note="Renamed.")
    return mission


def publication_addresses(slug):
    return [
        reverse("diary:mission_feed", kwargs={"slug": slug}),
        reverse("diary:mission_revision_json", kwargs={"slug": slug, "number": 1}),
    ]


PUBLICATION_ADDRESSES = ["/updates.atom", *publication_addresses("revised-mission")]


def test_a_drafts_revisions_and_feed_are_404_for_anonymous_readers_and_for_staff(staff):
    draft = make_draft_mission(slug="withdrawn")
    publish(draft)
    Mission.objects.filter(pk=draft.pk).update(status=Mission.Status.DRAFT)  # withdrawn
    for address in [
        *publication_addresses(draft.slug),
        reverse("diary:mission_updates", kwargs={"slug": draft.slug}),
    ]:
        assert Client().get(address).status_code == 404, address
        assert staff.get(address).status_code == 404, address
        assert staff.head(address).status_code == 404, address
    assert b"withdrawn" not in Client().get("/updates.atom").content


@pytest.mark.parametrize(
    "address",
    [
        "/missions/no-such-mission/updates.atom",
        "/missions/" + "a" * 2000 + "/updates.atom",
        "/missions/revised-mission/updates/3.json",
        "/missions/revised-mission/updates/0.json",
        "/missions/revised-mission/updates/01.json",
        "/missions/revised-mission/updates/-1.json",
        "/missions/revised-mission/updates/" + "9" * 40 + ".json",
        "/missions/revised-mission/updates/1.5.json",
        "/missions/no-such-mission/updates/1.json",
        "/missions/no-such-mission/updates/",
    ],
)
def test_unknown_or_absurd_revisions_are_404(address, revised):
    assert Client().get(address).status_code == 404


@pytest.mark.parametrize("address", PUBLICATION_ADDRESSES)
@pytest.mark.parametrize("query", ["?x=1", "?" + "a=1&" * 200, "?%ff"])
def test_a_query_string_on_a_publication_is_sent_to_the_bare_address(address, query, revised):
    assert_sent_to_the_bare_address(address, query)


@pytest.mark.parametrize("address", PUBLICATION_ADDRESSES)
@pytest.mark.parametrize("reader", ["anonymous", "staff"])
def test_publications_carry_an_etag_on_head_and_answer_304(address, reader, revised, staff):
    client = Client() if reader == "anonymous" else staff
    get = client.get(address)
    assert get.status_code == 200
    head = client.head(address)
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"]
    for method in (client.get, client.head):
        assert method(address, headers={"If-None-Match": get["ETag"]}).status_code == 304


@pytest.mark.parametrize("address", PUBLICATION_ADDRESSES)
def test_writing_to_a_publication_is_refused(address, revised):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(Client(), method)(address).status_code == 405


def test_an_earlier_revision_keeps_its_bytes_through_later_edits(revised):
    address = reverse("diary:mission_revision_json", kwargs={"slug": revised.slug, "number": 1})
    before = Client().get(address)
    visit = Visit.objects.get(mission=revised)
    visit.title = "Renamed again"
    visit.save()
    publish(revised, note="Renamed again.")
    # The page cache's ETag follows the content version, like every format's; the bytes stay.
    after = Client().get(address)
    assert after.content == before.content
    again = Client().get(address, headers={"If-None-Match": after["ETag"]})
    assert again.status_code == 304


def test_hostile_text_in_notes_and_titles_keeps_the_feeds_valid_and_the_page_escaped():
    mission = make_draft_mission(title=HOSTILE_TEXT + " <b>&", slug="hostile-notes")
    visit = make_visit(mission, day=make_day(mission), title="<script>alert(1)</script>")
    publish(mission, note="\x0b" + HOSTILE_TEXT + " <script>alert(2)</script> ]]>")
    visit.title = "<img src=x onerror=alert(3)>"
    visit.save()
    publish(mission, note="<script>alert(4)</script>")
    for address in ("/updates.atom", "/missions/hostile-notes/updates.atom"):
        feed = feedparser.parse(Client().get(address).content)
        assert feed.version == "atom10" and not feed.bozo, (address, feed.get("bozo_exception"))
    page = Client().get("/missions/hostile-notes/updates/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page
