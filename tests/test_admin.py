import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from diary.models import (
    Day,
    Mission,
    Organisation,
    Visit,
)

from . import factories
from .browsing import DIARY_MODELS as MODELS
from .browsing import admin_url, read_form, single_values

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


def test_mission_page_lists_its_days_and_has_view_on_site_link(staff_client, demo):
    html = staff_client.get(admin_url(Mission, "change", demo.pk)).content.decode()
    assert "ispace, Tokyo" in html  # a day's title in the list of days
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
    }
    data.update(overrides)
    return data


def test_adding_a_mission_that_ends_before_it_starts_shows_an_error(staff_client):
    mission = factories.unsaved_mission(
        title="Backwards", slug="backwards", status="draft", start_date=datetime.date(2024, 6, 15)
    )
    response = staff_client.post(admin_url(Mission, "add"), mission_form(mission))
    assert response.status_code == 200
    assert "The mission cannot end before it starts." in response.content.decode()
    assert not Mission.objects.filter(slug="backwards").exists()


def test_adding_a_day_outside_the_mission_shows_an_error(staff_client, demo):
    existing = demo.days.count()
    response = staff_client.post(
        admin_url(Day, "add"), {"mission": demo.pk, "date": "2024-07-01", "title": "Late"}
    )
    assert response.status_code == 200
    assert "outside the mission" in response.content.decode()
    assert demo.days.count() == existing


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


def add_visit_from_day_page(client, day, **visit_fields):
    """Follow the day page's "Add a visit to this day" link, fill the form, and save it."""
    page = client.get(admin_url(Day, "change", day.pk)).content.decode()
    link = re.search(r'<a class="addlink" href="([^"]+)">Add a visit to this day</a>', page)
    add_page = client.get(unescape(link[1])).content.decode()
    data = single_values(read_form(add_page, "visit_form"))
    data.update(visit_fields)
    return client.post(admin_url(Visit, "add"), data)


def test_duplicate_visit_slug_added_from_a_day_shows_an_error_not_a_crash(staff_client, demo):
    day = demo.days.get(date="2024-06-12")
    response = add_visit_from_day_page(
        staff_client, day, title="Another ispace visit", slug="ispace"
    )
    assert response.status_code == 200
    assert "already has a visit with this slug" in response.content.decode()
    assert demo.visits.filter(slug="ispace").count() == 1


def test_visit_added_from_a_day_belongs_to_the_day_and_its_mission(staff_client, demo):
    day = demo.days.get(date="2024-06-12")
    response = add_visit_from_day_page(
        staff_client, day, title="Signing ceremony", slug="signing-ceremony", starts_at="10:00"
    )
    assert response.status_code == 302
    visit = Visit.objects.get(slug="signing-ceremony")
    assert (visit.mission, visit.day) == (demo, day)


BUSY = 400  # visits on one day: more than any real mission day, as the review tried


def busy_day():
    mission = factories.make_mission(title="Busy mission", slug="busy-mission")
    day = factories.make_day(mission, title="Busy day")
    Visit.objects.bulk_create(
        Visit(mission=mission, day=day, title=f"Visit {n:03}", slug=f"visit-{n:03}", position=n)
        for n in range(BUSY)
    )
    return day


def saved_as_read_but(client, url, html, form_id, **changes):
    """Post the form back as the page holds it, with `changes`: the admin saves it (302)."""
    data = {**single_values(read_form(html, form_id)), **changes}
    assert client.post(url, data).status_code == 302


def test_a_day_with_hundreds_of_visits_lists_them_in_order_and_saves(staff_client):
    day = busy_day()
    url = admin_url(Day, "change", day.pk)
    page = staff_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert len(page.content) < 500_000
    titles = re.findall(r'<li><a href="/admin/diary/visit/\d+/change/">(Visit \d+)</a>', html)
    assert titles == [f"Visit {n:03}" for n in range(BUSY)]
    saved_as_read_but(staff_client, url, html, "day_form", title="Busy day, renamed")
    day.refresh_from_db()
    assert day.title == "Busy day, renamed"
    assert day.visits.count() == BUSY


def test_a_mission_with_hundreds_of_undated_visits_saves(staff_client):
    mission = factories.make_mission(title="Undated", slug="undated")
    Visit.objects.bulk_create(
        Visit(mission=mission, title=f"Visit {n:03}", slug=f"visit-{n:03}") for n in range(BUSY)
    )
    url = admin_url(Mission, "change", mission.pk)
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<li><a href="/admin/diary/visit/') == BUSY
    assert "Add a visit with no recorded date" in html
    summary = "Hundreds of visits, dates unknown."
    saved_as_read_but(staff_client, url, html, "mission_form", summary=summary)
    mission.refresh_from_db()
    assert mission.summary == summary


@pytest.mark.parametrize("value", ["XX", "Japan"])
def test_the_host_country_is_chosen_from_a_list_and_an_unknown_code_is_refused(
    staff_client, demo, value
):
    url = admin_url(Mission, "change", demo.pk)
    html = staff_client.get(url).content.decode()
    assert re.search(r'<select name="host_country"[^>]*>', html)
    assert '<option value="JP" selected>Japan</option>' in html
    data = single_values(read_form(html, "mission_form"))
    assert data["host_country"] == "JP"
    data["host_country"] = value
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert f"Select a valid choice. {value} is not one of the available choices." in unescape(
        response.content.decode()
    )
    demo.refresh_from_db()
    assert demo.host_country == "JP"


def test_missions_are_listed_and_filtered_by_country_in_use(staff_client, demo):
    factories.make_mission(title="Trade mission to France", host_country="FR")
    changelist = admin_url(Mission, "changelist")
    html = staff_client.get(changelist).content.decode()
    filters = html[html.index('id="changelist-filter"') :]
    assert "?host_country=FR" in filters and "?host_country=JP" in filters
    assert "?host_country=DE" not in filters  # only the countries of missions there are
    html = staff_client.get(changelist, {"host_country": "FR"}).content.decode()
    assert "Trade mission to France" in html and demo.title not in html
    assert '<td class="field-host_country">France</td>' in html
