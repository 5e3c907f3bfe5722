"""
A mission's dated visits as an iCalendar feed (RFC 5545), built with the `icalendar` package.

Choices a subscriber will notice:

- Only visits with a recorded day are events. An undated visit has no place on a calendar
  and is left out rather than given an invented date.
- A visit with start and end times is a timed event with TZID=<mission timezone>, and the
  feed carries the matching VTIMEZONE generated from zoneinfo, so clients show the local
  time (09:30 JST) and convert it correctly for subscribers elsewhere.
- A visit with a start time but no end time has DTSTART and no DTEND: RFC 5545 §3.6.1 reads
  that as an event that ends when it starts, i.e. "starts at 14:00". Inventing a duration
  (one hour, say) would state a fact the source does not give.
- A visit on a known day with no recorded time is an all-day event (VALUE=DATE) on that
  day, with the explicit exclusive DTEND of the next day that every client understands.
- UIDs are `<visit uuid>@missiontracker`: the UUID is the record's identity on every
  instance (fixtures carry it), so re-importing the mission, or serving it from another
  server, keeps each event the same event in subscribers' calendars.
- The feed speaks the language of its address: /fr/missions/<slug>.ics is in French,
  /ja/….ics in Japanese (titles, summaries and labels; lists of names joined as that
  language joins them). A title or summary nobody has translated is the English text, and
  its property says so with LANGUAGE=en (RFC 5545 §3.2.10), as the pages mark it lang="en".
- DTSTAMP is not the time of the request. With no METHOD (a published feed, not an iTIP
  message) RFC 5545 §3.8.7.2 makes DTSTAMP the time the information was last revised; the
  records keep no revision time, so the feed uses a fixed value of the mission itself, its
  start date at 00:00 UTC. The same data then always gives the same bytes, which lets
  clients and caches tell "nothing changed" from "changed", and lets tests compare feeds.

How it is written: the calendar itself (its properties and VTIMEZONE) is an icalendar
`Calendar`; each event is its content lines, made by the library's own pieces — `vText`
escapes TEXT, `vDDDTypes` writes dates, times and their TZID, `Contentline` writes parameters
and folds long lines — exactly as `Event.to_ical()` writes them, in the same order. Building an
`Event` per visit and serializing it cost about 1 ms of CPU per event (15 s for a 15,000-visit
mission, past gunicorn's 30 s timeout on a busy machine); the lines alone, a fifth of that,
most of it the library's folding (bench/RESULTS.md). tests/test_calendar.py compares the bytes
with the `Event`-built calendar on the demo and on awkward text at every fold offset.
"""

import datetime

from django.utils.translation import gettext as _
from icalendar import Calendar, Timezone, vDDDTypes, vGeo, vText
from icalendar.parser import Contentline

from ..models import Visit
from ..translated import list_separator, translate_field
from .related import related_by_visit, url_maker

PRODID = "-//Mission Tracker//Mission diary//EN"
UID_DOMAIN = "missiontracker"
# Clients that honour it poll a published mission's feed daily rather than on every refresh.
REFRESH_INTERVAL = datetime.timedelta(days=1)
# RFC 5545 §3.1: lines longer than 75 octets are folded. The library's folding walks a line
# character by character, the largest cost left per event; a line shorter than that is never
# changed by it, so only longer lines are handed to it.
FOLD_OCTETS = 75
END_CALENDAR = b"END:VCALENDAR\r\n"


def event_uid(visit):
    return f"{visit.uuid}@{UID_DOMAIN}"


def feed_stamp(mission):
    """The fixed DTSTAMP of every event in the mission's feed (see the module docstring)."""
    return datetime.datetime.combine(mission.start_date, datetime.time(0), tzinfo=datetime.UTC)


def visit_location(visit):
    return str(visit.place) if visit.place is not None else ""


def visit_description(visit, organisations, people):
    """The summary, then who was met: what a subscriber wants to read in the event."""
    paragraphs = [visit.summary] if visit.summary else []
    if organisations:
        names = list_separator(",").join(str(o) for o in organisations)
        paragraphs.append(_("Organisations: %(names)s") % {"names": names})
    if people:
        names = list_separator(";").join(
            f"{person.full_name} ({person.title_line})" if person.title_line else person.full_name
            for person in people
        )
        paragraphs.append(_("People met: %(names)s") % {"names": names})
    return "\n\n".join(paragraphs)


