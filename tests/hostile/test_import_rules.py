"""
Issue 9, items 2, 14 and 15 (import half): who may import what, optimistic concurrency for
imports, and an import that neither bumps the content version per row nor makes editors wait.
"""

import json
import os
import threading
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from diary.interchange.fixture_import import FixtureImportError, import_fixture
from diary.models import ContentVersion, Day, Mission, Organisation, Visit
from tests import factories
from tests.diary_state import database_state, export_bytes

pytestmark = pytest.mark.django_db

JAXA = "Japan Aerospace Exploration Agency"


@pytest.fixture
def demo_file(demo, tmp_path):
    return export_bytes(tmp_path / "demo.json", "japan-2024")


def edited(content, model, slug, **fields):
    """The fixture with one record's fields changed (found by model and slug)."""
    records = json.loads(content)
    record = next(r for r in records if r["model"] == model and r["fields"].get("slug") == slug)
    record["fields"].update(fields)
    return json.dumps(records, ensure_ascii=False).encode()


def with_new_organisation(content):
    records = json.loads(content)
    records.insert(
        0,
        {
            "model": "diary.organisation",
            "fields": {"uuid": str(uuid.uuid4()), "name": "Newcomer", "slug": "newcomer"},
        },
    )
    return json.dumps(records).encode()


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(
        f"user-{len(codenames)}-{uuid.uuid4().hex[:6]}", password="pw", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="diary", codename__in=codenames)
    )
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


VIEW_ALL = [
    f"view_{name}"
    for name in ["mission", "day", "visit", "organisation", "person", "agreement", "source"]
]


# -- Item 2: import permission alone rewrites anything -----------------------------------------


def test_import_permission_alone_cannot_rename_an_organisation(demo_file, django_user_model):
    viewer = staff_with(django_user_model, "import_mission", *VIEW_ALL)
    content = edited(demo_file, "diary.organisation", "jaxa", name="Renamed by a viewer")
    before = database_state()
    with pytest.raises(FixtureImportError) as error:
        import_fixture(content, user=viewer)
    assert "change organisations" in str(error.value)
    assert database_state() == before
    assert Organisation.objects.get(slug="jaxa").name == JAXA


def test_import_permission_alone_cannot_unpublish_a_mission(demo_file, django_user_model):
    viewer = staff_with(django_user_model, "import_mission", *VIEW_ALL)
    content = edited(demo_file, "diary.mission", "japan-2024", status="draft")
    with pytest.raises(FixtureImportError, match="change missions"):
        import_fixture(content, user=viewer, dry_run=True)  # the preview refuses it already
    with pytest.raises(FixtureImportError, match="change missions"):
        import_fixture(content, user=viewer)
    assert Mission.objects.get(slug="japan-2024").status == Mission.Status.PUBLISHED


def test_a_user_may_change_what_they_may_change_but_not_create_other_records(
    demo_file, django_user_model
):
    user = staff_with(django_user_model, "import_mission", "change_organisation")
    renamed = edited(demo_file, "diary.organisation", "jaxa", name="JAXA, renamed")
    import_fixture(renamed, user=user)
    assert Organisation.objects.get(slug="jaxa").name == "JAXA, renamed"
    with pytest.raises(FixtureImportError) as error:
        import_fixture(with_new_organisation(demo_file), user=user)
    message = str(error.value)
    assert "create organisations" in message and "change organisations" not in message
    assert not Organisation.objects.filter(slug="newcomer").exists()


def test_changing_a_link_is_changing_the_record_that_holds_it(demo_file, django_user_model):
    """A visit's organisations are the visit's: changing them needs change_visit."""
    user = staff_with(django_user_model, "import_mission", "change_organisation")
    content = edited(demo_file, "diary.visit", "ispace", organisations=[])
    with pytest.raises(FixtureImportError, match="change visits"):
        import_fixture(content, user=user)
    assert Visit.objects.get(slug="ispace").organisations.exists()
    import_fixture(content, user=staff_with(django_user_model, "change_visit"))
    assert not Visit.objects.get(slug="ispace").organisations.exists()


def test_a_file_that_changes_nothing_needs_no_permission_beyond_import(
    demo_file, django_user_model
):
    user = staff_with(django_user_model, "import_mission")
    report = import_fixture(demo_file, user=user)
    assert not report.created and not report.updated


def test_the_command_line_imports_with_full_trust(demo_file):
    """No user: shell access (manage.py import_mission) is trusted with everything."""
    import_fixture(with_new_organisation(demo_file))
    assert Organisation.objects.filter(slug="newcomer").exists()


