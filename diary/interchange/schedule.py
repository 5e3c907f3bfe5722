"""
A published mission as a c3voc schedule (the frab/pretalx JSON that Giggity, EventFahrplan
and ConfClerk read; schema: ../shared/schemas/c3voc-schedule.schema.json).

Each mission day is a conference day and each dated visit an event in the room named by its
site and city. The format has no place for an event without a date, so an undated visit is
left out rather than given an invented one; a dated visit with no recorded time spans its
whole day and says so in its description.
"""

import datetime
import hashlib
import json
import re
import uuid

from django.conf import settings

from ..models import Visit

SCHEDULE_SCHEMA = "https://c3voc.de/schedule/schema.json"
DEFAULT_ROOM = "Programme"
TIME_NOT_RECORDED = "Time not recorded: this visit took place on this day."
END_NOT_RECORDED = "End time not recorded."
# The schema only accepts zone names shaped like "Asia/Tokyo" (or UTC); others are left out.
ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")


def _hours_minutes(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slug(text: str) -> str:
    """The schema's slug: lower-case letters, digits, - and _, ending in a letter or digit."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_") or "visit"


def _acronym(slug: str) -> str:
    """The schema wants [a-z0-9_-] then at least three of [a-z0-9_]: japan-2024 → japan_2024."""
    acronym = re.sub(r"[^a-z0-9_]", "_", slug.lower())
    return acronym.ljust(4, "_")


def _event_id(visit) -> int:
    """The schema still requires a positive integer id: derive it from the UUID, stable anywhere."""
    return visit.uuid.int % (2**31 - 1) + 1


def _room(visit) -> str:
    return ", ".join(part for part in (visit.site_name, visit.city) if part) or DEFAULT_ROOM


def _day_bounds(date, zone):
    start = datetime.datetime.combine(date, datetime.time(0), tzinfo=zone)
    next_start = datetime.datetime.combine(
        date + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    # Subtract in UTC: a day with a DST change is 23 or 25 hours long.
    length = next_start.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
    return start, next_start, length


def _event(visit, absolute, day_start, day_length):
    notes = []
    if visit.start is None:
        start, duration = day_start, _hours_minutes(day_length)
        notes.append(TIME_NOT_RECORDED)
    else:
        start = visit.start
        if visit.end is None:
            duration = "00:00"
            notes.append(END_NOT_RECORDED)
        else:
            duration = _hours_minutes(
                visit.end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
            )
    description = "\n\n".join(part for part in (visit.body, *notes) if part)
    return {
        "id": _event_id(visit),
        "guid": str(visit.uuid),
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": duration,
        "room": _room(visit),
        "slug": _slug(f"{visit.mission.slug}-{visit.slug}"),
        "url": absolute(visit.get_absolute_url()),
        "title": visit.title,
        "subtitle": "",
        "track": None,
        "type": "visit",
        "language": settings.LANGUAGE_CODE,
        "abstract": visit.summary,
        "description": description,
        "persons": [
            {
                "guid": str(person.uuid),
                "name": person.full_name,
                "url": absolute(person.get_absolute_url()),
            }
            for person in visit.people.all()
        ],
        "links": [
            {"type": "article", "url": source.url, "title": source.title}
            for source in visit.sources.all()
            if source.url
        ],
    }


def mission_schedule(mission, absolute) -> dict:
    zone = mission.zone
    visits = (
        Visit.objects.filter(mission=mission, day__isnull=False)
        .order_by(*Visit._meta.ordering, "uuid")
        .select_related("mission", "day")
        .prefetch_related("people", "sources")
    )
    visits_by_day = {}
    for visit in visits:
        visits_by_day.setdefault(visit.day_id, []).append(visit)

    rooms = {}
    days = []
    for index, day in enumerate(mission.days.order_by("date"), start=1):
        day_start, next_start, length = _day_bounds(day.date, zone)
        events_by_room = {}
        for visit in visits_by_day.get(day.pk, []):
            event = _event(visit, absolute, day_start, length)
            events_by_room.setdefault(event["room"], []).append(event)
            rooms.setdefault(event["room"], None)
        days.append(
            {
                "index": index,
                "date": day.date.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": (next_start - datetime.timedelta(minutes=1)).isoformat(),
                "rooms": events_by_room,
            }
        )

    conference = {
        "acronym": _acronym(mission.slug),
        "title": mission.title,
        "description": mission.summary,
        "start": mission.start_date.isoformat(),
        "end": mission.end_date.isoformat(),
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
