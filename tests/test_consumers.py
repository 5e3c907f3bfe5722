"""
The public formats read by the independent tools that read them in the wild (issue 16).

Each format is fetched through its public address, as a subscriber or a conference app
would, on the demo mission and on a generated mission whose recorded days have gaps between
them, then handed to the consumer itself:

- the c3voc schedule (/missions/<slug>/schedule.json): c3voc-schedule-tools loads it, merges
  it into a multi-day template and converts it to the voc XML format, which must validate
  against the voc XSD; pyfahrplan lists it and filters it by day, time, speaker and past;
  check-jsonschema validates it against the voc JSON schema;
- the iCalendar feed (/missions/<slug>.ics): vobject, ics-py and recurring-ical-events read
  it, text with `,`, `;`, `\\`, CR and LF included.

c3voc-schedule-tools and pyfahrplan pin dependencies that clash with the app's (icalendar<6;
requests-cache 0.8, hence attrs<22), so each runs in a venv of its own that `make install`
builds from tests/consumers/<name>.txt, through the small scripts beside those pins.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import zoneinfo
from pathlib import Path

import icalendar
import ics
import pytest
import recurring_ical_events
import vobject
from django.conf import settings
from lxml import etree

from diary.models import Visit

from . import factories

pytestmark = pytest.mark.django_db

SCHEMAS = Path(settings.BASE_DIR).parent / "shared" / "schemas"
JSON_SCHEMA = SCHEMAS / "c3voc-schedule.schema.json"
XML_SCHEMA = SCHEMAS / "c3voc-schedule.xml.xsd"
CONSUMER_SCRIPTS = Path(__file__).resolve().parent / "consumers"
# The venvs `make install` builds next to the app's (see the Makefile).
CONSUMER_VENVS = Path(sys.prefix) / "consumers"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")

# Text a staff member may well type, and that every format must carry through unchanged.
# iCalendar has one line break: CR LF and a lone CR come back as LF.
AWKWARD_TITLE = "Gap mission, with; a backslash \\ and\r\na line break"
AWKWARD_SUMMARY = "First, second; third \\ fourth.\r\nNext line.\nAnother.\rLast, for now."
AWKWARD_VISIT = "Talks, lunch; and a \\ demo"
AWKWARD_SITE = "Hall 1; wing B, level 2"


def one_line_break(text):
    return re.sub(r"\r\n?", "\n", text)


def needs(path):
    if not path.exists():
        pytest.skip(f"{path.name} not found at {path.parent} (the shared/ folder beside the repo)")
    return path


def consumer_python(name):
    python = CONSUMER_VENVS / name / "bin" / "python"
    if not python.exists():
        message = f"{name} is not installed in {python.parent.parent}: run `make install`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


@pytest.fixture
def gap_mission(db):
    """
    A mission from three days ago to three days ahead (Tokyo time), with records on its first
    day, on yesterday and on the day after tomorrow only: days with nothing recorded in
    between, visits timed, untimed and without an end, an undated one, short and long slugs,
    someone met, and text with every character iCalendar escapes.
    """
    today = datetime.datetime.now(TOKYO).date()
    mission = factories.make_mission(
        title=AWKWARD_TITLE,
        slug="gen-mission-0",
        summary=AWKWARD_SUMMARY,
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=3),
    )
    first = factories.make_day(mission, date=mission.start_date)
    yesterday = factories.make_day(mission, date=today - datetime.timedelta(days=1))
    later = factories.make_day(mission, date=today + datetime.timedelta(days=2))
    person = factories.make_person(name="Ada Example", honorific="Dr")
    factories.make_visit(
        mission,
        day=first,
        title="Morning briefing",
        slug="visit-24",
        place=factories.make_place(name=AWKWARD_SITE, city="Tokyo"),
        summary=AWKWARD_SUMMARY,
        starts_at=datetime.time(10),
        ends_at=datetime.time(11, 30),
        people=[person],
    )
    factories.make_visit(
        mission,
        day=first,
        title=AWKWARD_VISIT,
        slug="jx",
        place=factories.make_place(name="Tokyo", city="Tokyo"),
    )
    factories.make_visit(
        mission, day=yesterday, title="Afternoon tour", slug="tour", starts_at=datetime.time(15)
    )
    factories.make_visit(
        mission,
        day=later,
        title="Closing session",
        slug="closing-session",
        starts_at=datetime.time(10),
        ends_at=datetime.time(12),
    )
    factories.make_visit(mission, day=later, title="Site visit, all day", slug="site-visit")
    factories.make_visit(mission, title="Undated courtesy call", slug="courtesy-call")
    return mission


@pytest.fixture(params=["demo", "gap_mission"])
def mission(request):
    return request.getfixturevalue(request.param)


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response


def fetch_schedule(client, mission, directory):
    """The schedule as served, and the file a consumer is given."""
    response = fetch(client, f"/missions/{mission.slug}/schedule.json")
    path = directory / f"{mission.slug}.schedule.json"
    path.write_bytes(response.content)
    return response.json(), path


def schedule_events(document):
    return {
        event["guid"]: (day, event)
        for day in document["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    }


def dated_visits(mission):
    return Visit.objects.filter(mission=mission, day__isnull=False).select_related("day", "place")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command[:3]}…\n{result.stdout}\n{result.stderr}"
    return result


# The c3voc schedule ------------------------------------------------------------------------


def test_schedule_days_follow_the_missions_calendar(client, gap_mission, tmp_path):
    document, _ = fetch_schedule(client, gap_mission, tmp_path)
    conference = document["schedule"]["conference"]
    start = gap_mission.start_date
    assert conference["daysCount"] == 7
    assert [(day["index"], day["date"]) for day in conference["days"]] == [
        (n, (start + datetime.timedelta(days=n - 1)).isoformat()) for n in range(1, 8)
    ]
    assert (conference["start"], conference["end"]) == (
        start.isoformat(),
        gap_mission.end_date.isoformat(),
    )
    # Every dated visit on the day of its date, nothing on the days without records.
    for guid, (day, event) in schedule_events(document).items():
        assert Visit.objects.get(uuid=guid).day.date.isoformat() == day["date"]
        assert event["date"].startswith(day["date"])
    assert [bool(day["rooms"]) for day in conference["days"]] == [1, 0, 1, 0, 0, 1, 0]


def test_demo_schedule_counts_every_day_of_the_mission(client, demo, tmp_path):
    conference = fetch_schedule(client, demo, tmp_path)[0]["schedule"]["conference"]
    assert conference["daysCount"] == 5  # 10–14 June, whatever the diary records on each
    assert [day["date"][-2:] for day in conference["days"]] == ["10", "11", "12", "13", "14"]


def test_c3voc_schedule_tools_merges_every_event_into_a_multiday_template(
    client, mission, tmp_path
):
    python = consumer_python("c3voc-schedule-tools")
    document, path = fetch_schedule(client, mission, tmp_path)
    result = run([python, CONSUMER_SCRIPTS / "c3voc_schedule_tools.py", path, tmp_path])
    assert json.loads(result.stdout) == {"merged": True}, result.stderr
    merged = json.loads((tmp_path / "merged.json").read_text())
    merged_events = schedule_events({"schedule": merged})
    assert set(merged_events) == {str(visit.uuid) for visit in dated_visits(mission)}
    # The template starts a day earlier: each event still lands on its own date.
    for _guid, (day, event) in merged_events.items():
        assert event["date"].startswith(day["date"])
    assert merged["conference"]["daysCount"] == document["schedule"]["conference"]["daysCount"] + 2


def xsd_errors(xml_path):
    schema = etree.XMLSchema(etree.parse(needs(XML_SCHEMA)))
    schema.validate(etree.parse(xml_path))
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def test_c3voc_schedule_tools_xml_validates_against_the_voc_xsd(client, mission, tmp_path):
    python = consumer_python("c3voc-schedule-tools")
    _, path = fetch_schedule(client, mission, tmp_path)
    run([python, CONSUMER_SCRIPTS / "c3voc_schedule_tools.py", path, tmp_path])
    assert xsd_errors(tmp_path / "schedule.xml") == []
    assert xsd_errors(tmp_path / "merged.xml") == []
    # The XML carries who was met, and every dated visit.
    xml = etree.parse(tmp_path / "schedule.xml")
    assert len(xml.findall("day/room/event")) == dated_visits(mission).count()
    people = {
        person.full_name
        for visit in dated_visits(mission).prefetch_related("people")
        for person in visit.people.all()
    }
    assert people
    assert {person.text for person in xml.findall("day/room/event/persons/person")} == people


def test_the_voc_xsd_check_refuses_the_old_slugs(tmp_path):
    """The validation above can fail: the event slugs schedules used to have are refused."""
    template = (
        "<schedule><version>1</version><conference><acronym>gen_mission_0</acronym>"
        '</conference><day index="1" start="2024-06-10T00:00:00+09:00" '
        'end="2024-06-10T23:59:00+09:00"><room name="Tokyo"><event id="1" '
        'guid="6f1c1a2e-0000-4000-8000-000000000001"><room>Tokyo</room><title>t</title>'
        "<type>visit</type><date>2024-06-10T00:00:00+09:00</date><start>00:00</start>"
        "<duration>23:59</duration><abstract/><slug>{slug}</slug><track/>"
        "</event></room></day></schedule>"
    )
    xml = tmp_path / "event.xml"
    xml.write_text(template.format(slug="gen-mission-0-visit-24"))
    errors = xsd_errors(xml)
    assert errors and all("Element 'slug'" in error for error in errors)
    xml.write_text(template.format(slug="gen_mission_0-visit-24"))
    assert xsd_errors(xml) == []


def check_jsonschema(path, schema=JSON_SCHEMA):
    return subprocess.run(
        [Path(sys.prefix) / "bin" / "check-jsonschema", "--schemafile", needs(schema), path],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_jsonschema_accepts_the_schedule(client, mission, tmp_path):
    _, path = fetch_schedule(client, mission, tmp_path)
    result = check_jsonschema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same check refuses a schedule that breaks the schema: it can fail.
    broken = json.loads(path.read_text())
    del broken["schedule"]["conference"]["daysCount"]
    path.write_text(json.dumps(broken))
    refused = check_jsonschema(path)
    assert refused.returncode == 1 and "daysCount" in refused.stdout


def test_check_jsonschema_accepts_the_public_json(client, mission, tmp_path):
    path = tmp_path / f"{mission.slug}.json"
    path.write_bytes(fetch(client, f"/missions/{mission.slug}.json").content)
    schema = Path(settings.BASE_DIR) / "docs" / "public-json.schema.json"
    result = check_jsonschema(path, schema)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = json.loads(path.read_text())
    broken["visits"][0]["date"] = "10 June"
    path.write_text(json.dumps(broken))
    assert check_jsonschema(path, schema).returncode == 1


def pyfahrplan(path, *options):
    """pyfahrplan's table, wide enough that no title wraps, as its command line prints it."""
    result = run(
        [consumer_python("pyfahrplan"), CONSUMER_SCRIPTS / "pyfahrplan_cli.py", path, *options],
        env={**os.environ, "COLUMNS": "1000", "TZ": "UTC"},
    )
    return result.stdout


