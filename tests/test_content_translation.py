"""Translated content, the model and admin side (issue 11): columns, admin form, filter, history."""

import json
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from diary.models import Day, Mission, Visit

from . import factories
from .browsing import admin_url, read_form, single_values
from .diary_state import empty_diary, export_bytes

pytestmark = pytest.mark.django_db


def change_form(client, record, form_id):
    html = client.get(admin_url(type(record), "change", record.pk)).content.decode()
    return html, single_values(read_form(html, form_id))


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
def test_migration_keeps_todays_text_as_the_english_text():
    before, after = [("diary", "0016_visit_place_only")], [("diary", "0017_content_translations")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    mission = old.get_model("diary", "Mission").objects.create(
        title="M",
        slug="m",
        summary="S",
        host_country="Japan",
        start_date="2024-06-10",
        end_date="2024-06-14",
    )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        migrated = new.get_model("diary", "Mission").objects.get(pk=mission.pk)
        assert (migrated.title_en, migrated.summary_en, migrated.title_fr) == ("M", "S", None)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_record_is_found_by_its_french_text(client, demo):
    visit = Visit.objects.filter(mission=demo).first()
    visit.title_fr = "Salle de contrôle quetzalcoatl"
    visit.save()
    html = client.get("/search/", {"q": "quetzalcoatl"}).content.decode()
    assert visit.get_absolute_url() in html


def test_a_record_made_in_code_keeps_its_english_in_its_own_column():
    mission = factories.make_mission(title="Plain")
    assert Mission.objects.filter(title="Plain", title_en="Plain").exists()
    assert mission.title_fr is None


def test_the_translated_forms_load_no_asset_from_another_site(staff_client, demo):
    for record in (demo, Visit.objects.filter(mission=demo).first()):
        html, _data = change_form(staff_client, record, f"{type(record)._meta.model_name}_form")
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert sources
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
