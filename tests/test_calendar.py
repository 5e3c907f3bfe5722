import datetime
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar, Event, vText
from icalendar.parser import unescape_backslash

from diary.models import Agreement, Mission, Visit
from diary.synthetic import Sizes, generate

from . import factories

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def feed_url(mission):
    return reverse("diary:mission_ics", args=[mission.slug])


def fetch_feed(client, mission):
    response = client.get(feed_url(mission))
    assert response.status_code == 200
    return response


def events_by_summary(response):
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.events}


def test_feed_is_a_calendar_file_named_after_the_mission(client, demo):
    response = fetch_feed(client, demo)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    # Inline: the address calendar apps subscribe to is a feed they read, not a download.
    assert response["Content-Disposition"] == 'inline; filename="japan-2024.ics"'
    calendar = Calendar.from_ical(response.content)
    assert calendar["X-WR-CALNAME"] == "Economic mission to Japan"
    assert calendar["X-WR-TIMEZONE"] == "Asia/Tokyo"


def test_demo_feed_has_one_event_per_dated_visit_and_no_undated_visit(client, demo):
    events = events_by_summary(fetch_feed(client, demo))
    dated = Visit.objects.filter(mission=demo, day__isnull=False)
    assert sorted(events) == sorted(visit.title for visit in dated)
    assert len(events) == 2
    undated = Visit.objects.filter(mission=demo, day__isnull=True)
    assert undated.count() == 4
    for visit in undated:
        assert visit.title not in events


def test_visit_with_no_recorded_time_is_an_all_day_event_on_its_day(client, demo):
    response = fetch_feed(client, demo)
    event = events_by_summary(response)["ispace and the Tokyo Mission Control room"]
    assert event.start == datetime.date(2024, 6, 10)
    assert event.end == datetime.date(2024, 6, 11)
    assert b"DTSTART;VALUE=DATE:20240610" in response.content


def test_event_carries_place_people_and_a_link_back(client, demo):
    event = events_by_summary(fetch_feed(client, demo))[
        "Tansa X Space Exploration Innovation Hub Center and JAXA’s President"
    ]
    assert "Sagamihara" in event["LOCATION"]
    assert "Dr Hiroshi Yamakawa (President, JAXA)" in event["DESCRIPTION"]
    assert event["URL"] == "http://testserver/missions/japan-2024/visits/tansa-x-sagamihara/"


def test_timed_visit_is_an_event_in_the_missions_timezone(client):
    mission = factories.make_mission(timezone="Asia/Tokyo")
    factories.make_visit(
        mission,
        day=factories.make_day(mission),
        title="Morning briefing",
        starts_at=datetime.time(9, 30),
        ends_at=datetime.time(11),
    )
    response = fetch_feed(client, mission)
    assert b"DTSTART;TZID=Asia/Tokyo:20240610T093000" in response.content
    assert b"DTEND;TZID=Asia/Tokyo:20240610T110000" in response.content
    calendar = Calendar.from_ical(response.content)
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Asia/Tokyo"]
    event = events_by_summary(response)["Morning briefing"]
    assert event.start == datetime.datetime(2024, 6, 10, 0, 30, tzinfo=datetime.UTC)
    assert event.start.utcoffset() == datetime.timedelta(hours=9)


def test_visit_with_a_start_but_no_end_is_an_event_at_that_moment(client):
    mission = factories.make_mission(timezone="Asia/Tokyo")
    day = factories.make_day(mission)
    factories.make_visit(mission, day=day, title="Press conference", starts_at=datetime.time(14))
    event = events_by_summary(fetch_feed(client, mission))["Press conference"]
    assert event.start == datetime.datetime(2024, 6, 10, 14, tzinfo=TOKYO)
    # No invented duration: per RFC 5545 the event ends when it starts.
    assert "DTEND" not in event and "DURATION" not in event