def test_pyfahrplan_lists_and_filters_the_demo(client, demo, tmp_path):
    Visit.objects.filter(slug="tansa-x-sagamihara").update(
        starts_at=datetime.time(10), ends_at=datetime.time(11, 30)
    )
    document, path = fetch_schedule(client, demo, tmp_path)
    acronym = document["schedule"]["conference"]["acronym"]
    titles = {visit.slug: visit.title for visit in dated_visits(demo)}
    everything = pyfahrplan(path, "--conference", acronym)
    assert all(title in everything for title in titles.values())
    day_one = pyfahrplan(path, "--conference", acronym, "--day", "1")
    for visit in dated_visits(demo):
        assert (visit.title in day_one) == (visit.day.date == demo.start_date), visit.slug
    # 10:30: the timed visit of 10:00–11:30, and the visits spanning their day.
    at_half_past_ten = pyfahrplan(path, "--conference", acronym, "--start", "10:30")
    assert all(title in at_half_past_ten for title in titles.values())
    # People are shown under the name conference apps read.
    speaker = pyfahrplan(path, "--conference", acronym, "--speaker", "Yamakawa")
    assert titles["tansa-x-sagamihara"] in speaker and "Hiroshi Yamakawa" in speaker
    assert titles["ispace"] not in speaker
    # Everything in June 2024 is past.
    assert "No talks in this period." in pyfahrplan(path, "--conference", acronym, "--no-past")


