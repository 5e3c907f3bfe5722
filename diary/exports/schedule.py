"""
A published mission as a c3voc schedule (the frab/pretalx JSON that Giggity, EventFahrplan
and ConfClerk read; schema: ../shared/schemas/c3voc-schedule.schema.json).

Every date of the mission, from its start to its end, is a conference day (index 1 on the
start date), whether or not the diary records anything on it: consumers such as
c3voc-schedule-tools match days by index and date. Each dated visit is an event in the room
named by its site and city. The format has no place for an event without a date, so an undated
visit is left out rather than given an invented one; a dated visit with no recorded time spans
its day (from 00:00, for 23:59: readers refuse "24:00") and says so in its description.

The schedule speaks the language of its address (/fr/…/schedule.json in French, /ja/… in
Japanese): the format's texts are plain strings, one language each, so each language is its
own schedule. An event's `language` is that of its title: the reader's, or "en" where the
title is the English text nobody has translated yet.

The shapes chosen so that every consumer reads them, and the consumers it is tested with, are
documented in docs/c3voc-schedule.md.
"""

import datetime
import hashlib
import json
import re
import uuid

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from ..models import Visit
from ..translated import translate_field
from .related import related_by_visit, url_maker

SCHEDULE_SCHEMA = "https://c3voc.de/schedule/schema.json"
DEFAULT_ROOM = "Programme"
TIME_NOT_RECORDED = gettext_noop("Time not recorded: this visit took place on this day.")
END_NOT_RECORDED = gettext_noop("End time not recorded.")
# The schema only accepts zone names shaped like "Asia/Tokyo" (or UTC); others are left out.
ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# A duration is read as a time of day by some consumers (pyfahrplan: dateutil), which refuse
# "24:00" or more: a visit spanning its day lasts until 23:59, the day's end as day_end says.
LONGEST_DURATION = datetime.timedelta(hours=23, minutes=59)
# The voc XML schema's event slug: 4+ of [a-z0-9_], a hyphen, then 4+ of [a-z0-9_-].
SLUG_PART_MIN = 4


