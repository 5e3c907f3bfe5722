"""
Property-based tests: malformed and adversarial fixture files thrown at import_mission.

Whatever the file, the outcome is a CommandError with a message, and the database is exactly
as it was. Every mutation below is chosen so that the file is certainly invalid.
"""

import copy
import io
import json
import tempfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.interchange.fixture_checks import MODELS_BY_LABEL

from .diary_state import database_state, export_records

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # The demo fixture is set up once per test; each example leaves it as it was (asserted).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)


@pytest.fixture
def demo_records(demo, tmp_path):
    return export_records(tmp_path / "demo.json", "japan-2024")


def assert_refused_cleanly(content: bytes):
    before = database_state()
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(content)
        file.flush()
        with pytest.raises(CommandError) as error:
            call_command("import_mission", file.name, stdout=io.StringIO())
    assert str(error.value).startswith("Nothing was imported")
    assert database_state() == before


def model_field(record, name):
    return MODELS_BY_LABEL[record["model"]]._meta.get_field(name)


def invalid_date_strings():
    def is_invalid(text):
        try:
            models.DateField().to_python(text)
        except ValidationError:
            return True
        return False

    samples = st.sampled_from(
        ["2024-02-30", "2024-13-01", "10/06/2024", "", "tomorrow", "2024-06-10T09:00"]
    )
    return samples | st.text(max_size=20).filter(is_invalid)


def wrong_type_for(field):
    """A JSON value the field can never accept."""
    if field.many_to_many:
        return st.sampled_from(["x", 3, {"a": 1}, [["not-a-uuid"]], [[1]], [["a", "b"]], [None]])
    if field.is_relation:
        return st.sampled_from(
            ["b61edb38-f07e-4cd7-85e0-723241234dec", 3, [], [1], {"uuid": "x"}, True]
        )
    if isinstance(field, models.IntegerField):
        return st.sampled_from(["1", 1.5, True, [], {}]) | st.text(max_size=5) | st.floats()
    if isinstance(field, models.DateField | models.TimeField | models.UUIDField):
        return (
            st.integers() | st.lists(st.integers(), max_size=3) | st.booleans() | st.just("99:99")
        )
    return st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=3) | st.floats()


@st.composite
def mutated(draw, records):
    records = copy.deepcopy(records)
    # A diary record is mutated; the revisions travelling with it (read apart, by
    # diary/interchange/fixture_revisions.py) stay as exported.
    index = draw(
        st.sampled_from([i for i, r in enumerate(records) if r["model"] in MODELS_BY_LABEL])
    )
    record = records[index]
    fields = record["fields"]
    kind = draw(
        st.sampled_from(
            [
                "wrong_type",
                "missing_field",
                "bad_date",
                "unknown_model",
                "dangling_reference",
                "huge_string",
                "duplicate",
                "not_a_record",
                "unknown_field",
                "null_in_required",
            ]
        )
    )
    if kind == "wrong_type":
        name = draw(st.sampled_from(sorted(set(fields) - {"uuid"})))
        fields[name] = draw(wrong_type_for(model_field(record, name)))
    elif kind == "missing_field":
        model = MODELS_BY_LABEL[record["model"]]
        required = [
            f.name
            for f in model._meta.concrete_fields
            # Only what the file holds: a translated field is written as its languages' columns.
            if not f.blank and not f.has_default() and not f.primary_key and f.name in fields
        ]
        name = draw(st.sampled_from(sorted(required)))
        del fields[name]
        if name != "uuid":
            fields["uuid"] = str(draw(st.uuids()))  # a new record: nothing to keep the value from
    elif kind == "bad_date":
        dated = [
            (i, r)
            for i, r in enumerate(records)
            if r["model"] in MODELS_BY_LABEL
            and ("date" in r["fields"] or "start_date" in r["fields"])
        ]
        _, record = draw(st.sampled_from(dated))
        name = (
            "date"
            if "date" in record["fields"]
            else draw(st.sampled_from(["start_date", "end_date"]))
        )
        record["fields"][name] = draw(invalid_date_strings())
    elif kind == "unknown_model":
        record["model"] = draw(
            st.sampled_from(["auth.user", "diary.spaceship", "contenttypes.contenttype", ""])
            | st.text(max_size=20).filter(lambda label: label.lower() not in MODELS_BY_LABEL)
        )
    elif kind == "dangling_reference":
        with_links = [
            (r, n)
            for r in records
            if r["model"] in MODELS_BY_LABEL
            for n, value in r["fields"].items()
            if model_field(r, n).is_relation and value is not None and n != "uuid"
        ]
        record, name = draw(st.sampled_from(with_links))
        missing = [str(draw(st.uuids()))]
        record["fields"][name] = [missing] if model_field(record, name).many_to_many else missing
    elif kind == "huge_string":
        limited = [
            n for n in fields if getattr(model_field(record, n), "max_length", None) and n != "uuid"
        ]
        name = draw(st.sampled_from(limited))
        limit = model_field(record, name).max_length
        letter = draw(st.sampled_from(["x", "宇", "é", "-"]))
        fields[name] = letter * draw(st.integers(limit + 1, 200_000))
    elif kind == "duplicate":
        records.insert(draw(st.integers(0, len(records))), copy.deepcopy(record))
    elif kind == "not_a_record":
        records[index] = draw(json_values.filter(lambda value: not isinstance(value, dict)))
    elif kind == "unknown_field":
        name = draw(st.text(min_size=1, max_size=15).filter(lambda n: n not in fields))
        fields[name] = draw(json_values)
    elif kind == "null_in_required":
        not_nullable = [
            n
            for n in fields
            if not model_field(record, n).null and not model_field(record, n).many_to_many
        ]
        fields[draw(st.sampled_from(not_nullable))] = None
    return records


@FUZZ
@given(data=st.data())
def test_mutated_valid_fixtures_are_refused_cleanly(demo_records, data):
    records = data.draw(mutated(demo_records))
    assert_refused_cleanly(json.dumps(records, ensure_ascii=False).encode())


@FUZZ
@given(value=json_values)
def test_random_json_is_refused_cleanly(demo, value):
    assert_refused_cleanly(json.dumps(value).encode())


@FUZZ
@given(content=st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(demo, content):
    assert_refused_cleanly(content)


record_like = st.lists(
    st.fixed_dictionaries(
        {
            "model": st.sampled_from(sorted(MODELS_BY_LABEL)),
            "fields": st.dictionaries(
                st.sampled_from(
                    ["uuid", "name", "slug", "date", "mission", "parent", "title", "parties"]
                ),
                json_values | st.uuids().map(str) | st.uuids().map(lambda u: [str(u)]),
                max_size=6,
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(records=record_like)
def test_random_record_shaped_files_are_refused_cleanly_or_imported_whole(demo, records):
    """A few random records are valid (a source needs only a uuid and a title): then all of
    them must be in the database; otherwise the usual clean refusal."""
    before = database_state()
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(json.dumps(records).encode())
        file.flush()
        try:
            call_command("import_mission", file.name, stdout=io.StringIO())
        except CommandError as error:
            assert str(error).startswith("Nothing was imported")
            assert database_state() == before
            return
    for record in records:
        model = MODELS_BY_LABEL[record["model"]]
        assert model.objects.filter(uuid=record["fields"]["uuid"]).exists()
