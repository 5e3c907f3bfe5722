"""The public formats of a published mission, one exporter each, by identifier."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from .base import BaseExporter
from .calendar import mission_calendar, visit_calendar
from .places import mission_places_geojson
from .public_json import mission_document
from .schedule import mission_schedule


class JsonDocumentExporter(BaseExporter):
    """
    A JSON document in UTF-8 (scripts as themselves, not \\u escapes), compact: with an
    indent, the standard library falls back from its C encoder to pure Python, which took
    longer than building the document itself on a 15,000-visit mission (bench/exports_15k.py).
    """

    media_type = "application/json"

    def document(self) -> dict:
        raise NotImplementedError

    def render(self) -> bytes:
        text = json.dumps(
            self.document(), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
        )
        return text.encode()


class MissionJsonExporter(JsonDocumentExporter):
    """The documented, versioned JSON of the mission (docs/public-json.md)."""

    identifier = "json"
    filename_suffix = ".json"

    def document(self):
        return mission_document(self.mission, self.absolute_url)


class ScheduleExporter(JsonDocumentExporter):
    """The c3voc schedule conference apps read (Giggity, EventFahrplan, ConfClerk)."""

    identifier = "schedule"
    filename_suffix = "-schedule.json"

    def document(self):
        return mission_schedule(self.mission, self.absolute_url)


class ICalendarExporter(BaseExporter):
    """An iCalendar document (RFC 5545)."""

    media_type = "text/calendar; charset=utf-8"
    filename_suffix = ".ics"


class CalendarExporter(ICalendarExporter):
    """
    The dated visits as an iCalendar feed to subscribe to (RFC 5545). Served inline: the
    address a calendar app subscribes to (webcal://…) is a feed it reads, not a download;
    the page's download link says `download` itself.
    """

    identifier = "ics"
    as_attachment = False

    def render(self):
        return mission_calendar(self.mission, self.absolute_url)


class PlacesGeoJsonExporter(JsonDocumentExporter):
    """The mission's places as GeoJSON (RFC 7946), for any map tool."""

    identifier = "places"
    media_type = "application/geo+json"
    filename_suffix = "-places.geojson"

    def document(self):
        return mission_places_geojson(self.mission, self.absolute_url)


EXPORTERS = {
    exporter.identifier: exporter
    for exporter in (MissionJsonExporter, ScheduleExporter, CalendarExporter, PlacesGeoJsonExporter)
}


class VisitCalendarExporter(ICalendarExporter):
    """
    One dated visit as an iCalendar file, to add to a calendar once ("add to calendar"):
    the same event, UID included, as in the mission's feed, so a calendar holding both
    holds it once.
    """

    identifier = "visit_ics"
    scope = "visit"
    as_attachment = True

    def render(self):
        return visit_calendar(self.visit, self.absolute_url)


VISIT_EXPORTERS = {exporter.identifier: exporter for exporter in (VisitCalendarExporter,)}