def _hours_minutes(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _event_slug(acronym: str, visit) -> str:
    """
    "<acronym>-<visit slug>", e.g. japan_2024-ispace: the JSON schema wants [a-z0-9_-] ending
    in a letter or digit, the XML schema 4+ of [a-z0-9_] (the acronym), a hyphen, then 4+ of
    [a-z0-9_-]. A visit slug that is shorter, or changes on the way (upper case, a leading or
    trailing dash), gets the event id appended, so slugs stay unique within the schedule.
    """
    part = re.sub(r"[^a-z0-9_-]+", "-", visit.slug.lower()).strip("-_")
    if part != visit.slug or len(part) < SLUG_PART_MIN:
        part = f"{part or 'visit'}-{_event_id(visit)}"
    return f"{acronym}-{part}"


def _acronym(slug: str) -> str:
    """The schema wants [a-z0-9_-] then at least three of [a-z0-9_]: japan-2024 → japan_2024."""
    acronym = re.sub(r"[^a-z0-9_]", "_", slug.lower())
    return acronym.ljust(4, "_")


def _event_id(visit) -> int:
    """The schema still requires a positive integer id: derive it from the UUID, stable anywhere."""
    return visit.uuid.int % (2**31 - 1) + 1


def _room(visit) -> str:
    """The visit's place (a room, to conference apps), else the default."""
    return str(visit.place) if visit.place is not None else DEFAULT_ROOM


def _day_bounds(date, zone):
    start = datetime.datetime.combine(date, datetime.time(0), tzinfo=zone)
    next_start = datetime.datetime.combine(
        date + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    # Subtract in UTC: a day with a DST change is 23 or 25 hours long.
    length = next_start.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
    return start, next_start, length


def _event(visit, acronym, urls, related, day_start, day_length):
    """`urls` makes the absolute URL of a visit or person from its slug; `related` maps
    "people" and "sources" to {visit id: [records]}."""
    notes = []
    if visit.start is None:
        # Until the day's last minute (day_end), and never past 23:59: on the autumn day of a
        # DST change (25 hours) the event ends an hour early rather than crash a reader.
        whole_day = min(day_length - datetime.timedelta(minutes=1), LONGEST_DURATION)
        start, duration = day_start, _hours_minutes(whole_day)
        notes.append(_(TIME_NOT_RECORDED))
    else:
        start = visit.start
        if visit.end is None:
            duration = "00:00"
            notes.append(_(END_NOT_RECORDED))
        else:
            duration = _hours_minutes(
                visit.end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
            )
    description = "\n\n".join(part for part in (visit.body, *notes) if part)
    title = translate_field(visit, "title")
    return {
        "id": _event_id(visit),
        "guid": str(visit.uuid),
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": duration,
        "room": _room(visit),
        "slug": _event_slug(acronym, visit),
        "url": urls["visit"](visit.slug),
        "title": title.text,
        "subtitle": "",
        "track": None,
        "type": "visit",
        "language": title.lang or get_language(),
        "abstract": visit.summary,
        "description": description,
        # `name` is pretalx's key, `public_name` frab's, which pyfahrplan and the voc XML
        # converter read: both, and no integer `id`, so the schema's oneOf picks pretalx's.
        "persons": [
            {
                "guid": str(person.uuid),
                "name": person.full_name,
                "public_name": person.full_name,
                "url": urls["person"](person.slug),
            }
            for person in related["people"].get(visit.pk, ())
        ],
        "links": [
            {"type": "article", "url": source.url, "title": source.title}
            for source in related["sources"].get(visit.pk, ())
            if source.url
        ],
    }


def mission_schedule(mission, absolute) -> dict:
    zone = mission.zone
    # A mission's visits may be many (15,000 in bench/exports_15k.py): their people and sources
    # are read once per link table rather than prefetched per visit, their mission is `mission`
    # (read through its related manager) and their day one of its few Day objects, and URLs
    # are reversed once per pattern (diary/exports/related.py).
    visits = (
        mission.visits.filter(day__isnull=False)
        .order_by(*Visit._meta.ordering, "uuid")
        .select_related("place")
    )
    related = {field: related_by_visit(visits, field) for field in ("people", "sources")}
    urls = {
        "visit": url_maker(absolute, "diary:visit", mission_slug=mission.slug),
        "person": url_maker(absolute, "diary:person"),
    }
    recorded_days = {day.date: day for day in mission.days.order_by("date")}
    days_by_pk = {day.pk: day for day in recorded_days.values()}
    visits_by_day = {}
    for visit in visits:
        visit.day = days_by_pk[visit.day_id]
        visits_by_day.setdefault(visit.day_id, []).append(visit)

    # The mission's calendar; a recorded day outside it (which validation refuses) still
    # widens it, so no visit is ever dropped.
    first = min([mission.start_date, *recorded_days])
    last = max([mission.end_date, *recorded_days])
    acronym = _acronym(mission.slug)

    rooms = {}
    days = []
    for offset in range((last - first).days + 1):
        date = first + datetime.timedelta(days=offset)
        day_start, next_start, length = _day_bounds(date, zone)
        events_by_room = {}
        day = recorded_days.get(date)
        for visit in visits_by_day.get(day.pk, []) if day else []:
            event = _event(visit, acronym, urls, related, day_start, length)
            events_by_room.setdefault(event["room"], []).append(event)
            rooms.setdefault(event["room"], None)
        days.append(
            {
                "index": offset + 1,
                "date": date.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": (next_start - datetime.timedelta(minutes=1)).isoformat(),
                "rooms": events_by_room,
            }
        )

    # No `description`: the voc XML schema has no place for one, and c3voc-schedule-tools
    # would carry it into XML that fails validation.
    conference = {
        "acronym": acronym,
        "title": mission.title,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": "00:15",
        "url": absolute(mission.get_absolute_url()),
        "rooms": [
            # A room's guid must be a UUID: derive it from the mission and the room's name.
            {"name": name, "guid": str(uuid.uuid5(mission.uuid, name))}
            for name in sorted(rooms)
        ],
        "days": days,
    }
    if ZONE_NAME.match(mission.timezone):
        conference["time_zone_name"] = mission.timezone
    # The schedule's version changes exactly when its content does.
    content = json.dumps(conference, sort_keys=True, ensure_ascii=False).encode()
    return {
        "$schema": SCHEDULE_SCHEMA,
        "generator": {"name": "Mission Tracker"},
        "schedule": {
            "version": hashlib.sha256(content).hexdigest()[:12],
            "base_url": absolute("/"),
            "conference": conference,
        },
    }
