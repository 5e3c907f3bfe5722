import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diary.models import Day, Mission, Organisation, Visit

from .diary_state import database_state, empty_diary, export_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_records(demo, tmp_path):
    return export_records(tmp_path / "demo.json", "japan-2024")


def write(tmp_path, records_or_text, name="in.json"):
    path = tmp_path / name
    if isinstance(records_or_text, str):
        path.write_text(records_or_text, encoding="utf-8")
    else:
        path.write_text(json.dumps(records_or_text, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run_import(path, *options):
    out = io.StringIO()
    call_command("import_mission", path, *options, stdout=out)
    return out.getvalue()


def find(records, model, **fields):
    index, record = next(
        (i, r)
        for i, r in enumerate(records)
        if r["model"] == model and all(r["fields"].get(k) == v for k, v in fields.items())
    )
    return index, record


def assert_refused(path, *expected):
    """The import fails with a message holding every expected piece, and writes nothing."""
    before = database_state()
    with pytest.raises(CommandError) as error:
        run_import(path)
    message = str(error.value)
    for piece in expected:
        assert piece in message, f"{piece!r} not in {message!r}"
    assert database_state() == before
    return message


def test_malformed_json_is_refused_with_its_position(demo, tmp_path):
    assert_refused(write(tmp_path, '[{"model": "diary.day",'), "not valid JSON", "line 1")


def test_unknown_model_is_refused_naming_the_record(demo_records, tmp_path):
    demo_records[3]["model"] = "diary.spaceship"
    assert_refused(write(tmp_path, demo_records), "record 3", 'unknown model "diary.spaceship"')


def test_wrong_field_type_is_refused_naming_record_and_field(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    day["fields"]["date"] = 20240611
    assert_refused(
        write(tmp_path, demo_records),
        f"record {index} (diary.day {day['fields']['uuid']})",
        "field “date”: expected a string",
    )


def test_impossible_date_is_refused(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    day["fields"]["date"] = "2024-06-31"
    assert_refused(write(tmp_path, demo_records), f"record {index} (diary.day", "field “date”")


def test_reference_to_a_record_in_neither_file_nor_database_is_refused(demo_records, tmp_path):
    index, visit = find(demo_records, "diary.visit", slug="ispace")
    missing = str(uuid.uuid4())
    visit["fields"]["day"] = [missing]
    assert_refused(
        write(tmp_path, demo_records),
        f"record {index} (diary.visit {visit['fields']['uuid']})",
        f"field “day”: refers to diary.day {missing}",
        "neither in the file nor in the database",
    )


def test_reference_to_a_record_already_in_the_database_is_accepted(demo, tmp_path):
    mission = Mission.objects.get(slug="japan-2024")
    record = {
        "model": "diary.day",
        "fields": {"uuid": str(uuid.uuid4()), "mission": [str(mission.uuid)], "date": "2024-06-13"},
    }
    assert "diary.day: 1 created" in run_import(write(tmp_path, [record]))
    assert mission.days.filter(date="2024-06-13").exists()


def test_day_outside_the_mission_is_refused_and_earlier_records_are_rolled_back(
    demo_records, tmp_path
):
    # An organisation earlier in the file changes, a day later in the file is invalid:
    # the organisation's change must not be kept.
    _, jaxa = find(demo_records, "diary.organisation", slug="jaxa")
    jaxa["fields"]["name"] = "Renamed in the file"
    index, day = find(demo_records, "diary.day", date="2024-06-12")
    day["fields"]["date"] = "2024-07-01"
    assert_refused(
        write(tmp_path, demo_records),
        f"record {index} (diary.day {day['fields']['uuid']}): field “date”",
        "outside the mission's dates",
    )
    assert Organisation.objects.get(slug="jaxa").name == "Japan Aerospace Exploration Agency"


def test_constraint_violations_on_an_empty_database_leave_it_empty(demo_records, tmp_path):
    empty_diary()
    index, visit = find(demo_records, "diary.visit", slug="nict")
    visit["fields"]["starts_at"] = "10:00:00"  # a time without a day
    assert_refused(
        write(tmp_path, demo_records),
        f"record {index} (diary.visit {visit['fields']['uuid']}): field “day”",
        "A time needs a day",
    )
    assert not Organisation.objects.exists()


def test_new_record_missing_a_required_field_is_refused(demo_records, tmp_path):
    empty_diary()
    index, visit = find(demo_records, "diary.visit", slug="ispace")
    del visit["fields"]["title"]
    assert_refused(
        write(tmp_path, demo_records), f"record {index} (diary.visit", "field “title”", "blank"
    )


def test_fields_left_out_of_an_update_keep_their_value(demo_records, tmp_path):
    _, visit = find(demo_records, "diary.visit", slug="ispace")
    del visit["fields"]["title"]
    visit["fields"]["summary"] = "At ispace, Nihonbashi."
    run_import(write(tmp_path, demo_records))
    visit = Visit.objects.get(slug="ispace")
    assert (visit.title, visit.summary) == (
        "ispace and the Tokyo Mission Control room",
        "At ispace, Nihonbashi.",
    )


def test_unknown_field_database_id_and_duplicates_are_refused(demo_records, tmp_path):
    demo_records[0]["fields"]["colour"] = "blue"
    demo_records[1]["pk"] = 7
    demo_records.append(demo_records[2])
    message = assert_refused(
        write(tmp_path, demo_records),
        f"record 0 ({demo_records[0]['model']}",
        "unknown field “colour”",
        "record 1: has a database id",
        f"record {len(demo_records) - 1} ({demo_records[2]['model']}",
        "already appears as record 2",
    )
    assert message.startswith("Nothing was imported")


def test_text_longer_than_its_limit_is_refused(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    limit = Day._meta.get_field("summary").max_length
    day["fields"]["summary"] = "宇" * (limit + 1)
    assert_refused(
        write(tmp_path, demo_records),
        f"record {index} (diary.day {day['fields']['uuid']}): field “summary”",
        f"at most {limit} characters",
    )


def test_slug_taken_by_another_record_is_refused(demo_records, tmp_path):
    index, organisation = find(demo_records, "diary.organisation", slug="jaxa")
    organisation["fields"]["uuid"] = str(uuid.uuid4())  # a different record, same slug
    assert_refused(
        write(tmp_path, demo_records), f"record {index}", "field “slug”", "already exists"
    )


@pytest.mark.parametrize("content", ["", "{}", "[]", '"text"', "[1, 2]", "[[[[]]]]"])
def test_files_that_are_not_a_list_of_records_are_refused(demo, tmp_path, content):
    assert_refused(write(tmp_path, content), "Nothing was imported")


def test_file_that_is_not_utf8_is_refused(demo, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(
        '[{"model": "diary.organisation", "fields": {"name": "Caf\xe9"}}]'.encode("latin-1")
    )
    assert_refused(str(path), "not UTF-8")


def test_unreadable_file_is_refused(demo, tmp_path):
    assert_refused(str(tmp_path / "missing.json"), "Cannot read")


def test_importing_the_same_file_twice_updates_rather_than_duplicates(demo_records, tmp_path):
    empty_diary()
    path = write(tmp_path, demo_records)
    first = run_import(path)
    assert "diary.visit: 6 created, 0 updated, 0 unchanged" in first
    second = run_import(path)
    assert "diary.visit: 0 created, 0 updated, 6 unchanged" in second
    assert Visit.objects.count() == 6 and Day.objects.count() == 3


def test_dry_run_reports_what_would_change_and_writes_nothing(demo_records, tmp_path):
    _, visit = find(demo_records, "diary.visit", slug="ispace")
    visit["fields"]["title"] = "A new title"
    _, day = find(demo_records, "diary.day", date="2024-06-10")
    day["fields"]["uuid"] = str(uuid.uuid4())  # a new record…
    day["fields"]["date"] = "2024-06-14"  # …on a free date
    before = database_state()
    out = run_import(write(tmp_path, demo_records), "--dry-run")
    assert "Dry run — nothing written" in out
    assert "diary.visit: 0 created, 1 updated, 5 unchanged" in out
    assert "diary.day: 1 created, 0 updated, 2 unchanged" in out
    assert database_state() == before
    run_import(write(tmp_path, demo_records))
    assert Visit.objects.get(slug="ispace").title == "A new title"


def test_many_to_many_changes_count_as_updates(demo_records, tmp_path):
    _, visit = find(demo_records, "diary.visit", slug="ispace")
    visit["fields"]["organisations"] = []
    out = run_import(write(tmp_path, demo_records))
    assert "diary.visit: 0 created, 1 updated, 5 unchanged" in out
    assert not Visit.objects.get(slug="ispace").organisations.exists()


def test_a_loop_of_parent_organisations_is_refused(demo_records, tmp_path):
    _, jaxa = find(demo_records, "diary.organisation", slug="jaxa")
    _, tansa = find(demo_records, "diary.organisation", slug="tansa-x")
    jaxa["fields"]["parent"] = [tansa["fields"]["uuid"]]
    assert_refused(write(tmp_path, demo_records), "field “parent”", "loops")
