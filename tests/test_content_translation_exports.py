"""
The public formats carry the diary's translations (issue 11): the public JSON holds every
language whatever its address; the .ics and the c3voc schedule speak the language of theirs
(/fr/, /ja/), the English they fall back to labelled as English, each language its own
cached document.
"""

import json
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from .support import translate_where_missing

pytestmark = [
    pytest.mark.django_db,
]

REPO = Path(settings.BASE_DIR)
PUBLIC_SCHEMA = json.loads((REPO / "docs" / "public-json.schema.json").read_text())
C3VOC_SCHEMA = REPO.parent / "shared" / "schemas" / "c3voc-schedule.schema.json"


def address(language, name, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def fetch(client, language, name, slug="japan-2024"):
    response = client.get(address(language, name, slug=slug))
    assert response.status_code == 200
    return response


def schema_errors(schema, document, validator=jsonschema.Draft202012Validator):
    checker = validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in checker.iter_errors(document)]


def events(response):
    return {
        str(event["UID"]).split("@")[0]: event
        for event in Calendar.from_ical(response.content).events
    }


def schedule_events(response):
    conference = response.json()["schedule"]["conference"]
    return {
        event["guid"]: event
        for day in conference["days"]
        for room in day["rooms"].values()
        for event in room
    }


# --- Public JSON ------------------------------------------------------------------------------


def test_public_json_holds_every_language_and_validates(client, demo):
    demo = translate_where_missing(demo)
    document = fetch(client, "en", "diary:mission_json").json()
    assert document["schema_version"] == 3
    assert schema_errors(PUBLIC_SCHEMA, document) == []
    mission = document["mission"]
    assert mission["title"] == demo.title_en
    assert mission["translations"]["ja"]["title"] == demo.title_ja
    assert mission["translations"]["fr"]["title"] == demo.title_fr
    visits = {visit["uuid"]: visit for visit in document["visits"]}
    for visit in demo.visits.all():
        shown = visits[str(visit.uuid)]
        assert shown["title"] == visit.title_en
        assert shown["translations"]["ja"]["title"] == (visit.title_ja or None)
        assert shown["translations"]["fr"]["body"] == (visit.body_fr or None)


def test_an_untranslated_field_is_null_in_its_language(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.order_by("pk").first()
    visit.title_fr = ""
    visit.save()
    document = fetch(client, "en", "diary:mission_json").json()
    [shown] = [v for v in document["visits"] if v["uuid"] == str(visit.uuid)]
    assert shown["translations"]["fr"]["title"] is None
    assert shown["title"] == visit.title_en
    assert schema_errors(PUBLIC_SCHEMA, document) == []


def without_urls(value, urls):
    """The document with its links to the site's pages set aside in `urls`."""
    if isinstance(value, dict):
        return {k: without_urls(v, urls) for k, v in value.items()}
    if isinstance(value, list):
        return [without_urls(v, urls) for v in value]
    if isinstance(value, str) and value.startswith("http://testserver/"):
        urls.append(value)
        return "a page of the site"
    return value


def test_public_json_holds_the_same_data_at_every_language_address(client, demo):
    """Only its links lead to the pages in the address's language."""
    english = without_urls(fetch(client, "en", "diary:mission_json").json(), [])
    for language in ("fr", "ja"):
        urls = []
        assert without_urls(fetch(client, language, "diary:mission_json").json(), urls) == english
        assert urls and all(url.startswith(f"http://testserver/{language}/") for url in urls)


# --- iCalendar ------------------------------------------------------------------------------


def test_calendar_speaks_the_language_of_its_address(client, demo):
    demo = translate_where_missing(demo)
    japanese = events(fetch(client, "ja", "diary:mission_ics"))
    french = events(fetch(client, "fr", "diary:mission_ics"))
    for visit in demo.visits.filter(day__isnull=False):
        uuid = str(visit.uuid)
        assert str(japanese[uuid]["SUMMARY"]) == visit.title_ja
        assert str(french[uuid]["SUMMARY"]) == visit.title_fr
        assert "LANGUAGE" not in japanese[uuid]["SUMMARY"].params
    calendar = Calendar.from_ical(fetch(client, "ja", "diary:mission_ics").content)
    assert str(calendar["X-WR-CALNAME"]) == demo.title_ja


def test_calendar_labels_and_lists_follow_the_language(client, demo):
    visit = max(
        demo.visits.filter(day__isnull=False), key=lambda visit: visit.organisations.count()
    )
    assert visit.organisations.count() > 1
    japanese = str(events(fetch(client, "ja", "diary:mission_ics"))[str(visit.uuid)]["DESCRIPTION"])
    assert "組織：" in japanese and "、" in japanese
    french = str(events(fetch(client, "fr", "diary:mission_ics"))[str(visit.uuid)]["DESCRIPTION"])
    assert "Organisations : " in french
    english = str(events(fetch(client, "en", "diary:mission_ics"))[str(visit.uuid)]["DESCRIPTION"])
    assert "Organisations: " in english


def test_calendar_labels_an_untranslated_title_english(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.filter(day__isnull=False).order_by("pk").first()
    visit.title_fr = ""
    visit.save()
    summary = events(fetch(client, "fr", "diary:mission_ics"))[str(visit.uuid)]["SUMMARY"]
    assert str(summary) == visit.title_en
    assert summary.params["LANGUAGE"] == "en"
    english = events(fetch(client, "en", "diary:mission_ics"))[str(visit.uuid)]["SUMMARY"]
    assert "LANGUAGE" not in english.params


def test_each_language_is_its_own_cached_calendar(client, demo):
    responses = {
        language: fetch(client, language, "diary:mission_ics") for language in ("en", "fr", "ja")
    }
    assert len({response["ETag"] for response in responses.values()}) == 3
    assert len({response.content for response in responses.values()}) == 3
    # Asked again, each address answers its own language from the cache (304 on its ETag).
    for language, response in responses.items():
        again = client.get(
            address(language, "diary:mission_ics", slug="japan-2024"),
            headers={"If-None-Match": response["ETag"]},
        )
        assert again.status_code == 304


# --- c3voc schedule -------------------------------------------------------------------------


def test_schedule_speaks_the_language_of_its_address_and_validates(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.filter(day__isnull=False).order_by("pk").first()
    visit.title_ja = ""
    visit.save()
    response = fetch(client, "ja", "diary:mission_schedule")
    schedule = response.json()
    assert schedule["schedule"]["conference"]["title"] == demo.title_ja
    shown = schedule_events(response)
    for other in demo.visits.filter(day__isnull=False).exclude(pk=visit.pk):
        assert shown[str(other.uuid)]["title"] == other.title_ja
        assert shown[str(other.uuid)]["language"] == "ja"
    assert shown[str(visit.uuid)]["title"] == visit.title_en
    assert shown[str(visit.uuid)]["language"] == "en"
    if C3VOC_SCHEMA.exists():
        schema = json.loads(C3VOC_SCHEMA.read_text())
        assert schema_errors(schema, schedule, jsonschema.Draft6Validator) == []
    english = schedule_events(fetch(client, "en", "diary:mission_schedule"))
    assert {event["language"] for event in english.values()} == {"en"}