def test_feed_is_byte_stable_and_keeps_its_uids_across_a_reimport(client, demo):
    first = fetch_feed(client, demo).content
    assert fetch_feed(client, demo).content == first
    old_ids = set(Visit.objects.filter(mission=demo).values_list("pk", flat=True))

    # Everything the fixture created goes, so the reload creates new rows with new ids.
    Agreement.objects.filter(mission=demo).delete()
    Visit.objects.filter(mission=demo).delete()
    demo.delete()
    call_command("load_demo", stdout=io.StringIO())
    reimported = Mission.objects.get(slug="japan-2024")
    assert old_ids.isdisjoint(Visit.objects.filter(mission=reimported).values_list("pk", flat=True))

    assert fetch_feed(client, reimported).content == first
    uids = {str(event["UID"]) for event in Calendar.from_ical(first).events}
    assert uids == {
        f"{visit.uuid}@missiontracker"
        for visit in Visit.objects.filter(mission=reimported, day__isnull=False)
    }


def test_event_stamp_comes_from_the_mission_not_the_clock(client, demo):
    for event in Calendar.from_ical(fetch_feed(client, demo).content).events:
        assert event.stamp == datetime.datetime(2024, 6, 10, tzinfo=datetime.UTC)


def test_draft_missions_feed_is_404_for_everyone_staff_included(staff_client, draft_world):
    url = feed_url(draft_world["mission"])
    assert Client().get(url).status_code == 404
    # A feed is the public record, read outside the site: staff preview drafts as pages.
    assert staff_client.get(url).status_code == 404


def test_unknown_missions_feed_is_404(client, db):
    assert client.get("/missions/no-such-mission.ics").status_code == 404


def test_feed_holds_only_its_own_missions_visits(client, demo, draft_world):
    other = factories.make_mission(title="Mission to Canada", slug="canada-2025")
    factories.make_visit(other, day=factories.make_day(other), title="Canadian Space Agency")
    content = fetch_feed(client, demo).content.decode()
    assert "Secret" not in content
    assert "Canadian Space Agency" not in content
    assert str(draft_world["visit"].uuid) not in content


def test_itinerary_offers_the_feed(client, demo):
    html = client.get(demo.get_absolute_url()).content.decode()
    assert '<link rel="alternate" type="text/calendar"' in html
    assert 'href="/missions/japan-2024.ics"' in html
    assert "Subscribe (iCalendar)" in html


def test_feed_is_built_in_a_fixed_number_of_queries(client, demo):
    """The same count with two dated visits and with twelve: no query per event."""

    def feed_queries():
        with CaptureQueriesContext(connection) as queries:
            events = Calendar.from_ical(fetch_feed(Client(), demo).content).events
        return len(queries), len(events)

    few, events = feed_queries()
    assert events == 2
    day = demo.days.first()
    for _ in range(10):
        factories.make_visit(
            demo,
            day=day,
            people=[factories.make_person()],
            organisations=[factories.make_organisation()],
        )
    assert feed_queries() == (few, 12)
    # The content version, the mission, its visits, its days, and two per link table (the
    # links as ids, then each organisation or person once).
    assert few <= 8


# Text as an editor may type it: separators RFC 5545 reserves, a backslash, and paragraph
# breaks from three kinds of keyboard (CRLF, LF, a bare CR).
AWKWARD = "Talks, lunch; notes \\ a path\r\nSecond paragraph\nThird\rFourth"
# What a reader gets back: iCalendar has one line break, so CRLF and CR come back as LF.
AWKWARD_READ = "Talks, lunch; notes \\ a path\nSecond paragraph\nThird\nFourth"


@pytest.fixture
def awkward_mission(db):
    mission = factories.make_mission(title=AWKWARD, summary=AWKWARD)
    factories.make_visit(
        mission,
        day=factories.make_day(mission),
        title=AWKWARD,
        summary=AWKWARD,
        place=factories.make_place(name=AWKWARD, city="Tokyo, Minato; 港区"),
    )
    return mission


