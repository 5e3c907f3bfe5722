import datetime

import pytest
from django.urls import reverse

from diary.models import (
    Day,
    Mission,
    Organisation,
    Visit,
)

from .browsing import DIARY_MODELS as MODELS
from .browsing import admin_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_can_open_every_admin_page(staff_client, demo, model):
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "add")).status_code == 200
    obj = model.objects.first()
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_anonymous_visitors_are_sent_to_login(client, demo, model):
    obj = model.objects.first()
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_changelist_search_finds_by_japanese_name(staff_client, demo):
    response = staff_client.get(admin_url(Organisation, "changelist"), {"q": "宇宙航空"})
    assert "Japan Aerospace Exploration Agency" in response.content.decode()


def test_mission_page_has_days_inline_and_view_on_site_link(staff_client, demo):
    html = staff_client.get(admin_url(Mission, "change", demo.pk)).content.decode()
    assert "ispace, Tokyo" in html  # a day's title in the inline
    assert "visits with no recorded date" in html.lower()
    assert "View on site" in html


def mission_form(mission, **overrides):
    data = {
        "title": mission.title,
        "slug": mission.slug,
        "status": mission.status,
        "summary": mission.summary,
        "host_country": mission.host_country,
        "timezone": mission.timezone,
        "start_date": mission.start_date.isoformat(),
        "end_date": mission.end_date.isoformat(),
        "days-TOTAL_FORMS": "0",
        "days-INITIAL_FORMS": "0",
        "visits-TOTAL_FORMS": "0",
        "visits-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_adding_a_mission_that_ends_before_it_starts_shows_an_error(staff_client):
    mission = Mission(
        title="Backwards",
        slug="backwards",
        status="draft",
        host_country="Japan",
        timezone="Asia/Tokyo",
        start_date=datetime.date(2024, 6, 14),
        end_date=datetime.date(2024, 6, 10),
    )
    response = staff_client.post(admin_url(Mission, "add"), mission_form(mission))
    assert response.status_code == 200
    assert "The mission cannot end before it starts." in response.content.decode()
    assert not Mission.objects.filter(slug="backwards").exists()


def test_adding_a_day_outside_the_mission_in_the_inline_shows_an_error(staff_client, demo):
    existing = list(demo.days.all())
    data = mission_form(
        demo,
        **{"days-TOTAL_FORMS": str(len(existing) + 1), "days-INITIAL_FORMS": str(len(existing))},
    )
    for index, day in enumerate(existing):
        data[f"days-{index}-id"] = str(day.pk)
        data[f"days-{index}-mission"] = str(demo.pk)
        data[f"days-{index}-date"] = day.date.isoformat()
        data[f"days-{index}-title"] = day.title
    undated = list(demo.visits.filter(day__isnull=True))
    data["visits-TOTAL_FORMS"] = data["visits-INITIAL_FORMS"] = str(len(undated))
    for index, visit in enumerate(undated):
        data[f"visits-{index}-id"] = str(visit.pk)
        data[f"visits-{index}-mission"] = str(demo.pk)
        data[f"visits-{index}-title"] = visit.title
        data[f"visits-{index}-slug"] = visit.slug
    new = len(existing)
    data[f"days-{new}-mission"] = str(demo.pk)
    data[f"days-{new}-date"] = "2024-07-01"
    response = staff_client.post(admin_url(Mission, "change", demo.pk), data)
    assert response.status_code == 200
    assert "outside the mission" in response.content.decode()
    assert demo.days.count() == len(existing)


def test_visit_with_end_before_start_shows_an_error_in_the_admin(staff_client, demo):
    day = demo.days.get(date="2024-06-10")
    response = staff_client.post(
        admin_url(Visit, "add"),
        {
            "mission": demo.pk,
            "title": "Reception",
            "slug": "reception",
            "day": day.pk,
            "starts_at": "18:00",
            "ends_at": "17:00",
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert "A visit cannot end before it starts." in response.content.decode()
    assert not Visit.objects.filter(slug="reception").exists()


def add_visit_on_day(client, day, **visit_fields):
    """POST the day's admin page with one new visit in its inline."""
    data = {
        "mission": day.mission_id,
        "date": day.date.isoformat(),
        "title": day.title,
        "summary": day.summary,
        "visits-TOTAL_FORMS": "1",
        "visits-INITIAL_FORMS": "0",
    }
    data.update({f"visits-0-{name}": value for name, value in visit_fields.items()})
    return client.post(admin_url(Day, "change", day.pk), data)


def test_duplicate_visit_slug_added_on_a_day_shows_an_error_not_a_crash(staff_client, demo):
    day = demo.days.get(date="2024-06-12")
    response = add_visit_on_day(staff_client, day, title="Another ispace visit", slug="ispace")
    assert response.status_code == 200
    assert "already has a visit with this slug" in response.content.decode()
    assert demo.visits.filter(slug="ispace").count() == 1


def test_visit_added_on_a_day_belongs_to_the_days_mission(staff_client, demo):
    day = demo.days.get(date="2024-06-12")
    response = add_visit_on_day(
        staff_client, day, title="Signing ceremony", slug="signing-ceremony", starts_at="10:00"
    )
    assert response.status_code == 302
    visit = Visit.objects.get(slug="signing-ceremony")
    assert (visit.mission, visit.day) == (demo, day)