def folded(line: bytes) -> bytes:
    """The line and its CRLF, folded by icalendar's `Contentline` when over 75 octets."""
    if len(line) >= FOLD_OCTETS:
        line = Contentline(line).to_ical()
    return line + b"\r\n"


def content_line(name, value) -> bytes:
    """One property, its parameters and value as icalendar's components write them, folded."""
    return folded(Contentline.from_parts(name, value.params, value).encode())


def translated_line(name, text) -> bytes:
    """A TEXT property of a translated field: LANGUAGE=en when it is the English stand-in."""
    if text.lang:
        return content_line(name, vText(text.text, params={"LANGUAGE": text.lang}))
    return text_line(name, text.text)


def text_line(name, text) -> bytes:
    """
    A TEXT property with no parameters, as `content_line(name, vText(text))` writes it (vText
    escapes the text) without building the line object, for the few lines of every event.
    """
    return folded(name.encode() + b":" + vText(text).to_ical())


class EventWriter:
    """
    The VEVENT of each visit as bytes, and the TZIDs its times use. Properties in the order
    `Event.to_ical()` gives them (its canonical order, then alphabetical), so the feed is the
    same as one built from `Event` objects.
    """

    def __init__(self, stamp):
        self.stamp_line = content_line("DTSTAMP", vDDDTypes(stamp))
        self.tzids = set()
        # Visits share days, times and places: those lines are made once each.
        self._time_lines = {}
        self._location_lines = {}

    def location_line(self, location):
        line = self._location_lines.get(location)
        if line is None:
            line = self._location_lines[location] = text_line("LOCATION", location)
        return line

    def time_line(self, name, moment):
        # The zone too: aware datetimes in different zones compare equal at the same instant.
        key = (name, moment, getattr(moment, "tzinfo", None))
        line = self._time_lines.get(key)
        if line is None:
            value = vDDDTypes(moment)
            tzid = value.params.get("TZID")
            if tzid:
                self.tzids.add(tzid)
            line = self._time_lines[key] = content_line(name, value)
        return line

    def event(self, visit, url, organisations=(), people=()) -> bytes:
        if visit.start is None:
            start = visit.day.date
            end = start + datetime.timedelta(days=1)
        else:
            start, end = visit.start, visit.end
        lines = [
            b"BEGIN:VEVENT\r\n",
            translated_line("SUMMARY", translate_field(visit, "title")),
            self.time_line("DTSTART", start),
        ]
        if end is not None:
            lines.append(self.time_line("DTEND", end))
        # A UUID, "@" and the domain are nothing TEXT escapes: the value is written as it is.
        lines += [self.stamp_line, folded(b"UID:" + event_uid(visit).encode())]
        description = visit_description(visit, organisations, people)
        if description:
            lines.append(text_line("DESCRIPTION", description))
        if visit.place is not None and visit.place.has_coordinates:
            # GEO (RFC 5545 §3.8.1.6): latitude;longitude, decimal degrees; before LOCATION,
            # where icalendar's own Event writes it.
            geo = vGeo((float(visit.place.latitude), float(visit.place.longitude)))
            lines.append(content_line("GEO", geo))
        location = visit_location(visit)
        if location:
            lines.append(self.location_line(location))
        # vUri writes a URI as it is (it only refuses CR and LF, which neither the site's
        # address nor a slug can hold): the URL is written as vUri would.
        lines += [folded(b"URL:" + url.encode()), b"END:VEVENT\r\n"]
        return b"".join(lines)


def calendar_texts(mission):
    """The calendar's own name and description, as (property, text) pairs."""
    title, summary = translate_field(mission, "title"), translate_field(mission, "summary")
    texts = [("NAME", title), ("X-WR-CALNAME", title)]
    if summary:
        texts += [("DESCRIPTION", summary), ("X-WR-CALDESC", summary)]
    return texts


# What an event shows: the full account (`body`) and the search vector stay in the database.
EVENT_FIELDS = (
    "uuid",
    "slug",
    "title",
    "summary",
    "starts_at",
    "ends_at",
    "place",
    "place__name",
    "place__city",
    "place__latitude",
    "place__longitude",
)


