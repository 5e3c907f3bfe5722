from django.urls import path, re_path, register_converter

from . import views
from .converters import IsoDateConverter
from .exports.views import mission_export, revision_export, site_export, visit_export

register_converter(IsoDateConverter, "isodate")

app_name = "diary"

urlpatterns = [
    path("", views.home, name="home"),
    path("missions/<slug:slug>/", views.mission_detail, name="mission"),
    # The public formats: one view, the format named by its exporter's identifier.
    path("missions/<slug:slug>.ics", mission_export, {"identifier": "ics"}, name="mission_ics"),
    path("missions/<slug:slug>.json", mission_export, {"identifier": "json"}, name="mission_json"),
    path(
        "missions/<slug:slug>/schedule.json",
        mission_export,
        {"identifier": "schedule"},
        name="mission_schedule",
    ),
    path(
        "missions/<slug:slug>/places.geojson",
        mission_export,
        {"identifier": "places"},
        name="mission_places",
    ),
    # Publications (diary/publishing.py): the changelog, each revision's JSON, the feeds.
    path("missions/<slug:slug>/updates/", views.mission_updates, name="mission_updates"),
    re_path(
        # One address per revision: no leading zero, no number past what a column holds.
        r"^missions/(?P<slug>[-a-zA-Z0-9_]+)/updates/(?P<number>[1-9][0-9]{0,8})\.json$",
        revision_export,
        name="mission_revision_json",
    ),
    path(
        "missions/<slug:slug>/updates.atom",
        mission_export,
        {"identifier": "atom"},
        name="mission_feed",
    ),
    path("updates.atom", site_export, {"identifier": "updates.atom"}, name="site_feed"),
    path("missions/<slug:mission_slug>/<isodate:date>/", views.day_detail, name="day"),
    path("missions/<slug:mission_slug>/visits/<slug:slug>/", views.visit_detail, name="visit"),
    # One dated visit as a calendar file ("add to calendar"), through the same exporter view.
    path(
        "missions/<slug:mission_slug>/visits/<slug:slug>.ics",
        visit_export,
        {"identifier": "visit_ics"},
        name="visit_ics",
    ),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("people/", views.person_list, name="people"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("agreements/", views.agreement_list, name="agreements"),
    # Open data (docs/open-data.md): site-wide documents, served by one view like the formats.
    *(
        path(identifier, site_export, {"identifier": identifier}, name=name)
        for identifier, name in (
            ("agreements.csv", "agreements_csv"),
            ("agreements.csv-metadata.json", "agreements_csv_metadata"),
            ("meetings.csv", "meetings_csv"),
            ("meetings.csv-metadata.json", "meetings_csv_metadata"),
        )
    ),
    path("agreements/<slug:slug>/", views.agreement_detail, name="agreement"),
    path("sources/<uuid:uuid>/", views.source_detail, name="source"),
    path("search/", views.search, name="search"),
]
