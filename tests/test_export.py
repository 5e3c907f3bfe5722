import datetime
import io
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary.models import Agreement, Mission, Organisation, Visit

from . import factories
from .diary_state import content_counts, empty_diary, export_bytes, export_records

pytestmark = pytest.mark.django_db

JAXA_NATIVE_NAME = "宇宙航空研究開発機構"


def identity(record):
    """(model label, natural key): a UUID, or a revision's mission UUID and number."""
    fields = record["fields"]
    if record["model"] == "diary.revision":
        return record["model"], fields["mission"][0]
    return record["model"], fields["uuid"]


def references(record):
    """(model label, uuid) of everything a fixture record points to."""
    model = apps.get_model(record["model"])
    for name, value in record["fields"].items():
        field = model._meta.get_field(name)
        if not field.is_relation or value is None:
            continue
        keys = value if field.many_to_many else [value]
        for key in keys:
            yield field.related_model._meta.label_lower, key[0]


def add_chains(mission):
    """A parent organisation and an implemented agreement whose UUIDs sort after their
    dependants, so only a dependency-aware order puts them first."""
    parent = factories.make_organisation(uuid=uuid.UUID(int=2**128 - 1), name="Parent body")
    child = factories.make_organisation(uuid=uuid.UUID(int=1), name="Child body", parent=parent)
    implemented = factories.make_agreement(
        mission, parties=[parent], uuid=uuid.UUID(int=2**128 - 2), title="Framework"
    )
    implementing = factories.make_agreement(
        mission, parties=[child], uuid=uuid.UUID(int=2), title="Implementation"
    )
    implementing.implements.add(implemented)
    return parent, child, implemented, implementing


def test_export_lists_each_record_after_everything_it_points_to(demo, tmp_path):
    add_chains(demo)
    records = export_records(tmp_path / "out.json", "japan-2024")
    seen = set()
    for record in records:
        for target in references(record):
            assert target in seen, f"{identity(record)} before {target}"
        seen.add(identity(record))


def test_export_uses_natural_keys_and_no_database_ids(demo, tmp_path):
    records = export_records(tmp_path / "out.json", "japan-2024")
    assert all("pk" not in record for record in records)
    visit = next(
        r for r in records if r["model"] == "diary.visit" and r["fields"]["slug"] == "ispace"
    )
    assert visit["fields"]["mission"] == [str(demo.uuid)]


def test_export_includes_everything_the_mission_refers_to(demo, tmp_path):
    parent, child, *_ = add_chains(demo)
    grandparent = factories.make_organisation(name="Ministry")
    Organisation.objects.filter(pk=parent.pk).update(parent=grandparent)
    unrelated = factories.make_organisation(name="Nobody we met")
    uuids = {identity(r)[1] for r in export_records(tmp_path / "out.json", "japan-2024")}
    assert {str(parent.uuid), str(child.uuid), str(grandparent.uuid)} <= uuids
    assert str(unrelated.uuid) not in uuids
    counts = {
        model: sum(
            1 for r in export_records(tmp_path / "o.json", "japan-2024") if r["model"] == model
        )
        for model in ("diary.day", "diary.visit", "diary.agreement")
    }
    assert counts == {"diary.day": 3, "diary.visit": 6, "diary.agreement": 5}


def test_agreement_implementing_another_missions_agreement_brings_that_record(demo, tmp_path):
    other = factories.make_mission(slug="earlier-mission", title="Earlier mission")
    framework = factories.make_agreement(other, title="Earlier framework")
    Agreement.objects.get(slug="luxprovide-jaxa-loi").implements.add(framework)
    data = export_bytes(tmp_path / "out.json", "japan-2024")
    empty_diary()
    call_command("loaddata", str(tmp_path / "out.json"), verbosity=0)
    implemented = Agreement.objects.get(slug="luxprovide-jaxa-loi").implements.all()
    assert framework.uuid in {agreement.uuid for agreement in implemented}
    assert Mission.objects.filter(slug="earlier-mission").exists()
    assert export_bytes(tmp_path / "again.json", "japan-2024") == data