# -- Item 15: optimistic concurrency for imports -----------------------------------------------


def test_an_edit_made_since_the_preview_refuses_the_import_naming_the_record(demo_file):
    content = edited(demo_file, "diary.visit", "ispace", title="Title from the file")
    preview = import_fixture(content, dry_run=True)
    visit = Visit.objects.get(slug="ispace")
    visit.summary = "An editor's summary, saved after the preview"
    visit.save()
    before = database_state()
    with pytest.raises(FixtureImportError) as error:
        import_fixture(content, expected_state=preview.state_digest)
    assert f"(visit {visit.uuid})" in str(error.value)
    assert "since the preview" in str(error.value)
    assert database_state() == before


def test_a_link_changed_since_the_preview_refuses_the_import(demo_file):
    content = edited(demo_file, "diary.visit", "ispace", title="Title from the file")
    preview = import_fixture(content, dry_run=True)
    Visit.objects.get(slug="ispace").organisations.clear()
    with pytest.raises(FixtureImportError, match="since the preview"):
        import_fixture(content, expected_state=preview.state_digest)


def test_a_record_created_since_the_preview_refuses_the_import(demo_file):
    content = with_new_organisation(demo_file)
    preview = import_fixture(content, dry_run=True)
    new_uuid = json.loads(content)[0]["fields"]["uuid"]
    factories.make_organisation(uuid=new_uuid, name="Made meanwhile", slug="made-meanwhile")
    with pytest.raises(FixtureImportError, match=new_uuid):
        import_fixture(content, expected_state=preview.state_digest)


def test_an_unchanged_state_imports_and_edits_elsewhere_do_not_matter(demo_file):
    content = edited(demo_file, "diary.visit", "ispace", title="Title from the file")
    preview = import_fixture(content, dry_run=True)
    factories.make_organisation(name="Unrelated, added meanwhile")
    report = import_fixture(content, expected_state=preview.state_digest)
    assert report.updated["diary.visit"] == 1
    assert Visit.objects.get(slug="ispace").title == "Title from the file"


def test_an_edit_made_while_the_import_checks_the_file_is_not_overwritten(demo_file, monkeypatch):
    """Between reading the records and writing them, an editor saves one: refused, not lost."""
    from diary.interchange import fixture_import

    content = edited(demo_file, "diary.visit", "ispace", title="Title from the file")
    validate = fixture_import._Importer.validate

    def validate_then_someone_edits(importer):
        validate(importer)
        Visit.objects.filter(slug="ispace").update(summary="Saved by an editor meanwhile")

    monkeypatch.setattr(fixture_import._Importer, "validate", validate_then_someone_edits)
    with pytest.raises(FixtureImportError, match="while the file was being checked"):
        import_fixture(content)
    visit = Visit.objects.get(slug="ispace")
    assert visit.summary == "Saved by an editor meanwhile" and visit.title != "Title from the file"


# -- Item 14: one bump per import, none for a dry run; history kept --------------------------