def dated_visits(mission):
    return (
        mission.visits.filter(day__isnull=False)
        .order_by(*Visit._meta.ordering, "uuid")
        .select_related("place")
        .only("mission", "day", *EVENT_FIELDS)
    )


def with_days(visits, mission):
    """
    The visits, each given its Day from the mission's few (their mission is `mission` already,
    read through its related manager): a copy of both per visit, as select_related builds,
    cost more than writing the event.
    """
    days = {day.pk: day for day in mission.days.all()}
    visits = list(visits)
    for visit in visits:
        visit.day = days[visit.day_id]
    return visits


def finished_calendar(calendar, events, tzids, first_year, last_year) -> bytes:
    """
    `calendar` with a VTIMEZONE for each TZID its `events` use, and the events, as bytes.

    The VTIMEZONEs are added as Calendar.add_missing_timezones adds them (UTC needs none),
    covering `first_year` to `last_year`: enough for any client, far shorter than the
    1970–2038 default for zones with daylight saving time. Unknown zones are left out.
    """
    for tzid in sorted(tzids - {"UTC"}):
        try:
            timezone = Timezone.from_tzid(
                tzid,
                first_date=datetime.date(first_year, 1, 1),
                last_date=datetime.date(last_year + 1, 1, 1),
            )
        except ValueError:
            continue
        calendar.add_component(timezone)
    # The library writes the calendar and its VTIMEZONEs; the events go before its end, where
    # it writes its other components.
    head = calendar.to_ical()
    if not head.endswith(END_CALENDAR):
        raise AssertionError(f"icalendar ended a calendar with {head[-40:]!r}")
    return b"".join([head[: -len(END_CALENDAR)], *events, END_CALENDAR])


def mission_calendar(mission, absolute_url):
    """
    The mission's calendar as bytes.

    `absolute_url` turns a path into a full URL (request.build_absolute_uri), since a feed
    is read outside the site and relative links mean nothing there.
    """
    calendar = Calendar.new(
        prodid=PRODID,
        uid=str(mission.uuid),
        url=absolute_url(mission.get_absolute_url()),
        refresh_interval=REFRESH_INTERVAL,
    )
    # icalendar 7.3's `name` and `description` setters store NAME, X-WR-CALNAME and
    # X-WR-CALDESC as unknown values, written raw: a comma or semicolon then splits the
    # value for readers such as vobject, and a line break is refused (500). They are TEXT
    # (RFC 7986 §5.1; the X-WR- names as clients read them): vText escapes , ; \ and line
    # breaks as RFC 5545 §3.3.11 requires, and the serializer folds long lines.
    for name, text in calendar_texts(mission):
        calendar.add(name, vText(text.text, params={"LANGUAGE": text.lang} if text.lang else None))
    # X-WR-TIMEZONE is what Google Calendar and Apple Calendar read as the calendar's zone.
    calendar.add("X-WR-TIMEZONE", mission.timezone)
    visits = dated_visits(mission)
    organisations = related_by_visit(visits, "organisations")
    people = related_by_visit(visits, "people", "organisation")
    visit_url = url_maker(absolute_url, "diary:visit", mission_slug=mission.slug)
    writer = EventWriter(feed_stamp(mission))
    events = [
        writer.event(
            visit,
            visit_url(visit.slug),
            organisations.get(visit.pk, ()),
            people.get(visit.pk, ()),
        )
        for visit in with_days(visits, mission)
    ]
    return finished_calendar(
        calendar, events, writer.tzids, mission.start_date.year, mission.end_date.year
    )


def visit_calendar(visit, absolute_url):
    """
    One dated visit as a calendar of one event, to add to a calendar: the event exactly as
    the mission's feed writes it (same UID, DTSTAMP and lines), with the VTIMEZONE its times
    refer to. No name, URL or refresh interval: it is a file to import, not a feed.
    `visit` has its mission, day and place loaded; an undated visit has no such file.
    """
    if visit.day is None:
        raise ValueError("An undated visit has no calendar event.")
    mission = visit.mission
    calendar = Calendar.new(prodid=PRODID)
    writer = EventWriter(feed_stamp(mission))
    event = writer.event(
        visit,
        absolute_url(visit.get_absolute_url()),
        list(visit.organisations.all()),
        list(visit.people.select_related("organisation")),
    )
    year = visit.day.date.year
    return finished_calendar(calendar, [event], writer.tzids, year, year)
