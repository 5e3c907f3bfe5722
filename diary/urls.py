from django.urls import path, re_path, register_converter

from . import views
from .converters import IsoDateConverter
from .exports.views import mission_export, revision_export, site_export, visit_export

register_converter(IsoDateConverter, "isodate")

app_name = "diary"


def document(route, view, identifier, name):
    """The address of a public format: its scope's one view, given the exporter's identifier."""
    return path(route, view, {"identifier": identifier}, name=name)


def site_document(identifier, name):
    """A site-wide document's address is its identifier: /agreements.csv."""
    return document(identifier, site_export, identifier, name)


urlpatterns = [
    path("", views.home, name="home"),
    path("missions/<slug:slug>/", views.mission_detail, name="mission"),
    # The public formats: one view, the format named by its exporter's identifier.
    document("missions/<slug:slug>.ics", mission_export, "ics", "mission_ics"),
    document("missions/<slug:slug>.json", mission_export, "json", "mission_json"),
    document("missions/<slug:slug>/schedule.json", mission_export, "schedule", "mission_schedule"),
    document("missions/<slug:slug>/places.geojson", mission_export, "places", "mission_places"),
    # Publications (diary/publishing.py): the changelog, each revision's JSON, the feeds.
    path("missions/<slug:slug>/updates/", views.mission_updates, name="mission_updates"),
    re_path(
        # One address per revision: no leading zero, no number past what a column holds.
        r"^missions/(?P<slug>[-a-zA-Z0-9_]+)/updates/(?P<number>[1-9][0-9]{0,8})\.json$",
        revision_export,
        name="mission_revision_json",
    ),
    document("missions/<slug:slug>/updates.atom", mission_export, "atom", "mission_feed"),
    site_document("updates.atom", "site_feed"),
    path("missions/<slug:mission_slug>/<isodate:date>/", views.day_detail, name="day"),
    path("missions/<slug:mission_slug>/visits/<slug:slug>/", views.visit_detail, name="visit"),
    # One dated visit as a calendar file ("add to calendar"), through the same exporter view.
    document(
        "missions/<slug:mission_slug>/visits/<slug:slug>.ics",
        visit_export,
        "visit_ics",
        "visit_ics",
    ),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("people/", views.person_list, name="people"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("agreements/", views.agreement_list, name="agreements"),
    # Open data (docs/open-data.md): site-wide documents, served by one view like the formats.
    site_document("agreements.csv", "agreements_csv"),
    site_document("agreements.csv-metadata.json", "agreements_csv_metadata"),
    site_document("meetings.csv", "meetings_csv"),
    site_document("meetings.csv-metadata.json", "meetings_csv_metadata"),
    path("agreements/<slug:slug>/", views.agreement_detail, name="agreement"),
    path("sources/<uuid:uuid>/", views.source_detail, name="source"),
    path("search/", views.search, name="search"),
]
