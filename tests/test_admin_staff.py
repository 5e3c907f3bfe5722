"""The staff side as staff meet it: branding, the start page, the mission's days, finding a
day by its date, British dates, preview and one history entry per save."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from diary.models import Mission, Visit
from diary.roles import VIEWER

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=VIEWER))
    client.force_login(user)
    return client


def test_admin_is_branded_and_lists_the_diary_before_the_technical_models(staff_client, demo):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "Mission Tracker — staff" in html
    assert "Django administration" not in html
    diary = html.index('class="app-diary')
    assert diary < html.index('class="app-auth') and diary < html.index('class="app-axes')
    assert html.index("Missions</a>") < html.index("Days</a>") < html.index("Visits</a>")


def test_start_page_lists_current_missions_drafts_and_latest_changes(
    staff_client, demo, draft_world, django_assert_max_num_queries
):
    visit = Visit.objects.filter(mission=demo).first()
    visit.title = "Renamed for the start page"
    visit.save()
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("admin:index"))
    html = response.content.decode()
    drafts = html[html.index("Drafts waiting to be published") :]
    draft = Mission.objects.filter(status=Mission.Status.DRAFT).first()
    assert reverse("admin:diary_mission_change", args=[draft.pk]) in drafts
    changes = html[html.index("Latest changes by anyone") :]
    assert "Renamed for the start page" in changes
    assert reverse("admin:diary_visit_change", args=[visit.pk]) in changes


def test_start_page_costs_the_same_number_of_queries_however_long_the_trail(
    staff_client, demo, django_assert_num_queries
):
    staff_client.get(reverse("admin:index"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse("admin:index"))
    for n in range(20):
        factories.make_visit(demo, title=f"More {n}") if hasattr(factories, "make_visit") else (
            Visit.objects.filter(mission=demo).first().save()
        )
    with CaptureQueriesContext(connection) as many:
        staff_client.get(reverse("admin:index"))
    assert len(many.captured_queries) == len(few.captured_queries)


def days_of(demo):
    return list(demo.days.order_by("date"))


def test_mission_form_lists_days_in_order_with_visits_and_links_to_add_one_to_each(
    staff_client, demo
):
    html = staff_client.get(reverse("admin:diary_mission_change", args=[demo.pk])).content
    html = html.decode()
    positions = []
    for day in days_of(demo):
        label = f"Day {day.number} — {day.date:%a} {day.date.day} {day.date:%B %Y}"
        assert label in html
        positions.append(html.index(label))
        add = reverse("admin:diary_visit_add") + f"?mission={demo.pk}&amp;day={day.pk}"
        assert add in html
        for visit in day.visits.all():
            assert reverse("admin:diary_visit_change", args=[visit.pk]) in html
    assert positions == sorted(positions)
    assert reverse("admin:diary_visit_add") + f'?mission={demo.pk}"' in html
    assert "inline-group" not in html  # lists of links, never an inline per row


def test_mission_form_costs_the_same_queries_with_more_days_and_visits(staff_client, demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:diary_mission_change", args=[demo.pk])
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    day = demo.days.order_by("date").first()
    for n in range(5):
        factories.make_visit(demo, day=day, title=f"Extra {n}")
        factories.make_visit(demo, title=f"Undated {n}")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_viewer_sees_the_days_but_no_link_that_would_change_anything(viewer_client, demo):
    html = viewer_client.get(reverse("admin:diary_mission_change", args=[demo.pk])).content
    html = html.decode()
    assert "Day 1 — " in html
    assert reverse("admin:diary_visit_add") not in html
    assert reverse("admin:diary_day_add") not in html
    form = html.split('id="mission_form"')[1].split("</form>")[0]
    assert 'type="submit"' not in form


@pytest.mark.parametrize(
    "term", ["12", "12 June", "June 12", "12 jun 2024", "2024-06-12", "Day 3", "day 3"]
)
def test_day_autocomplete_finds_a_day_by_its_date_typed_any_usual_way(staff_client, demo, term):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "diary", "model_name": "visit", "field_name": "day", "term": term},
    )
    assert response.status_code == 200
    labels = [result["text"] for result in response.json()["results"]]
    day = demo.days.get(date=datetime.date(2024, 6, 12))
    expected = f"Day 3 — Wed 12 June 2024 — {day.title}"
    assert expected in labels, labels


def test_day_autocomplete_still_finds_words_of_a_title_and_nothing_for_a_wrong_date(
    staff_client, demo
):
    def labels(term):
        return [
            result["text"]
            for result in staff_client.get(
                reverse("admin:autocomplete"),
                {"app_label": "diary", "model_name": "visit", "field_name": "day", "term": term},
            ).json()["results"]
        ]

    assert any("ispace" in label for label in labels("ispace"))
    assert labels("2024-02-30") == []
    assert labels("Day 0") == []


def test_admin_dates_are_british_and_times_24_hour(staff_client, demo):
    html = staff_client.get(reverse("admin:diary_day_changelist")).content.decode()
    assert "12 June 2024" in html
    assert "June 12, 2024" not in html
    visit = Visit.objects.filter(mission=demo, starts_at__hour__gte=13).first()
    if visit is not None:
        listing = staff_client.get(reverse("admin:diary_visit_changelist")).content.decode()
        assert f"{visit.starts_at:%H:%M}" in listing
        assert "p.m." not in listing


def test_visit_times_are_labelled_with_the_missions_timezone(staff_client, demo):
    visit = Visit.objects.filter(mission=demo).first()
    html = staff_client.get(reverse("admin:diary_visit_change", args=[visit.pk])).content
    assert f"Starts at ({demo.timezone} time)" in html.decode()
    add = staff_client.get(reverse("admin:diary_visit_add"), {"mission": demo.pk}).content
    assert f"({demo.timezone} time)" in add.decode()


def test_a_draft_opens_its_public_page_as_a_preview_from_its_form(staff_client, draft_world):
    draft = Mission.objects.filter(status=Mission.Status.DRAFT).first()
    records = [draft, draft.days.first(), draft.visits.first()]
    for record in [r for r in records if r is not None]:
        info = record._meta.model_name
        form = staff_client.get(reverse(f"admin:diary_{info}_change", args=[record.pk]))
        preview = reverse(f"admin:diary_{info}_preview", args=[record.pk])
        assert preview in form.content.decode()
        response = staff_client.get(preview)
        assert response.status_code == 302
        assert response["Location"] == record.get_absolute_url()
        assert "no-cache" in response["Cache-Control"]
        page = staff_client.get(response["Location"])
        assert page.status_code == 200
        assert "Draft — visible to staff only" in page.content.decode()


def test_published_records_offer_no_preview_and_the_public_never_sees_a_draft(
    staff_client, client, demo, draft_world
):
    form = staff_client.get(reverse("admin:diary_mission_change", args=[demo.pk]))
    assert "Preview (draft)" not in form.content.decode()
    assert staff_client.get(reverse("admin:diary_mission_preview", args=["abc"])).status_code == 404
    draft = Mission.objects.filter(status=Mission.Status.DRAFT).first()
    client.logout()  # the same client: now anonymous
    preview = reverse("admin:diary_mission_preview", args=[draft.pk])
    assert client.get(preview).status_code == 302  # to the sign-in page
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_adding_a_visit_with_links_leaves_one_history_entry_with_its_editor(staff_client, demo):
    day = demo.days.order_by("date").first()
    organisation = demo.visits.exclude(organisations=None).first().organisations.first()
    response = staff_client.post(
        reverse("admin:diary_visit_add"),
        {
            "mission": demo.pk,
            "day": day.pk,
            "title": "Reception at the embassy",
            "slug": "reception-embassy",
            "starts_at": "18:30",
            "position": 0,
            "organisations": [organisation.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Visit.objects.get(slug="reception-embassy")
    versions = list(visit.history.all())
    assert len(versions) == 1
    assert versions[0].history_type == "+"
    assert versions[0].history_user.username == "editor"
    assert list(versions[0].organisations.values_list("organisation_id", flat=True)) == [
        organisation.pk
    ]
    history = staff_client.get(reverse("admin:diary_visit_history", args=[visit.pk]))
    html = history.content.decode()
    assert "Change reason" not in html
    assert ">None<" not in html.replace(" ", "").replace("\n", "")


def test_changing_a_visits_links_leaves_one_entry_naming_the_changed_fields(staff_client, demo):
    from tests.browsing import read_form, single_values

    visit = demo.visits.exclude(organisations=None).first()
    before = visit.history.count()
    url = reverse("admin:diary_visit_change", args=[visit.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "visit_form"))
    data["title"] = visit.title + " (revised)"
    data["organisations"] = []
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert visit.history.count() == before + 1
    html = staff_client.get(reverse("admin:diary_visit_history", args=[visit.pk])).content
    html = html.decode()
    assert "(revised)" in html
    assert "<strong>title:</strong>" in html.lower() or "title:" in html.lower()


def test_a_place_with_a_country_saves_through_its_own_form(staff_client, demo):
    from diary.models import Place
    from tests.browsing import read_form, single_values

    place = Place.objects.exclude(country="").first()
    url = reverse("admin:diary_place_change", args=[place.pk])
    data = single_values(read_form(staff_client.get(url).content.decode(), "place_form"))
    data["name"] = place.name + " (renamed)"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    place.refresh_from_db()
    assert place.name.endswith("(renamed)")