def test_pyfahrplan_filters_a_mission_with_gaps_by_time_and_past(client, gap_mission, tmp_path):
    document, path = fetch_schedule(client, gap_mission, tmp_path)
    acronym = document["schedule"]["conference"]["acronym"]
    listing = pyfahrplan(path, "--conference", acronym)
    for title in ["Morning briefing", "Afternoon tour", "Closing session", "Site visit"]:
        assert title in listing
    assert "Undated courtesy call" not in listing  # no date, no place in a schedule
    at_ten = pyfahrplan(path, "--conference", acronym, "--start", "10:00")
    assert "Morning briefing" in at_ten and "Closing session" in at_ten
    assert "Site visit, all day" in at_ten  # an untimed visit spans its day
    assert "Afternoon tour" not in at_ten  # 15:00
    day_six = pyfahrplan(path, "--conference", acronym, "--day", "6")
    assert "Closing session" in day_six and "Morning briefing" not in day_six
    upcoming = pyfahrplan(path, "--conference", acronym, "--no-past")
    assert "Closing session" in upcoming and "Site visit, all day" in upcoming
    assert "Morning briefing" not in upcoming and "Afternoon tour" not in upcoming
    assert "Dr Ada Example" in pyfahrplan(path, "--conference", acronym, "--speaker", "Ada")


