"""Translated content, the model and admin side (issue 11): columns, admin form, filter, history."""

import json
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from diary.models import CooperationArea, Day, Mission, Visit

from . import factories
from .browsing import admin_url, read_form, single_values
from .diary_state import empty_diary, export_bytes
from .support import migrate, old_mission

pytestmark = pytest.mark.django_db


def change_form(client, record, form_id):
    html = client.get(admin_url(type(record), "change", record.pk)).content.decode()
    return html, single_values(read_form(html, form_id))


def add_form(client, model):
    html = client.get(admin_url(model, "add")).content.decode()
    return single_values(read_form(html, f"{model._meta.model_name}_form"))


def test_the_mission_form_edits_every_language_and_a_french_title_shows_on_fr(staff_client, demo):
    html, data = change_form(staff_client, demo, "mission_form")
    assert 'name="title_fr"' in html and 'name="title_ja"' in html
    assert 'name="summary_fr"' in html and 'name="summary_ja"' in html
    data["title_fr"] = "Mission économique au Japon"
    response = staff_client.post(admin_url(Mission, "change", demo.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    demo.refresh_from_db()
    assert (demo.title_en, demo.title_fr) == (
        "Economic mission to Japan",
        "Mission économique au Japon",
    )
    assert (
        "Mission économique au Japon"
        in staff_client.get("/fr/missions/japan-2024/").content.decode()
    )


def test_the_title_field_is_english_even_when_the_admin_speaks_french(staff_client, demo):
    demo.title_fr = "Mission économique au Japon"
    demo.save()
    staff_client.cookies["django_language"] = "fr"
    _html, data = change_form(staff_client, demo, "mission_form")
    assert data["title"] == "Economic mission to Japan"
    data["title"] = "Economic mission to Japan, 2024"
    assert staff_client.post(admin_url(Mission, "change", demo.pk), data).status_code == 302
    demo.refresh_from_db()
    assert demo.title_en == "Economic mission to Japan, 2024"
    assert demo.title_fr == "Mission économique au Japon"


def test_english_is_required_the_other_languages_are_not(staff_client, demo):
    _html, data = change_form(staff_client, demo, "mission_form")
    data["title"] = ""
    data["title_fr"] = "Mission économique au Japon"
    response = staff_client.post(admin_url(Mission, "change", demo.pk), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Mission.objects.get(pk=demo.pk).title_en == "Economic mission to Japan"


def test_missing_japanese_lists_exactly_the_records_without_japanese(staff_client, demo):
    visits = list(Visit.objects.filter(mission=demo))
    untranslated = visits[0]
    untranslated.summary_ja = None
    untranslated.save()
    day = Day.objects.filter(mission=demo).first()
    day.title_ja = ""
    day.save()
    # The demo translates titles and summaries, not the visits' accounts: a visit with an
    # English account lacks Japanese too.
    with_account = {v.pk for v in visits if v.body_en}
    for model, missing, also in ((Visit, untranslated, with_account), (Day, day, set())):
        html = staff_client.get(admin_url(model, "changelist"), {"missing": "ja"}).content.decode()
        listed = {
            record.pk
            for record in model.objects.filter(mission=demo)
            if admin_url(model, "change", record.pk) in html
        }
        assert listed == {missing.pk} | also
        html = staff_client.get(admin_url(model, "changelist"), {"missing": "fr"}).content.decode()
        assert admin_url(model, "change", missing.pk) not in html or missing.pk in also


def test_history_records_each_languages_edit(demo):
    visit = Visit.objects.filter(mission=demo).first()
    visit.title_fr = "Visite"
    visit.save()
    visit.title_ja = "訪問"
    visit.save()
    newest, previous = visit.history.order_by("-history_id")[:2]
    changes = {
        change.field: (change.old, change.new) for change in newest.diff_against(previous).changes
    }
    assert changes["title_ja"][1] == "訪問"
    assert previous.title_fr == "Visite"


def test_fixtures_round_trip_every_language(demo, tmp_path):
    demo.title_fr, demo.title_ja = "Mission économique au Japon", "日本への経済ミッション"
    demo.save()
    first = export_bytes(tmp_path / "first.json", "japan-2024")
    record = next(r for r in json.loads(first) if r["model"] == "diary.mission")
    assert record["fields"]["title_en"] == "Economic mission to Japan"
    assert record["fields"]["title_ja"] == "日本への経済ミッション"
    assert "title" not in record["fields"]  # one language's copy, not written twice
    empty_diary()
    from django.core.management import call_command

    call_command("import_mission", str(tmp_path / "first.json"), verbosity=0)
    assert Mission.objects.get(slug="japan-2024").title_fr == "Mission économique au Japon"
    assert export_bytes(tmp_path / "second.json", "japan-2024") == first


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_todays_text_as_the_english_text(migrations_undone):
    old = migrate([("diary", "0016_visit_place_only")])
    mission = old_mission(old, summary="S")
    new = migrate([("diary", "0017_content_translations")])
    migrated = new.get_model("diary", "Mission").objects.get(pk=mission.pk)
    assert (migrated.title_en, migrated.summary_en, migrated.title_fr) == ("M", "S", None)


def test_a_record_is_found_by_its_french_text(client, demo):
    visit = Visit.objects.filter(mission=demo).first()
    visit.title_fr = "Salle de contrôle quetzalcoatl"
    visit.save()
    html = client.get("/search/", {"q": "quetzalcoatl"}).content.decode()
    assert visit.get_absolute_url() in html


def test_a_record_made_in_code_is_english_and_read_in_english_where_untranslated():
    mission = factories.make_mission(title="Plain")
    assert (mission.title_en, mission.title_fr) == ("Plain", None)
    with translation.override("fr"):
        assert Mission.objects.get(title_en="Plain").title == "Plain"


def in_order(html, *texts):
    """Whether each text is on the page, each after the one before."""
    positions = [html.find(text) for text in texts]
    return -1 not in positions and positions == sorted(positions)


# Three titles whose French sorts otherwise, one untranslated: modeltranslation's own
# ordering by the French column alone would put that one first (SQLite) or last (PostgreSQL).
TITLES = (("Alpha", "Zèbre"), ("Beta", None), ("Gamma", "Abeille"))


def test_the_mission_list_keeps_its_order_on_fr_when_only_some_titles_are_translated(client):
    for english_title, french in TITLES:  # same dates: the titles decide
        factories.make_mission(
            title=f"{english_title} mission", title_fr=french and f"{french} mission"
        )
    assert in_order(
        client.get("/").content.decode(), "Alpha mission", "Beta mission", "Gamma mission"
    )
    # In English order on /fr/ too, each title read in French or, marked, in English.
    french = client.get("/fr/").content.decode()
    assert in_order(
        french, "Zèbre mission", '<span lang="en">Beta mission</span>', "Abeille mission"
    )


def test_the_registry_sorts_titles_as_read_on_fr_when_only_some_are_translated(client):
    mission = factories.make_mission()
    for english_title, french in TITLES:
        factories.make_agreement(
            mission, title=f"{english_title} accord", title_fr=french and f"{french} accord"
        )
    english = client.get(reverse("diary:agreements"), {"sort": "title"}).content.decode()
    assert in_order(english, "Alpha accord", "Beta accord", "Gamma accord")
    with translation.override("fr"):
        url = reverse("diary:agreements")
    french = client.get(url, {"sort": "title"}).content.decode()
    assert in_order(french, "Abeille accord", "Beta accord", "Zèbre accord")


def test_the_mission_form_saved_in_french_keeps_the_english_text(
    staff_client, client, demo, rf, admin_user
):
    # The admin's address has no language, so it is English today; its form must not
    # depend on that: bound and saved while French is active, as a French admin would.
    _html, data = change_form(staff_client, demo, "mission_form")
    data["title_fr"] = "Mission au Japon, revue"
    request = rf.post(admin_url(Mission, "change", demo.pk))
    request.user = admin_user
    with translation.override("fr"):
        form_class = admin.site.get_model_admin(Mission).get_form(request, demo, change=True)
        bound = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})
        form = form_class(bound, instance=Mission.objects.get(pk=demo.pk))
        assert form.is_valid(), form.errors
        form.save()
    demo.refresh_from_db()
    assert (demo.title_en, demo.title_fr) == (
        "Economic mission to Japan",
        "Mission au Japon, revue",
    )
    assert "Economic mission to Japan" in client.get("/missions/japan-2024/").content.decode()
    assert "Mission au Japon, revue" in client.get("/fr/missions/japan-2024/").content.decode()
    # Staff reading in English see the change under the English title.
    start = staff_client.get(reverse("admin:index")).content.decode()
    changes = start[start.index("Latest changes by anyone") :]
    assert "Economic mission to Japan" in changes and "Mission au Japon, revue" not in changes


def test_the_admin_in_french_finds_a_record_by_its_text_in_any_language(staff_client, demo):
    demo.title_fr = "Mission économique au Japon"
    demo.save()
    staff_client.cookies["django_language"] = "fr"
    for words in ("Economic mission", "économique"):
        html = staff_client.get(admin_url(Mission, "changelist"), {"q": words}).content.decode()
        assert admin_url(Mission, "change", demo.pk) in html, words


def test_an_area_name_is_unique_in_each_language(staff_client):
    CooperationArea.objects.create(name="Space", name_fr="Espace", slug="area-1")
    CooperationArea.objects.create(name="Robotics", slug="area-2")  # no French name
    data = add_form(staff_client, CooperationArea)
    # Each language once: the English name under the field's own name.
    assert sorted(name for name in data if name.startswith("name")) == [
        "name",
        "name_fr",
        "name_ja",
    ]
    for n, (name, name_fr, refused) in enumerate(
        (
            ("Space", "", "Name [en] already exists"),
            ("Outer space", "Espace", "Name [fr] already exists"),
            ("Oceans", "", None),  # a second area with no French name
        )
    ):
        data.update(name=name, name_fr=name_fr, slug=f"new-{n}")
        response = staff_client.post(admin_url(CooperationArea, "add"), data)
        if refused:
            assert refused in response.content.decode()
        else:
            assert response.status_code == 302
    assert CooperationArea.objects.filter(name_en="Oceans", name_fr=None).exists()
    assert CooperationArea.objects.count() == 3


def test_the_translated_forms_load_no_asset_from_another_site(staff_client, demo):
    for record in (demo, Visit.objects.filter(mission=demo).first()):
        html, _data = change_form(staff_client, record, f"{type(record)._meta.model_name}_form")
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert sources
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