def test_awkward_text_round_trips_through_icalendar(client, awkward_mission):
    response = fetch_feed(client, awkward_mission)
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.events
    assert str(event["SUMMARY"]) == AWKWARD_READ
    assert str(event["LOCATION"]) == f"{AWKWARD_READ}, Tokyo, Minato; 港区"
    assert str(event["DESCRIPTION"]) == AWKWARD_READ
    assert str(calendar["DESCRIPTION"]) == AWKWARD_READ
    # icalendar parses the calendar's name properties as unknown values, kept as written:
    # unescape them as TEXT, as a reader that knows them does.
    for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC"):
        assert unescape_backslash(calendar[name].to_ical().decode()) == AWKWARD_READ


def test_no_raw_line_break_or_separator_reaches_the_feed(client, awkward_mission):
    content = fetch_feed(client, awkward_mission).content
    lines = content.split(b"\r\n")
    assert lines[-1] == b""  # every line ends in CRLF, ...
    assert not any(b"\r" in line or b"\n" in line for line in lines)  # ... and only there
    for name in (b"NAME", b"X-WR-CALNAME", b"X-WR-CALDESC", b"SUMMARY"):
        (line,) = [line for line in lines if line.startswith(name + b":")]
        assert line.startswith(name + b":Talks\\, lunch\\; notes \\\\ a path\\nSecond")
    assert all(len(line) <= 75 for line in lines)  # folded, as RFC 5545 §3.1 asks


def test_vobject_reads_the_calendars_name_and_description_whole(client, awkward_mission):
    vobject = pytest.importorskip("vobject")
    calendar = vobject.readOne(fetch_feed(client, awkward_mission).content.decode())
    assert calendar.contents["x-wr-calname"][0].value == AWKWARD_READ
    assert calendar.contents["name"][0].value == AWKWARD_READ
    assert calendar.contents["x-wr-caldesc"][0].value == AWKWARD_READ
    assert calendar.vevent.summary.value == AWKWARD_READ


# The feed as icalendar's own objects write it: the builder this module's feed replaced
# (an `Event` per visit, then `Calendar.to_ical()`), kept as the reference the feed's bytes
# must equal. It reads the visits its own way (prefetching), so it checks the queries too.
def reference_calendar(mission, absolute_url):
    calendar = Calendar.new(
        prodid="-//Mission Tracker//Mission diary//EN",
        uid=str(mission.uuid),
        url=absolute_url(mission.get_absolute_url()),
        refresh_interval=datetime.timedelta(days=1),
    )
    texts = [("NAME", mission.title), ("X-WR-CALNAME", mission.title)]
    if mission.summary:
        texts += [("DESCRIPTION", mission.summary), ("X-WR-CALDESC", mission.summary)]
    for name, text in texts:
        calendar.add(name, vText(text))
    calendar.add("X-WR-TIMEZONE", mission.timezone)
    stamp = datetime.datetime.combine(mission.start_date, datetime.time(0), tzinfo=datetime.UTC)
    visits = (
        Visit.objects.filter(mission=mission, day__isnull=False)
        .order_by(*Visit._meta.ordering, "uuid")
        .select_related("mission", "day", "place")
        .prefetch_related("organisations", "people__organisation")
    )
    for visit in visits:
        if visit.start is None:
            start = visit.day.date
            end = start + datetime.timedelta(days=1)
        else:
            start, end = visit.start, visit.end
        event = Event.new(
            uid=f"{visit.uuid}@missiontracker",
            stamp=stamp,
            start=start,
            end=end,
            url=absolute_url(visit.get_absolute_url()),
        )
        event.add("SUMMARY", vText(visit.title))
        location = str(visit.place) if visit.place is not None else ""
        if location:
            event.add("LOCATION", vText(location))
        if visit.place is not None and visit.place.latitude is not None:
            event.add("GEO", (float(visit.place.latitude), float(visit.place.longitude)))
        paragraphs = [visit.summary] if visit.summary else []
        organisations = list(visit.organisations.all())
        if organisations:
            paragraphs.append("Organisations: " + ", ".join(str(o) for o in organisations))
        people = list(visit.people.all())
        if people:
            paragraphs.append(
                "People met: "
                + "; ".join(
                    f"{p.full_name} ({p.title_line})" if p.title_line else p.full_name
                    for p in people
                )
            )
        if paragraphs:
            event.add("DESCRIPTION", vText("\n\n".join(paragraphs)))
        calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=datetime.date(mission.start_date.year, 1, 1),
        last_date=datetime.date(mission.end_date.year + 1, 1, 1),
    )
    return calendar.to_ical()


