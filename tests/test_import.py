import datetime
import io
import json
import uuid
from pathlib import Path

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
    """Records are written one field a line, as an editor shows them (errors name lines)."""
    path = tmp_path / name
    if isinstance(records_or_text, str):
        path.write_text(records_or_text, encoding="utf-8")
    else:
        path.write_text(json.dumps(records_or_text, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)


def at(path, index):
    """'line N': where the index-th record of a file from write() starts (its " {" line)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    starts = [number for number, text in enumerate(lines, 1) if text == " {"]
    return f"line {starts[index]}"


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
    path = write(tmp_path, demo_records)
    assert_refused(path, f"{at(path, 3)}:", 'unknown model "diary.spaceship"')


def test_wrong_field_type_is_refused_naming_record_and_field(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    day["fields"]["date"] = 20240611
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} (day {day['fields']['uuid']})",
        "field “date”: expected a string",
    )


def test_impossible_date_is_refused(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    day["fields"]["date"] = "2024-06-31"
    path = write(tmp_path, demo_records)
    assert_refused(path, f"{at(path, index)} (day", "field “date”")


def test_reference_to_a_record_in_neither_file_nor_database_is_refused(demo_records, tmp_path):
    index, visit = find(demo_records, "diary.visit", slug="ispace")
    missing = str(uuid.uuid4())
    visit["fields"]["day"] = [missing]
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} (visit {visit['fields']['uuid']})",
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
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} (day {day['fields']['uuid']}): field “date”",
        "outside the mission's dates",
    )
    assert Organisation.objects.get(slug="jaxa").name == "Japan Aerospace Exploration Agency"


def test_constraint_violations_on_an_empty_database_leave_it_empty(demo_records, tmp_path):
    empty_diary()
    index, visit = find(demo_records, "diary.visit", slug="nict")
    visit["fields"]["starts_at"] = "10:00:00"  # a time without a day
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} (visit {visit['fields']['uuid']}): field “day”",
        "A time needs a day",
    )
    assert not Organisation.objects.exists()


def test_new_record_missing_a_required_field_is_refused(demo_records, tmp_path):
    empty_diary()
    index, visit = find(demo_records, "diary.visit", slug="ispace")
    # English is the language every record must have (diary/translation.py).
    del visit["fields"]["title_en"]
    path = write(tmp_path, demo_records)
    assert_refused(path, f"{at(path, index)} (visit", "field “title_en”", "blank")


def test_fields_left_out_of_an_update_keep_their_value(demo_records, tmp_path):
    _, visit = find(demo_records, "diary.visit", slug="ispace")
    del visit["fields"]["title_en"]
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
    path = write(tmp_path, demo_records)
    message = assert_refused(
        path,
        f"{at(path, 0)} (place",
        "unknown field “colour”",
        f"{at(path, 1)}: has a database id",
        f"{at(path, len(demo_records) - 1)} (",
        f"already appears at {at(path, 2)}",
    )
    assert message.startswith("Nothing was imported")


def test_text_longer_than_its_limit_is_refused(demo_records, tmp_path):
    index, day = find(demo_records, "diary.day", date="2024-06-11")
    limit = Day._meta.get_field("summary").max_length
    day["fields"]["summary"] = "宇" * (limit + 1)
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} (day {day['fields']['uuid']}): field “summary”",
        f"at most {limit} characters",
    )


def test_slug_taken_by_another_record_is_refused(demo_records, tmp_path):
    index, organisation = find(demo_records, "diary.organisation", slug="jaxa")
    organisation["fields"]["uuid"] = str(uuid.uuid4())  # a different record, same slug
    path = write(tmp_path, demo_records)
    assert_refused(path, f"{at(path, index)} (", "field “slug”", "already exists")


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


# --- Fixtures from before places (visits with a free-text site and city) -----------------------


def as_before_places(records, slug, site_name, city):
    """The visit as a fixture of that time gave it: free text, no place."""
    _, visit = find(records, "diary.visit", slug=slug)
    del visit["fields"]["place"]
    visit["fields"].update(site_name=site_name, city=city)
    return visit


def test_an_old_fixtures_site_and_city_become_the_visits_place(demo_records, tmp_path):
    from diary.models import Place

    as_before_places(demo_records, "ispace", "ispace Mission Control", "Tokyo")
    as_before_places(demo_records, "tansa-x-sagamihara", "ispace Mission Control", "Tokyo")
    as_before_places(demo_records, "ntt-headquarters", "", "Musashino")
    path = write(tmp_path, demo_records)
    assert "diary.place: 2 created" in run_import(path, "--dry-run")
    run_import(path)
    ispace = Visit.objects.get(slug="ispace").place
    assert (ispace.name, ispace.city, ispace.latitude) == ("ispace Mission Control", "Tokyo", None)
    assert Visit.objects.get(slug="tansa-x-sagamihara").place == ispace
    musashino = Visit.objects.get(slug="ntt-headquarters").place
    assert (musashino.name, musashino.city) == ("Musashino", "Musashino")
    count = Place.objects.count()
    run_import(path)  # again: the same places, none doubled
    assert Place.objects.count() == count
    assert Visit.objects.get(slug="ispace").place == ispace


def test_an_old_fixtures_text_naming_a_stored_place_links_to_it(demo_records, tmp_path):
    from diary.models import Place

    count = Place.objects.count()
    # Named as the demo's place is, in other case.
    as_before_places(demo_records, "ispace", "NTT HEADQUARTERS", "tokyo")
    run_import(write(tmp_path, demo_records))
    assert Visit.objects.get(slug="ispace").place.name == "NTT headquarters"
    assert Place.objects.count() == count


def test_a_visit_given_a_place_keeps_it_whatever_its_old_text_says(demo_records, tmp_path):
    _, visit = find(demo_records, "diary.visit", slug="ispace")
    visit["fields"].update(site_name="Somewhere else", city="Osaka")
    run_import(write(tmp_path, demo_records))
    assert Visit.objects.get(slug="ispace").place.name == "ispace Tokyo Mission Control room"


def test_an_old_fixtures_site_that_is_not_text_is_refused(demo_records, tmp_path):
    visit = as_before_places(demo_records, "ispace", "ispace", "Tokyo")
    visit["fields"]["city"] = 12
    assert_refused(write(tmp_path, demo_records), "“site_name” and “city”", "must be text")


# --- Fixtures from before countries were ISO codes (migrations 0018 and 0020) ---------------

# A mission's host country and an organisation's country: (model, slug, field, its code, its
# old English name).
COUNTRIES_BY_NAME = [
    (Mission, "japan-2024", "host_country", "JP", "Japan"),
    (Organisation, "luxprovide", "country", "LU", "Luxembourg"),
]


@pytest.mark.parametrize(("model", "slug", "field", "code", "name"), COUNTRIES_BY_NAME)
@pytest.mark.parametrize(
    "spelling",
    [
        lambda code, name: name,
        lambda code, name: f" {name.lower()} ",
        lambda code, name: code.lower(),
    ],
    ids=["name", "spaced lower-case name", "lower-case code"],
)
def test_an_old_fixtures_country_name_becomes_its_code(
    demo_records, tmp_path, model, slug, field, code, name, spelling
):
    model.objects.filter(slug=slug).update(**{field: "FR"})
    _, record = find(demo_records, model._meta.label_lower, slug=slug)
    record["fields"][field] = spelling(code, name)
    run_import(write(tmp_path, demo_records))
    # A host country reads as a django-countries Country, whose text is its code.
    assert str(getattr(model.objects.get(slug=slug), field)) == code


@pytest.mark.parametrize(("model", "slug", "field", "code", "name"), COUNTRIES_BY_NAME)
def test_an_old_fixtures_country_that_is_no_country_is_refused_naming_it(
    demo_records, tmp_path, model, slug, field, code, name
):
    index, record = find(demo_records, model._meta.label_lower, slug=slug)
    record["fields"][field] = "Nippon Land"
    path = write(tmp_path, demo_records)
    assert_refused(
        path,
        f"{at(path, index)} ({model._meta.model_name} {record['fields']['uuid']}): "
        f"field “{field}”: "
        '"Nippon Land" is not a country: give its ISO 3166-1 alpha-2 code, such as JP, or its '
        "English name.",
    )
    assert str(getattr(model.objects.get(slug=slug), field)) == code


# --- Errors in plain words, with the line where each record starts (issue 15) ---------------


def test_a_visit_on_another_missions_day_is_named_by_line_and_date(demo_records, tmp_path):
    from .factories import make_day, make_mission

    elsewhere = make_day(
        make_mission(start_date=datetime.date(2024, 6, 15), end_date=datetime.date(2024, 6, 16)),
        date=datetime.date(2024, 6, 15),
    )
    index, visit = find(demo_records, "diary.visit", slug="ispace")
    visit["fields"]["day"] = [str(elsewhere.uuid)]
    path = write(tmp_path, demo_records)
    line = at(path, index)
    assert Path(path).read_text().splitlines()[int(line.split()[1]) - 1] == " {"
    message = assert_refused(
        path,
        f"{line} (visit {visit['fields']['uuid']}): the visit's day 2024-06-15 is not a day "
        "of this mission",
    )
    assert "field “day”" not in message  # said once, in words


def test_records_lines_are_found_however_the_file_is_laid_out(demo, tmp_path):
    """Several records on a line, blank lines, and strings holding brackets, braces, commas
    and escaped line breaks: each error names the line its record starts on."""
    day = str(uuid.uuid4())
    text = (
        "[\n"
        '  {"model": "diary.spaceship", "fields": {"name": "[{,\\n}]"}},'
        ' {"model": "diary.rocket", "fields": {}},\n'
        "\n"
        '\t{"model": "diary.day",\n "fields": {"uuid": "DAY", "colour": "a\\nb\\nc"}},\n'
        '  {"model": "diary.comet", "fields": {}}\n'
        "]\n"
    ).replace("DAY", day)
    message = assert_refused(write(tmp_path, text))
    assert 'line 2: unknown model "diary.spaceship"' in message
    assert 'line 2: unknown model "diary.rocket"' in message
    assert f"line 4 (day {day}): unknown field “colour”" in message
    assert 'line 6: unknown model "diary.comet"' in message


def test_a_malformed_file_names_the_line_of_the_fault(demo_records, tmp_path):
    text = json.dumps(demo_records, ensure_ascii=False, indent=1).splitlines()
    text[40] = text[40].rstrip(",") + " oops,"
    assert_refused(write(tmp_path, "\n".join(text)), "not valid JSON", "(line 41,")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"model": "diary.day"}', "a JSON list of records, not an object."),
        ("[1]", "line 1: a record must be an object with “model” and “fields”, not a number."),
        ("[\nnull\n]", "line 2: a record must be an object with “model” and “fields”, not null."),
        (
            '[{"model": "diary.day", "fields": []}]',
            "line 1 (day): “fields” must be an object, not a list.",
        ),
    ],
)
def test_wrong_shapes_are_named_in_plain_words(demo, tmp_path, content, expected):
    message = assert_refused(write(tmp_path, content), expected)
    assert "not a object" not in message and "not a null" not in message
