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
- DTSTAMP is not the time of the request. With no METHOD (a published feed, not an iTIP
  message) RFC 5545 §3.8.7.2 makes DTSTAMP the time the information was last revised; the
  records keep no revision time, so the feed uses a fixed value of the mission itself, its
  start date at 00:00 UTC. The same data then always gives the same bytes, which lets
  clients and caches tell "nothing changed" from "changed", and lets tests compare feeds.
"""

import datetime

from icalendar import Calendar, Event, vText

from ..models import Visit
from .related import related_by_visit, url_maker

PRODID = "-//Mission Tracker//Mission diary//EN"
UID_DOMAIN = "missiontracker"
# Clients that honour it poll a published mission's feed daily rather than on every refresh.
REFRESH_INTERVAL = datetime.timedelta(days=1)


def event_uid(visit):
    return f"{visit.uuid}@{UID_DOMAIN}"


def feed_stamp(mission):
    """The fixed DTSTAMP of every event in the mission's feed (see the module docstring)."""
    return datetime.datetime.combine(mission.start_date, datetime.time(0), tzinfo=datetime.UTC)


def visit_location(visit):
    if visit.place is not None:
        return str(visit.place)
    return ", ".join(part for part in (visit.site_name, visit.city) if part)


def visit_description(visit, organisations, people):
    """The summary, then who was met: what a subscriber wants to read in the event."""
    paragraphs = [visit.summary] if visit.summary else []
    if organisations:
        paragraphs.append("Organisations: " + ", ".join(str(o) for o in organisations))
    if people:
        paragraphs.append(
            "People met: "
            + "; ".join(
                f"{person.full_name} ({person.title_line})"
                if person.title_line
                else person.full_name
                for person in people
            )
        )
    return "\n\n".join(paragraphs)


def visit_event(visit, stamp, url, organisations=(), people=()):
    if visit.start is None:
        start = visit.day.date
        end = start + datetime.timedelta(days=1)
    else:
        start, end = visit.start, visit.end
    event = Event.new(uid=event_uid(visit), stamp=stamp, start=start, end=end, url=url)
    # Event.new(summary=…) would do, but vText says plainly that it is escaped TEXT.
    event.add("SUMMARY", vText(visit.title))
    location = visit_location(visit)
    if location:
        event.add("LOCATION", vText(location))
    if visit.place is not None and visit.place.has_coordinates:
        # GEO (RFC 5545 §3.8.1.6): latitude;longitude, decimal degrees.
        event.add("GEO", (float(visit.place.latitude), float(visit.place.longitude)))
    description = visit_description(visit, organisations, people)
    if description:
        event.add("DESCRIPTION", vText(description))
    return event


def calendar_texts(mission):
    """The calendar's own name and description, as (property, text) pairs."""
    texts = [("NAME", mission.title), ("X-WR-CALNAME", mission.title)]
    if mission.summary:
        texts += [("DESCRIPTION", mission.summary), ("X-WR-CALDESC", mission.summary)]
    return texts


def dated_visits(mission):
    return Visit.objects.filter(mission=mission, day__isnull=False).select_related(
        "mission", "day", "place"
    )


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
        calendar.add(name, vText(text))
    # X-WR-TIMEZONE is what Google Calendar and Apple Calendar read as the calendar's zone.
    calendar.add("X-WR-TIMEZONE", mission.timezone)
    stamp = feed_stamp(mission)
    visits = dated_visits(mission)
    organisations = related_by_visit(visits, "organisations")
    people = related_by_visit(visits, "people", "organisation")
    visit_url = url_maker(absolute_url, "diary:visit", mission_slug=mission.slug)
    for visit in visits:
        event = visit_event(
            visit,
            stamp,
            visit_url(visit.slug),
            organisations.get(visit.pk, ()),
            people.get(visit.pk, ()),
        )
        calendar.add_component(event)
    # A VTIMEZONE for each TZID used, covering the mission's years: enough for any client,
    # far shorter than the 1970–2038 default for zones with daylight saving time.
    calendar.add_missing_timezones(
        first_date=datetime.date(mission.start_date.year, 1, 1),
        last_date=datetime.date(mission.end_date.year + 1, 1, 1),
    )
    return calendar.to_ical()
