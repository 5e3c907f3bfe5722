"""
The registry and the meetings as open data: two CSV files, each with a W3C CSV on the Web
(CSVW) metadata document, served like every public format (docs/open-data.md).

- /agreements.csv: one row per published agreement, filtered by the registry's own filters
  (diary/filters.py: the same query string gives the same agreements as /agreements/).
- /meetings.csv: one row per visit and organisation met (a visit with nobody from a named
  organisation, or people of no organisation it met, gets one row with an empty one).
- /agreements.csv-metadata.json, /meetings.csv-metadata.json: one table group describing both
  files (columns, datatypes, primary keys, the foreign key between them, licence, publisher),
  so either document lets a CSVW tool check the pair.

One value per cell: multi-valued columns (UUIDs, codes, URLs, names) list their values with
the column's CSVW `separator`, which the metadata declares. Dates are ISO 8601 with a
precision column ("day", or "unknown" for a date the source does not give: never guessed).
The header and columns are version 2 (CSV_VERSION; 2 added meetings.csv latitude/longitude); any change to them is a new version.
"""

import csv
import datetime
import io
import json
from collections import defaultdict

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest
from django.db.models import F
from django.urls import reverse

from .. import filters
from ..models import Agreement, Visit
from .base import BaseExporter
from .licence import open_data_licence, open_data_publisher
from .related import related_by_visit, url_maker

CSV_VERSION = 2
LIST = " "  # separator of lists of UUIDs, codes and URLs: none of them holds a space
NAMES = " | "  # separator of lists of names
SITE_PARAMS = filters.PARAMETERS