# The iCalendar feed ------------------------------------------------------------------------


def fetch_feed(client, mission):
    response = fetch(client, f"/missions/{mission.slug}.ics")
    return response.content.decode("utf-8")


def expected_events(mission):
    """(summary, location, start) of each dated visit, as a calendar should show it."""
    expected = {}
    for visit in dated_visits(mission):
        start = visit.start if visit.start is not None else visit.day.date
        # The visit's place, as the feed's LOCATION says.
        location = str(visit.place) if visit.place is not None else ""
        expected[one_line_break(visit.title)] = (one_line_break(location), start)
    return expected


def local_date(start):
    return start.date() if isinstance(start, datetime.datetime) else start


def same_start(read, expected):
    """A date for an all-day event, else the same instant."""
    if isinstance(expected, datetime.datetime):
        return isinstance(read, datetime.datetime) and read == expected
    return not isinstance(read, datetime.datetime) and read == expected


def test_vobject_reads_the_feed(client, mission):
    calendar = vobject.readOne(fetch_feed(client, mission))
    title = one_line_break(mission.title)
    assert calendar.contents["x-wr-calname"][0].value == title
    assert calendar.contents["name"][0].value == title
    assert calendar.contents["x-wr-caldesc"][0].value == one_line_break(mission.summary)
    events = {
        event.summary.value: (
            event.location.value if "location" in event.contents else "",
            event.dtstart.value,
        )
        for event in calendar.vevent_list
    }
    expected = expected_events(mission)
    assert set(events) == set(expected)
    for summary, (location, start) in expected.items():
        assert events[summary][0] == location
        assert same_start(events[summary][1], start), summary


def test_ics_py_reads_the_feed(client, mission):
    calendar = ics.Calendar(fetch_feed(client, mission))
    events = {event.name: event for event in calendar.events}
    expected = expected_events(mission)
    assert set(events) == set(expected)
    for summary, (location, start) in expected.items():
        event = events[summary]
        assert (event.location or "") == location
        if isinstance(start, datetime.datetime):
            assert not event.all_day and event.begin.datetime == start
        else:
            assert event.all_day and event.begin.date() == start
    summaries = [visit for visit in dated_visits(mission) if visit.summary]
    assert summaries
    for visit in summaries:
        description = events[one_line_break(visit.title)].description
        assert description.startswith(one_line_break(visit.summary))


def test_recurring_ical_events_puts_each_visit_on_its_day(client, mission):
    calendar = icalendar.Calendar.from_ical(fetch_feed(client, mission))
    # icalendar, which recurring-ical-events reads with, decodes DESCRIPTION as TEXT; NAME
    # and the X-WR-* names it keeps as written, as unknown properties (vobject reads them).
    assert calendar.description == one_line_break(mission.summary)
    expected = expected_events(mission)
    for offset in range((mission.end_date - mission.start_date).days + 1):
        date = mission.start_date + datetime.timedelta(days=offset)
        # A date is an all-day event's day; a timed event is on the day of its local start.
        on_day = {
            str(event["SUMMARY"]): event for event in recurring_ical_events.of(calendar).at(date)
        }
        assert set(on_day) == {
            summary for summary, (_, start) in expected.items() if local_date(start) == date
        }, date
        for summary, event in on_day.items():
            assert str(event.get("LOCATION", "")) == expected[summary][0]