def content_version_writes(queries):
    table = ContentVersion._meta.db_table
    return [
        q["sql"]
        for q in queries
        if table in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_an_import_bumps_the_content_version_once_and_a_dry_run_never(
    demo_file, django_capture_on_commit_callbacks
):
    content = edited(demo_file, "diary.visit", "ispace", title="New title", organisations=[])
    content = edited(content, "diary.organisation", "jaxa", name="Renamed")
    content = with_new_organisation(content)
    with (
        CaptureQueriesContext(connection) as dry,
        django_capture_on_commit_callbacks(execute=True),
    ):
        import_fixture(content, dry_run=True)
    assert content_version_writes(dry.captured_queries) == []
    version = ContentVersion.current()[0]
    with (
        CaptureQueriesContext(connection) as real,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = import_fixture(content)
    assert report.updated["diary.visit"] == 1 and report.created["diary.organisation"] == 1
    assert len(content_version_writes(real.captured_queries)) == 1
    assert ContentVersion.current()[0] == version + 1


def test_imported_records_keep_their_audit_history_with_links(demo_file, django_user_model):
    user = staff_with(django_user_model, "add_organisation", "change_visit")
    content = with_new_organisation(
        edited(demo_file, "diary.visit", "ispace", title="Title from the file")
    )
    import_fixture(content, user=user)
    visit = Visit.objects.get(slug="ispace")
    record = visit.history.first()
    assert (record.history_type, record.history_user, record.title) == (
        "~",
        user,
        "Title from the file",
    )
    assert {row.organisation_id for row in record.organisations.all()} == set(
        visit.organisations.values_list("pk", flat=True)
    )
    newcomer = Organisation.objects.get(slug="newcomer")
    assert newcomer.history.get().history_type == "+"


def test_an_empty_database_import_writes_history_for_every_record(demo_file):
    Visit.objects.all().delete()
    import_fixture(demo_file)
    for visit in Visit.objects.all():
        created = visit.history.get()
        assert created.history_type == "+"
        assert created.organisations.count() == visit.organisations.count()
        assert created.people.count() == visit.people.count()
    assert Day.objects.count() == 3


# -- Item 14: an editor's save while an import runs -------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite has one writer at a time: its busy timeout queues the editor's save",
)
@pytest.mark.django_db(transaction=True)
def test_an_editor_can_save_while_an_import_writes(demo, tmp_path):
    """The import is stopped when it writes its visits (after its organisations); an editor
    saving another record meanwhile, with a short lock timeout, must not wait for it."""
    content = with_new_organisation(export_bytes(tmp_path / "demo.json", "japan-2024"))
    content = edited(content, "diary.visit", "ispace", title="Title from the file")
    unrelated = factories.make_organisation(name="Edited meanwhile")
    import_has_written, editor_done = threading.Event(), threading.Event()
    outcome = {}

    def pause_after_first_write(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        writes_visits = sql.lstrip().upper().startswith(("INSERT", "UPDATE"))
        if writes_visits and '"diary_visit"' in sql and not import_has_written.is_set():
            import_has_written.set()
            editor_done.wait(10)
        return result

    def run_import():
        try:
            with connections["default"].execute_wrapper(pause_after_first_write):
                import_fixture(content)
        except Exception as error:  # reported by the assertion below
            outcome["import"] = error
        finally:
            import_has_written.set()
            connections["default"].close()

    def editor_saves():
        import_has_written.wait(10)
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            organisation = Organisation.objects.get(pk=unrelated.pk)
            organisation.name = "Saved by an editor during the import"
            organisation.save()
        except Exception as error:
            outcome["editor"] = error
        finally:
            editor_done.set()
            connections["default"].close()

    threads = [threading.Thread(target=run_import), threading.Thread(target=editor_saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome == {}
    assert Organisation.objects.get(pk=unrelated.pk).name == "Saved by an editor during the import"
    assert Visit.objects.get(slug="ispace").title == "Title from the file"


def test_a_row_the_database_refuses_is_named_with_its_rule(demo_file, monkeypatch):
    """Check constraints are left to the database during the bulk write; when it refuses, the
    record is found and named as full_clean() would (here with the model's own clean()
    disabled, so that only the database's visit_times_ordered stands in the way)."""
    records = json.loads(demo_file)
    _, visit = next(
        (i, r)
        for i, r in enumerate(records)
        if r["model"] == "diary.visit" and r["fields"]["slug"] == "ispace"
    )
    visit["fields"].update(starts_at="11:00:00", ends_at="10:00:00")
    monkeypatch.setattr(Visit, "clean", lambda self: None)
    before = database_state()
    for dry_run in (True, False):
        with pytest.raises(FixtureImportError) as error:
            import_fixture(json.dumps(records), dry_run=dry_run)
        # The file is one line: every record starts on line 1.
        assert f"line 1 (visit {visit['fields']['uuid']})" in str(error.value)
        assert "A visit cannot end before it starts." in str(error.value)
    assert database_state() == before


def test_a_chain_of_new_organisations_too_deep_is_refused(db):
    """New organisations are checked before any is saved: their chain is followed in memory,
    with the model's limit (MAX_ORGANISATION_DEPTH) and message."""
    from diary.models.directory import MAX_ORGANISATION_DEPTH

    uuids = [str(uuid.uuid4()) for _ in range(MAX_ORGANISATION_DEPTH + 1)]
    records = [
        {
            "model": "diary.organisation",
            "fields": {
                "uuid": key,
                "name": f"Level {n}",
                "slug": f"level-{n}",
                "parent": [uuids[n - 1]] if n else None,
            },
        }
        for n, key in enumerate(uuids)
    ]
    with pytest.raises(FixtureImportError, match=f"at most {MAX_ORGANISATION_DEPTH} levels"):
        import_fixture(json.dumps(records), dry_run=True)
    import_fixture(json.dumps(records[:-1]))
    assert Organisation.objects.count() == MAX_ORGANISATION_DEPTH