@pytest.mark.parametrize("loader", ["import_mission", "loaddata"])
def test_agreements_implementing_each_other_still_load_in_one_pass(demo, tmp_path, loader):
    """A loop has no dependency order; loaddata defers such many-to-many references and our
    importer sets many-to-many links after every record is saved."""
    first = Agreement.objects.get(slug="lsa-jaxa-moc-2024")
    second = Agreement.objects.get(slug="luxprovide-jaxa-loi")
    first.implements.add(second)
    second.implements.add(first)
    fixture = tmp_path / "loop.json"
    original = export_bytes(fixture, "japan-2024")
    empty_diary()
    call_command(loader, str(fixture), verbosity=0, stdout=io.StringIO())
    restored = Agreement.objects.get(slug="lsa-jaxa-moc-2024")
    assert second.uuid in {a.uuid for a in restored.implements.all()}
    assert second.uuid in {a.uuid for a in restored.implementations.all()}
    assert export_bytes(tmp_path / "again.json", "japan-2024") == original


def test_export_is_byte_identical_for_the_same_data(demo, tmp_path):
    add_chains(demo)
    first = export_bytes(tmp_path / "first.json", "japan-2024")
    # The same data stored in another order must still give the same bytes.
    visit = Visit.objects.get(slug="ispace")
    organisations = list(visit.organisations.all())
    visit.organisations.clear()
    visit.organisations.add(*reversed(organisations))
    assert export_bytes(tmp_path / "second.json", "japan-2024") == first
    text = first.decode("utf-8")
    assert JAXA_NATIVE_NAME in text  # readable, not \u-escaped
    assert text.startswith('[\n{\n  "model": ')


@pytest.mark.parametrize("loader", ["import_mission", "loaddata"])
def test_round_trip_through_an_empty_database_is_byte_identical(demo, tmp_path, loader):
    add_chains(demo)
    fixture = tmp_path / "out.json"
    original = export_bytes(fixture, "japan-2024")
    assert b'"day": null' in original  # undated visits are in it
    empty_diary()
    call_command(loader, str(fixture), verbosity=0, stdout=io.StringIO())
    assert export_bytes(tmp_path / "again.json", "japan-2024") == original
    assert Organisation.objects.get(short_name="JAXA").native_name == JAXA_NATIVE_NAME
    assert Visit.objects.filter(mission__slug="japan-2024", day__isnull=True).count() == 4


def test_backup_of_everything_restores_into_an_empty_database(demo, draft_world, tmp_path):
    """README "Backup and restore": export_mission --all, then import_mission."""
    orphan = factories.make_organisation(
        name="Not yet met", native_name="未定", native_language="ja"
    )
    backup = tmp_path / "backup.json"
    before = export_bytes(backup)
    counts = content_counts()
    empty_diary()
    call_command("import_mission", str(backup), stdout=io.StringIO())
    assert export_bytes(tmp_path / "after.json") == before
    assert Organisation.objects.get(uuid=orphan.uuid).native_name == "未定"
    assert Mission.objects.get(slug="secret-mission").status == Mission.Status.DRAFT
    # Same records, same links (database ids differ: the bytes above compare the content).
    assert content_counts() == counts


def test_export_of_several_missions_and_unknown_slug(demo, draft_world, tmp_path):
    records = export_records(tmp_path / "two.json", "japan-2024", "secret-mission")
    assert {r["fields"]["slug"] for r in records if r["model"] == "diary.mission"} == {
        "japan-2024",
        "secret-mission",
    }
    with pytest.raises(CommandError, match="no-such-mission"):
        call_command("export_mission", "no-such-mission", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not both"):
        call_command("export_mission", "japan-2024", "--all", stdout=io.StringIO())


def test_export_to_standard_output_is_the_same_fixture(demo, tmp_path, capfd):
    call_command("export_mission", "japan-2024")
    assert capfd.readouterr().out.encode() == export_bytes(tmp_path / "f.json", "japan-2024")


def make_mission_with_visits(count):
    mission = factories.make_mission()
    day = factories.make_day(mission)
    organisation = factories.make_organisation()
    person = factories.make_person(organisation=organisation)
    for n in range(count):
        factories.make_visit(
            mission,
            day=day if n % 2 else None,
            organisations=[organisation],
            people=[person],
            starts_at=datetime.time(9) if n % 2 else None,
        )
    return mission


def count_export_queries(mission, tmp_path):
    with CaptureQueriesContext(connection) as queries:
        export_bytes(tmp_path / f"{mission.slug}.json", mission.slug)
    return len(queries)


def test_export_queries_do_not_grow_with_the_number_of_visits(tmp_path):
    small = count_export_queries(make_mission_with_visits(3), tmp_path)
    large = count_export_queries(make_mission_with_visits(60), tmp_path)
    assert large == small