UUID = {
    "base": "string",
    "format": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
PRECISION = {"base": "string", "format": "^(day|unknown)$"}
DAY_OR_UNKNOWN = "day, or unknown when the source does not give the date."


def _column(name, datatype="string", description="", **extra):
    """A CSVW column description; its title in the CSV's header row is its name."""
    column = {"name": name, "titles": name, "datatype": datatype, "dc:description": description}
    column.update(extra)
    return column


def _precision_column(name, description="day or unknown."):
    """The precision of the date column before it: every date column has one, always filled."""
    return _column(name, PRECISION, description, required=True)


AGREEMENT_COLUMNS = [
    _column("agreement_uuid", UUID, "The agreement's stable identity.", required=True),
    _column("title", description="The agreement's title.", required=True),
    _column(
        "kind",
        description="Slug of its kind: moc, mou, loi, … (extendable).",
        required=True,
    ),
    _column("kind_name", description="Its kind's name."),
    _column(
        "level",
        {"base": "string", "format": "^(government|agency|institution)$"},
        "government, agency or institution.",
        required=True,
    ),
    _column(
        "status",
        {"base": "string", "format": "^(signed|in_force|expired|terminated|superseded)$"},
        "On the day the file was built; empty when not stated.",
    ),
    _column(
        "status_basis",
        {"base": "string", "format": "^(derived|stated)$"},
        "derived from the dates, or stated by the editors; empty with no status.",
    ),
    _column("signed_on", "date", "ISO 8601 date of signature; empty when not stated."),
    _precision_column("signed_on_precision", DAY_OR_UNKNOWN),
    _column(
        "signed_at_place",
        description="Place of signature as the source gives it; empty when not stated.",
    ),
    _column("entered_into_force_on", "date", "ISO 8601; empty when not stated."),
    _precision_column("entered_into_force_on_precision"),
    _column("expires_on", "date", "ISO 8601; empty when not stated."),
    _precision_column("expires_on_precision"),
    _column(
        "duration_months",
        "nonNegativeInteger",
        "When the source gives a duration instead of an expiry date.",
    ),
    _column(
        "mission_uuid",
        UUID,
        "The mission whose account announces it.",
        required=True,
    ),
    _column("mission", description="That mission's title.", required=True),
    _column(
        "signed_at_visit_uuid",
        UUID,
        "The visit during which it was signed (meetings.csv visit_uuid); empty when not stated.",
    ),
    _column("party_uuids", UUID, "The parties' UUIDs.", separator=LIST),
    _column(
        "parties",
        description="The parties' names, in the order of party_uuids.",
        separator=NAMES,
    ),
    _column(
        "party_country_codes",
        {"base": "string", "format": "^[A-Z]{2}$"},
        "ISO 3166-1 alpha-2 code of each party's country, when known.",
        separator=LIST,
    ),
    _column("areas", description="Slugs of its areas of cooperation.", separator=LIST),
    _column("implements_uuids", UUID, "Agreements it implements.", separator=LIST),
    _column("renews_uuids", UUID, "Agreements it renews.", separator=LIST),
    _column("supersedes_uuids", UUID, "Agreements it supersedes.", separator=LIST),
    _column("amends_uuids", UUID, "Agreements it amends.", separator=LIST),
    _column("source_urls", "anyURI", "Where the facts come from.", separator=LIST),
    _column("url", "anyURI", "Its page.", required=True),
]

MEETING_COLUMNS = [
    _column("visit_uuid", UUID, "The visit's stable identity.", required=True),
    _column(
        "organisation_uuid",
        UUID,
        "The organisation met; empty on a visit's row for people of no organisation it met.",
    ),
    _column("mission_uuid", UUID, "The mission.", required=True),
    _column("mission", description="The mission's title.", required=True),
    _column(
        "date",
        "date",
        "ISO 8601 date of the visit; empty when the source does not give it.",
    ),
    _precision_column("date_precision", DAY_OR_UNKNOWN),
    _column("visit", description="The visit's title.", required=True),
    _column("purpose", description="The visit's summary."),
    _column("place", description="The site visited."),
    _column("city", description="Its city."),
    _column(
        "latitude",
        {"base": "decimal", "minimum": "-90", "maximum": "90"},
        "The place's latitude, decimal degrees north (WGS 84), when known.",
    ),
    _column(
        "longitude",
        {"base": "decimal", "minimum": "-180", "maximum": "180"},
        "The place's longitude, decimal degrees east (WGS 84), when known.",
    ),
    _column("organisation", description="The organisation's name."),
    _column(
        "organisation_country_code",
        {"base": "string", "format": "^[A-Z]{2}$"},
        "ISO 3166-1 alpha-2 code of its country, when known.",
    ),
    _column(
        "people_met",
        description="Names of the people met from that organisation.",
        separator=NAMES,
    ),
    _column("person_uuids", UUID, "Their UUIDs, in the same order.", separator=LIST),
    _column("source_urls", "anyURI", "Where the facts come from.", separator=LIST),
    _column("url", "anyURI", "The visit's page.", required=True),
]


def _degrees(value):
    """A coordinate as written in the database, without padding zeros: 35.558000 → 35.558."""
    return format(value.normalize(), "f") if value is not None else ""


def _where(visit):
    """place, city, latitude, longitude: the visit's place, or empty."""
    place = visit.place
    if place is None:
        return ["", "", "", ""]
    return [place.name, place.city, _degrees(place.latitude), _degrees(place.longitude)]


def _iso(value):
    return value.isoformat() if value else ""


def _precision(value):
    return "day" if value else "unknown"


def _csv(columns, rows):
    """UTF-8 CSV with the fixed header, RFC 4180 quoting and line endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column["name"] for column in columns])
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def _joined(values, separator):
    return separator.join(values)


def filtered_agreements(query, today=None):
    """The published agreements the registry's filters in `query` select, in registry order."""
    visible = filters.with_status(Agreement.objects.visible_to(AnonymousUser()), today)
    filterset = filters.AgreementFilter(query, queryset=visible)
    if not filterset.is_valid():
        return None, filterset.errors
    return filterset.ordered(filterset.qs), {}


class CsvExporter(BaseExporter):
    scope = "site"
    media_type = "text/csv; charset=utf-8"
    #: The URL name of the CSVW metadata document describing this file.
    metadata_view = ""

    def headers(self):
        metadata = self.absolute_url(reverse(self.metadata_view))
        return {"Link": f'<{metadata}>; rel="describedby"; type="application/csvm+json"'}


class AgreementsCsvExporter(CsvExporter):
    identifier = "agreements.csv"
    params = filters.PARAMETERS
    metadata_view = "diary:agreements_csv_metadata"

    def canonical_query(self):
        return filters.canonical_query(self.query) if "page" not in self.query else None

    def render(self):
        today = datetime.date.today()
        agreements, errors = filtered_agreements(self.query, today)
        if errors:
            # Answered 400 with the reason, as the registry page does.
            raise BadRequest("; ".join(f"{name}: {' '.join(m)}" for name, m in errors.items()))
        agreements = agreements.select_related(
            "mission", "kind", "signed_at_visit"
        ).prefetch_related(
            "parties", "areas", "sources", "implements", "renews", "supersedes", "amends"
        )
        page_url = url_maker(self.absolute_url, "diary:agreement")
        rows = []
        for agreement in agreements:
            parties = sorted(agreement.parties.all(), key=lambda o: (o.name, str(o.uuid)))

            def uuids(records):
                return _joined(sorted(str(r.uuid) for r in records), LIST)

            status, basis = agreement.status_on(today)
            rows.append(
                [
                    str(agreement.uuid),
                    agreement.title,
                    agreement.kind.slug,
                    agreement.kind.name,
                    agreement.level,
                    status,
                    basis,
                    _iso(agreement.signed_on),
                    _precision(agreement.signed_on),
                    agreement.signed_at_place,
                    _iso(agreement.entered_into_force_on),
                    _precision(agreement.entered_into_force_on),
                    _iso(agreement.expires_on),
                    _precision(agreement.expires_on),
                    "" if agreement.duration_months is None else str(agreement.duration_months),
                    str(agreement.mission.uuid),
                    agreement.mission.title,
                    str(agreement.signed_at_visit.uuid) if agreement.signed_at_visit else "",
                    _joined([str(o.uuid) for o in parties], LIST),
                    _joined([o.name for o in parties], NAMES),
                    _joined([o.country for o in parties if o.country], LIST),
                    _joined(sorted(a.slug for a in agreement.areas.all()), LIST),
                    uuids(agreement.implements.all()),
                    uuids(agreement.renews.all()),
                    uuids(agreement.supersedes.all()),
                    uuids(agreement.amends.all()),
                    _joined(sorted(s.url for s in agreement.sources.all() if s.url), LIST),
                    page_url(agreement.slug),
                ]
            )
        return _csv(AGREEMENT_COLUMNS, rows)


class MeetingsCsvExporter(CsvExporter):
    identifier = "meetings.csv"
    metadata_view = "diary:meetings_csv_metadata"

    def render(self):
        visits = (
            Visit.objects.published()
            .select_related("mission", "day", "place")
            .order_by(
                "mission__start_date",
                "mission__title_en",  # English titles, whatever language is active
                "mission_id",
                F("day__date").asc(nulls_last=True),
                "position",
                "title_en",
                "uuid",
            )
        )
        organisations = related_by_visit(visits, "organisations")
        people = related_by_visit(visits, "people", "organisation")
        sources = related_by_visit(visits, "sources")
        rows = []
        for visit in visits:
            if visit.day and visit.day.mission_id != visit.mission_id:
                visit.day = None  # another mission's day: not shown, as on the pages
            met = organisations.get(visit.pk, [])
            by_organisation = defaultdict(list)
            for person in people.get(visit.pk, []):
                by_organisation[person.organisation_id].append(person)
            met_ids = {o.pk for o in met}
            unattached = [
                p for key, group in by_organisation.items() if key not in met_ids for p in group
            ]
            common = {
                "sources": _joined(sorted(s.url for s in sources.get(visit.pk, []) if s.url), LIST),
                "url": self.absolute_url(visit.get_absolute_url()),
            }
            entries = [(o, by_organisation.get(o.pk, [])) for o in met]
            if unattached or not met:
                entries.append((None, unattached))
            for organisation, group in entries:
                group = sorted(group, key=lambda p: (p.name, str(p.uuid)))
                date = visit.day.date if visit.day else None
                rows.append(
                    [
                        str(visit.uuid),
                        str(organisation.uuid) if organisation else "",
                        str(visit.mission.uuid),
                        visit.mission.title,
                        _iso(date),
                        _precision(date),
                        visit.title,
                        visit.summary,
                        *_where(visit),
                        organisation.name if organisation else "",
                        organisation.country if organisation else "",
                        _joined([p.name for p in group], NAMES),
                        _joined([str(p.uuid) for p in group], LIST),
                        common["sources"],
                        common["url"],
                    ]
                )
        return _csv(MEETING_COLUMNS, rows)


class CsvMetadataExporter(BaseExporter):
    """The CSVW metadata (a table group describing both files) for one of them."""

    scope = "site"
    media_type = "application/csvm+json"

    def render(self):
        licence, publisher = open_data_licence(), open_data_publisher()
        agreements = {
            "url": "agreements.csv",
            "dc:title": "Agreements",
            "dc:description": "One row per published agreement (the registry, filtered by the query string of its address).",
            "tableSchema": {
                "columns": AGREEMENT_COLUMNS,
                "primaryKey": "agreement_uuid",
                "foreignKeys": [
                    {
                        "columnReference": "signed_at_visit_uuid",
                        "reference": {"resource": "meetings.csv", "columnReference": "visit_uuid"},
                    }
                ],
            },
        }
        meetings = {
            "url": "meetings.csv",
            "dc:title": "Meetings",
            "dc:description": "One row per published visit and organisation met.",
            "tableSchema": {
                "columns": MEETING_COLUMNS,
                "primaryKey": ["visit_uuid", "organisation_uuid"],
            },
        }
        document = {
            "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
            "dc:title": "Mission Tracker open data",
            "dc:license": {"@id": licence["url"]},
            "dc:rights": licence["name"],
            "dc:publisher": {
                "schema:name": publisher["name"],
                **({"schema:url": {"@id": publisher["url"]}} if publisher["url"] else {}),
            },
            "schema:version": str(CSV_VERSION),
            "dialect": {"encoding": "utf-8", "header": True, "lineTerminators": ["\r\n"]},
            "tables": [agreements, meetings]
            if self.first == "agreements"
            else [meetings, agreements],
        }
        return json.dumps(document, ensure_ascii=False, indent=2).encode()


class AgreementsMetadataExporter(CsvMetadataExporter):
    identifier = "agreements.csv-metadata.json"
    first = "agreements"


class MeetingsMetadataExporter(CsvMetadataExporter):
    identifier = "meetings.csv-metadata.json"
    first = "meetings"


SITE_EXPORTERS = {
    exporter.identifier: exporter
    for exporter in (
        AgreementsCsvExporter,
        MeetingsCsvExporter,
        AgreementsMetadataExporter,
        MeetingsMetadataExporter,
    )
}
