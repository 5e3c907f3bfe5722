import datetime
import json
from pathlib import Path

import jsonschema
import pytest
from django.urls import reverse
from django.utils import translation

from diary.models import Agreement, Day, Organisation, Visit

from . import factories

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[1]
SHARED_SCHEMAS = REPO.parent / "shared" / "schemas"
PUBLIC_SCHEMA = json.loads((REPO / "docs" / "public-json.schema.json").read_text())

needs_shared_schemas = pytest.mark.skipif(
    not (SHARED_SCHEMAS / "c3voc-schedule.schema.json").exists(),
    reason=f"c3voc schema not found at {SHARED_SCHEMAS} (the shared/ folder beside the repo)",
)


def mission_json(client, slug="japan-2024", **headers):
    return client.get(reverse("diary:mission_json", kwargs={"slug": slug}), headers=headers)


def schedule_json(client, slug="japan-2024"):
    return client.get(reverse("diary:mission_schedule", kwargs={"slug": slug}))


def schema_errors(schema, document, validator=jsonschema.Draft202012Validator):
    checker = validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in checker.iter_errors(document)]


def test_mission_json_matches_its_documented_schema(client, demo):
    response = mission_json(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    jsonschema.Draft202012Validator.check_schema(PUBLIC_SCHEMA)
    assert schema_errors(PUBLIC_SCHEMA, response.json()) == []


def test_mission_json_keeps_dates_facts_and_native_names(client, demo):
    day = Day.objects.get(mission=demo, date="2024-06-11")
    Visit.objects.filter(slug="tansa-x-sagamihara").update(
        starts_at=datetime.time(10), ends_at=datetime.time(11, 30)
    )
    response = mission_json(client)
    text = response.content.decode("utf-8")
    assert "宇宙航空研究開発機構" in text  # readable, not \u-escaped
    document = response.json()
    visits = {visit["slug"]: visit for visit in document["visits"]}
    assert visits["nict"]["date"] is None and visits["nict"]["starts_at"] is None
    assert visits["tansa-x-sagamihara"]["date"] == "2024-06-11"
    assert visits["tansa-x-sagamihara"]["day"] == str(day.uuid)
    assert visits["tansa-x-sagamihara"]["starts_at"] == "2024-06-11T10:00:00+09:00"
    assert visits["tansa-x-sagamihara"]["ends_at"] == "2024-06-11T11:30:00+09:00"
    agreements = {agreement["slug"]: agreement for agreement in document["agreements"]}
    assert agreements["luxembourg-japan-government-moc-space"]["signed_on"] is None
    assert agreements["lsa-jaxa-moc-2024"]["signed_on"] == "2024-06-12"
    implemented = {item["uuid"] for item in agreements["luxprovide-jaxa-loi"]["implements"]}
    assert implemented == {
        str(a.uuid) for a in Agreement.objects.get(slug="luxprovide-jaxa-loi").implements.all()
    }
    assert implemented
    organisations = {o["slug"]: o for o in document["organisations"]}
    assert organisations["jaxa"]["native_language"] == "ja"
    # Tansa X is part of JAXA: the parent is in the document too.
    assert organisations["tansa-x"]["parent"] == organisations["jaxa"]["uuid"]


def test_host_country_is_its_iso_code_with_its_name_in_every_language(client, demo):
    expected = {
        "code": "JP",
        "name": "Japan",
        "translations": {"fr": {"name": "Japon"}, "ja": {"name": "日本"}},
    }
    assert mission_json(client).json()["mission"]["host_country"] == expected
    # The same data at the Japanese address: the names do not follow the reader's language.
    with translation.override("ja"):
        url = reverse("diary:mission_json", kwargs={"slug": demo.slug})
    assert url.startswith("/ja/")
    assert client.get(url).json()["mission"]["host_country"] == expected


def test_an_organisations_country_is_shaped_like_the_host_country_or_null(client, demo):
    Organisation.objects.filter(slug="ispace").update(country="")
    organisations = {o["slug"]: o for o in mission_json(client).json()["organisations"]}
    assert organisations["jaxa"]["country"] == {
        "code": "JP",
        "name": "Japan",
        "translations": {"fr": {"name": "Japon"}, "ja": {"name": "日本"}},
    }
    luxembourg = organisations["luxembourg-space-agency"]["country"]
    assert (luxembourg["code"], luxembourg["name"]) == ("LU", "Luxembourg")
    assert luxembourg["translations"]["ja"] == {"name": "ルクセンブルグ"}
    assert organisations["ispace"]["country"] is None


def test_every_uuid_referred_to_is_listed(client, demo):
    document = mission_json(client).json()
    listed = {
        key: {record["uuid"] for record in document[key]}
        for key in ("days", "organisations", "people", "sources")
    }
    for visit in document["visits"]:
        assert set(visit["organisations"]) <= listed["organisations"]
        assert set(visit["people"]) <= listed["people"]
        assert visit["day"] is None or visit["day"] in listed["days"]
    for agreement in document["agreements"]:
        assert set(agreement["parties"]) <= listed["organisations"]
    for person in document["people"]:
        assert person["organisation"] is None or person["organisation"] in listed["organisations"]
    assert set(document["mission"]["sources"]) <= listed["sources"]


def test_matching_if_none_match_gets_304_and_a_change_gets_a_new_etag(client, demo):
    first = mission_json(client)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = mission_json(client, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    # Saved as an editor saves it: the save moves the content version, as every edit does.
    visit = Visit.objects.get(slug="ispace")
    visit.title = "ispace, renamed"
    visit.save()
    changed = mission_json(client, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "ispace, renamed" in changed.content.decode()


def test_same_content_gives_the_same_bytes(client, demo):
    assert mission_json(client).content == mission_json(client).content


@pytest.mark.parametrize("view", [mission_json, schedule_json])
def test_draft_missions_are_404_for_everyone(client, staff_client, draft_world, view):
    assert view(client, "secret-mission").status_code == 404
    assert view(staff_client, "secret-mission").status_code == 404
    assert view(client, "no-such-mission").status_code == 404


def test_no_draft_content_inside_a_published_missions_json(client, demo, draft_world):
    published = Agreement.objects.get(slug="luxprovide-jaxa-loi")
    published.implements.add(draft_world["agreement"])
    text = mission_json(client).content.decode()
    for secret in ("Secret", "Hidden", str(draft_world["agreement"].uuid)):
        assert secret not in text
    assert "Secret" not in schedule_json(client).content.decode()


def test_only_get_and_head_are_allowed(client, demo):
    url = reverse("diary:mission_json", kwargs={"slug": "japan-2024"})
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200


@needs_shared_schemas
def test_schedule_validates_against_the_c3voc_schema(client, demo):
    Visit.objects.filter(slug="tansa-x-sagamihara").update(
        starts_at=datetime.time(10), ends_at=datetime.time(11, 30)
    )
    schema = json.loads((SHARED_SCHEMAS / "c3voc-schedule.schema.json").read_text())
    example = json.loads((SHARED_SCHEMAS / "c3voc-example-pretalx-democon.json").read_text())
    assert schema_errors(schema, example, jsonschema.Draft6Validator) == []  # the checker works
    response = schedule_json(client)
    assert response.status_code == 200
    assert schema_errors(schema, response.json(), jsonschema.Draft6Validator) == []


def test_schedule_days_and_events_follow_the_diary(client, demo):
    Visit.objects.filter(slug="tansa-x-sagamihara").update(
        starts_at=datetime.time(10), ends_at=datetime.time(11, 30)
    )
    conference = schedule_json(client).json()["schedule"]["conference"]
    # Every day of the mission (10–14 June), whether or not the diary records anything on it.
    assert [day["date"][-2:] for day in conference["days"]] == ["10", "11", "12", "13", "14"]
    assert conference["time_zone_name"] == "Asia/Tokyo"
    events = {
        event["guid"]: event
        for day in conference["days"]
        for room in day["rooms"].values()
        for event in room
    }
    ispace = Visit.objects.get(slug="ispace")
    untimed = events[str(ispace.uuid)]
    assert (untimed["date"], untimed["start"], untimed["duration"]) == (
        "2024-06-10T00:00:00+09:00",
        "00:00",
        "23:59",  # until the day's last minute: readers refuse "24:00" (docs/c3voc-schedule.md)
    )
    assert "Time not recorded" in untimed["description"]
    timed = events[str(Visit.objects.get(slug="tansa-x-sagamihara").uuid)]
    assert (timed["date"], timed["start"], timed["duration"]) == (
        "2024-06-11T10:00:00+09:00",
        "10:00",
        "01:30",
    )
    assert "Time not recorded" not in timed["description"]
    assert timed["persons"][0]["name"] == "Dr Hiroshi Yamakawa"
    # Undated visits have no place in a schedule: they are left out, not given a date.
    undated = Visit.objects.filter(mission=demo, day__isnull=True)
    assert undated.count() == 4
    assert not {str(v.uuid) for v in undated} & set(events)


def test_schedule_day_spans_its_real_length_across_a_dst_change(client):
    mission = factories.make_mission(
        slug="berlin-2024",
        timezone="Europe/Berlin",
        start_date=datetime.date(2024, 3, 30),
        end_date=datetime.date(2024, 3, 31),
    )
    day = factories.make_day(mission, date=datetime.date(2024, 3, 31))
    factories.make_visit(mission, day=day, title="Spring forward")
    conference = schedule_json(client, "berlin-2024").json()["schedule"]["conference"]
    (event,) = next(iter(conference["days"][1]["rooms"].values()))
    # 00:00 to 23:59 local on the day the clocks go forward: 22 hours 59 minutes.
    assert (event["date"], event["duration"]) == ("2024-03-31T00:00:00+01:00", "22:59")


def test_itinerary_links_to_its_json_and_schedule(client, demo, staff_client, draft_world):
    html = client.get(demo.get_absolute_url()).content.decode()
    for name in ("diary:mission_json", "diary:mission_schedule"):
        url = reverse(name, kwargs={"slug": "japan-2024"})
        assert f'<link rel="alternate" type="application/json" href="{url}"' in html
        assert f'<a href="{url}"' in html
    draft_html = staff_client.get(draft_world["mission"].get_absolute_url()).content.decode()
    assert "secret-mission.json" not in draft_html