def absolute(path):
    return f"http://testserver{path}"


# Each kind of character that escaping or folding treats specially, once at every offset
# around the 75-octet fold: an escaped separator (two characters the fold must not split),
# a 2-, 3- and 4-octet character (never split either), "\N" (icalendar's line break).
TRICKY = ",;\\é港🚀\\N\r\n\r"


def test_feed_is_byte_identical_to_icalendars_events_on_the_demo(client, demo):
    assert fetch_feed(client, demo).content == reference_calendar(demo, absolute)


def build_awkward_mission():
    """A generated mission, then 30 visits of awkward text on its second day."""
    generate(
        Sizes(missions=2, max_days=4, visits_per_day=3, organisations=40, people=60, agreements=0),
        sized_missions=[("generated", 80)],
    )
    mission = Mission.objects.get(slug="generated")
    mission.title, mission.summary = AWKWARD * 3, AWKWARD * 5
    mission.start_date = datetime.date(2024, 10, 26)  # Berlin's clocks go back on the 27th
    mission.end_date = mission.start_date + datetime.timedelta(days=3)
    mission.save()
    day = factories.make_day(mission, date=mission.start_date + datetime.timedelta(days=1))
    Visit.objects.filter(mission=mission, day__isnull=False).update(day=day)
    awkward_organisation = factories.make_organisation(name=AWKWARD, short_name="A;B,C\\D")
    awkward_person = factories.make_person(
        name="Ōno Tarō, Jr.; \\", honorific="Dr;", role=AWKWARD, organisation=awkward_organisation
    )
    times = [(None, None), (datetime.time(2, 30), None), (datetime.time(1), datetime.time(3))]
    for offset in range(50, 80):
        start, end = times[offset % 3]
        factories.make_visit(
            mission,
            day=day,
            slug=f"awkward-{offset}",
            title=("x" * offset + TRICKY)[:200],
            summary="y" * offset + TRICKY * 20 + "z" * offset,
            place=factories.make_place(
                name="s" * (offset - 40) + TRICKY if offset % 4 else "港区",
                city="港区, Tokyo" if offset % 5 else "",
            )
            if offset % 4 or offset % 5
            else None,
            starts_at=start,
            ends_at=end,
            organisations=[awkward_organisation] if offset % 2 else [],
            people=[awkward_person, factories.make_person(name=f"P{offset}")] if offset % 3 else [],
        )
    return mission.pk


class TestAGeneratedMission:
    @pytest.fixture(scope="class")
    @classmethod
    def awkward_mission(cls, class_rows):
        """Built once for the three timezones (class_rows): each test only sets its own."""
        return build_awkward_mission()

    @pytest.mark.parametrize("timezone", ["Asia/Tokyo", "Europe/Berlin", "UTC"])
    def test_feed_is_byte_identical_to_icalendars_events_on_a_generated_mission(
        self, client, awkward_mission, timezone
    ):
        mission = Mission.objects.get(pk=awkward_mission)
        mission.timezone = timezone
        mission.save()
        assert fetch_feed(client, mission).content == reference_calendar(mission, absolute)


# --- Subscribing with webcal://, and one visit to add to a calendar (issue 12) ---------------


def visit_ics_url(visit):
    return reverse("diary:visit_ics", args=[visit.mission.slug, visit.slug])


