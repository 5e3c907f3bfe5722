from django.urls import path, register_converter

from . import views
from .converters import IsoDateConverter
from .interchange import views as interchange_views

register_converter(IsoDateConverter, "isodate")

app_name = "diary"

urlpatterns = [
    path("", views.home, name="home"),
    path("missions/<slug:slug>/", views.mission_detail, name="mission"),
    path("missions/<slug:slug>.ics", views.mission_ics, name="mission_ics"),
    path("missions/<slug:slug>.json", interchange_views.mission_json, name="mission_json"),
    path(
        "missions/<slug:slug>/schedule.json",
        interchange_views.mission_schedule_json,
        name="mission_schedule",
    ),
    path("missions/<slug:mission_slug>/<isodate:date>/", views.day_detail, name="day"),
    path("missions/<slug:mission_slug>/visits/<slug:slug>/", views.visit_detail, name="visit"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/<slug:slug>/", views.agreement_detail, name="agreement"),
    path("search/", views.search, name="search"),
]