def test_itinerary_offers_a_webcal_subscription_beside_the_download(client, demo):
    html = client.get(demo.get_absolute_url()).content.decode()
    actions = html[html.index('class="page-actions"') :]
    actions = actions[: actions.index("</p>")]
    assert '<a class="subscribe" href="webcal://testserver/missions/japan-2024.ics">' in actions
    assert 'href="/missions/japan-2024.ics" type="text/calendar" download>' in actions
    # In French, the French feed. (A request activates its language in the thread: the
    # override puts English back for the tests that follow.)
    with translation.override("en"):
        html = client.get("/fr" + demo.get_absolute_url()).content.decode()
    assert 'href="webcal://testserver/fr/missions/japan-2024.ics"' in html


def test_the_subscription_address_is_served_inline(client, demo):
    response = client.get(feed_url(demo))
    assert response["Content-Disposition"].startswith("inline;")
    assert client.head(feed_url(demo))["Content-Disposition"].startswith("inline;")


def test_a_dated_visit_has_its_own_calendar_file_with_the_feeds_event(client, demo):
    visit = Visit.objects.get(mission=demo, slug="tansa-x-sagamihara")
    html = client.get(visit.get_absolute_url()).content.decode()
    assert f'href="{visit_ics_url(visit)}" type="text/calendar" download>' in html
    assert "Add to calendar (.ics)" in html
    response = client.get(visit_ics_url(visit))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="japan-2024-tansa-x-sagamihara.ics"'
    )
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.events
    assert str(event["SUMMARY"]) == visit.title
    assert str(event["UID"]) == f"{visit.uuid}@missiontracker"
    assert event.decoded("DTSTART") == visit.day.date or event.decoded("DTSTART").date() == (
        visit.day.date
    )
    assert str(event["URL"]) == f"http://testserver{visit.get_absolute_url()}"
    # The same event, byte for byte, as in the mission's feed.
    feed_event = events_by_summary(fetch_feed(client, demo))[visit.title]
    assert event.to_ical() == feed_event.to_ical()


def test_a_timed_visit_file_carries_its_timezone(client):
    mission = factories.make_mission(slug="timed")
    visit = factories.make_visit(
        mission,
        day=factories.make_day(mission),
        title="Morning meeting",
        starts_at=datetime.time(9, 30),
        ends_at=datetime.time(11),
    )
    calendar = Calendar.from_ical(client.get(visit_ics_url(visit)).content)
    (event,) = calendar.events
    assert event.decoded("DTSTART") == datetime.datetime(2024, 6, 10, 9, 30, tzinfo=TOKYO)
    assert [str(tz["TZID"]) for tz in calendar.timezones] == ["Asia/Tokyo"]


def test_an_undated_visit_has_no_calendar_file_and_no_link(client, demo):
    visit = Visit.objects.filter(mission=demo, day__isnull=True).first()
    assert client.get(visit_ics_url(visit)).status_code == 404
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "Add to calendar" not in html
    assert ".ics" not in html.replace(feed_url(demo), "")


def test_a_draft_visit_has_no_calendar_file_even_for_staff(staff_client, draft_world):
    visit = draft_world["visit"]
    assert Client().get(visit_ics_url(visit)).status_code == 404
    assert staff_client.get(visit_ics_url(visit)).status_code == 404
    # Staff previewing the draft are offered no link that would 404.
    html = staff_client.get(visit.get_absolute_url()).content.decode()
    assert "Add to calendar" not in html


def test_a_visit_file_is_built_in_a_fixed_number_of_queries():
    mission = factories.make_mission(slug="busy")
    day = factories.make_day(mission)

    def queries(visit):
        client = Client(headers={"Cookie": "sessionid=none"})  # past the page cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(visit_ics_url(visit)).status_code == 200
        return len(captured)

    lone = factories.make_visit(
        mission,
        day=day,
        organisations=[factories.make_organisation()],
        people=[factories.make_person()],
    )
    few = queries(lone)
    crowded = factories.make_visit(
        mission,
        day=day,
        organisations=[factories.make_organisation() for _ in range(8)],
        people=[
            factories.make_person(organisation=factories.make_organisation()) for _ in range(8)
        ],
    )
    assert queries(crowded) == few
