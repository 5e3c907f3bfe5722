"""
Reading a fixture file and checking it, without touching the database beyond looking up the
records it refers to: JSON, models, fields, value types, duplicates and references. What
passes is a list of `Record`s ready for `fixture_import` to clean and save.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID, uuid5

from django.core.exceptions import ValidationError
from django.db import models
from django_countries import countries
from django_countries.fields import CountryField

from ..models import Organisation
from ..models.base import country_code
from .fixture_export import EXPORT_ORDER, batched

MODELS_BY_LABEL = {model._meta.label_lower: model for model in EXPORT_ORDER}

# Visits had a free-text site and city until places replaced them (migration 0016). The
# namespace of migrations 0012 and 0016: the same text names the same place everywhere.
FREE_TEXT_PLACE_NAMESPACE = UUID("6f1d3c52-5c7e-4d57-9b0f-2f7d1c0e8a14")
FREE_TEXT_FIELDS = ("site_name", "city")
MAX_ERRORS_SHOWN = 20

TEXT_FIELDS = (models.CharField, models.TextField)
TEXT_VALUE_FIELDS = (models.DateField, models.TimeField, models.UUIDField)


def _holds_country_code(model_field):
    """A mission's host country or an organisation's country: fields that were the country's
    English name until migrations 0018 and 0020 made them ISO codes."""
    is_organisations = model_field.model is Organisation and model_field.name == "country"
    return isinstance(model_field, CountryField) or is_organisations


class FixtureImportError(Exception):
    """The file cannot be imported; `messages` says why, one line per problem."""

    def __init__(self, messages):
        self.messages = list(messages)
        shown = self.messages[:MAX_ERRORS_SHOWN]
        if len(self.messages) > MAX_ERRORS_SHOWN:
            shown.append(f"… and {len(self.messages) - MAX_ERRORS_SHOWN} more problems.")
        super().__init__("\n".join(shown))


@dataclass
class Record:
    index: int
    model: type
    # The line of the file where the record starts: what an error names, so that staff
    # find it in their editor.
    line: int | None = None
    uuid: UUID | None = None
    values: dict = field(default_factory=dict)  # concrete field name -> Python value
    references: dict = field(default_factory=dict)  # FK name -> UUID or None
    many: dict = field(default_factory=dict)  # M2M name -> [UUID]

    @property
    def label(self):
        """'line 12 (visit 0b6d…)': where the record is and what it is."""
        identity = f" {self.uuid}" if self.uuid else ""
        return f"{_where(self.index, self.line)} ({self.model._meta.verbose_name}{identity})"


def _where(index, line):
    return f"line {line}" if line is not None else f"record {index}"


def parse_fixture(content: bytes | str, revisions=None) -> list[Record]:
    """
    The file's diary records, checked. `revisions`: a list to receive the (index, item) pairs
    of its published revisions, read apart (fixture_revisions.py); without it they are
    records of an unknown model.
    """
    data, lines = _load_json(content)
    if not isinstance(data, list):
        raise FixtureImportError(
            [f"The file must hold a JSON list of records, not {_a_json_type(data)}."]
        )
    if not data:
        raise FixtureImportError(["The file holds no records."])
    if lines is None:  # never so far: read whole by json.loads, which gives no lines
        lines = [None] * len(data)
    errors: list[str] = []
    added = _places_for_free_text(data, lines, errors)
    data, lines = data + [item for item, _line in added], lines + [line for _item, line in added]
    records = []
    for index, (item, line) in enumerate(zip(data, lines, strict=True)):
        if revisions is not None and _is_revision(item):
            revisions.append((index, item))
        else:
            records.append(_parse_record(index, item, line, errors))
    records = [record for record in records if record is not None]
    _check_duplicates(records, errors)
    if not errors:
        _check_references(records, errors)
    if errors:
        raise FixtureImportError(errors)
    return records


def _is_revision(item):
    return isinstance(item, dict) and str(item.get("model", "")).lower() == "diary.revision"


JSON_SPACE = " \t\n\r"


def _load_json(content):
    """
    The file's JSON, and for a list, the line where each item starts: (data, lines).

    The json module gives no positions, so a list is read item by item with raw_decode,
    counting the lines between them; anything else, or any malformed JSON, is read whole by
    json.loads, which gives the standard value or error (with its line).
    """
    text = _text(content)
    try:
        return _items_with_lines(text)
    except (ValueError, RecursionError):
        pass
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        raise FixtureImportError(
            [
                f"The file is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ]
        ) from None
    except (ValueError, RecursionError) as error:
        raise FixtureImportError([f"The file is not usable JSON: {error}."]) from None


def _items_with_lines(text):
    """A top-level JSON list and its items' first lines; ValueError for anything else."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text[position : position + 1] != "[":
        raise ValueError("not a list")
    items, lines = [], []
    line, counted = 1, 0
    position = _skip_space(text, position + 1)
    if text[position : position + 1] == "]":
        position += 1
    else:
        while True:
            line += text.count("\n", counted, position)
            counted = position
            item, position = decoder.raw_decode(text, position)
            items.append(item)
            lines.append(line)
            position = _skip_space(text, position)
            separator = text[position : position + 1]
            position = _skip_space(text, position + 1)
            if separator == "]":
                break
            if separator != ",":
                raise ValueError("not a list")
    if _skip_space(text, position) != len(text):
        raise ValueError("extra data")
    return items, lines


def _skip_space(text, position):
    while position < len(text) and text[position] in JSON_SPACE:
        position += 1
    return position


def _text(content):
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FixtureImportError(
                [f"The file is not UTF-8 text (byte {error.start} cannot be decoded)."]
            ) from None
    return content


def _places_for_free_text(data, lines, errors):
    """
    A fixture from before places gives a visit a free-text `site_name` and `city`: the visit
    gets the place that text names instead, as migration 0016 gave stored visits theirs —
    the place of that text already in the file or the database (same UUID, or same name
    and city), else a new place, returned as a record to add to the file (the preview lists
    it as created). A visit the file already gives a place keeps it, and its text is dropped:
    files of that time carry both, the place made from the text. Returns (record, line of
    the visit it was made for) pairs.
    """
    from ..models import Place

    added, made = [], {}
    in_file = {
        str(item["fields"].get("uuid"))
        for item in data
        if isinstance(item, dict)
        and str(item.get("model", "")).lower() == "diary.place"
        and isinstance(item.get("fields"), dict)
    }
    for index, item in enumerate(data):
        if not (
            isinstance(item, dict)
            and str(item.get("model", "")).lower() == "diary.visit"
            and isinstance(item.get("fields"), dict)
            and any(name in item["fields"] for name in FREE_TEXT_FIELDS)
        ):
            continue
        fields = item["fields"]
        site_name, city = (fields.pop(name, "") for name in FREE_TEXT_FIELDS)
        if not isinstance(site_name, str) or not isinstance(city, str):
            errors.append(
                f"{_where(index, lines[index])} (visit): fields “site_name” and “city” (the "
                "visit's site and city from before places) must be text."
            )
            continue
        problem = _text_problem(site_name + city)
        if problem:
            errors.append(
                f"{_where(index, lines[index])} (visit): field “site_name” or “city”: {problem}"
            )
            continue
        name, city_name = (site_name.strip() or city.strip()), city.strip()
        if fields.get("place") is not None or not name:
            continue
        key = (site_name, city)
        if key not in made:
            uuid = str(uuid5(FREE_TEXT_PLACE_NAMESPACE, f"{site_name}\n{city}"))
            stored = (
                Place.objects.filter(uuid=uuid).first()
                or Place.objects.filter(name__iexact=name[:200], city__iexact=city_name[:100])
                .order_by("pk")
                .first()
            )
            if stored is not None:
                uuid = str(stored.uuid)
            elif uuid not in in_file:
                added.append(
                    (
                        {
                            "model": "diary.place",
                            "fields": {"uuid": uuid, "name": name, "city": city_name},
                        },
                        lines[index],
                    )
                )
            made[key] = uuid
        fields["place"] = [made[key]]
    return added


def _a_json_type(value):
    """'an object', 'a list', 'null': a JSON value's type, with its article."""
    kind = _json_type(value)
    if kind == "null":
        return kind
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _json_type(value):
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "list",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _parse_record(index, item, line, errors) -> Record | None:
    where = _where(index, line)
    if not isinstance(item, dict):
        errors.append(
            f"{where}: a record must be an object with “model” and “fields”, not "
            f"{_a_json_type(item)}."
        )
        return None
    unexpected = sorted(set(item) - {"model", "fields"}, key=str)
    if "pk" in unexpected:
        errors.append(f"{where}: has a database id (“pk”); records are identified by their uuid.")
        return None
    if unexpected:
        errors.append(f"{where}: unexpected key(s) {', '.join(map(repr, unexpected))}.")
        return None
    label = item.get("model")
    model = MODELS_BY_LABEL.get(label.lower()) if isinstance(label, str) else None
    if model is None:
        known = ", ".join(MODELS_BY_LABEL)
        errors.append(
            f"{where}: unknown model {json.dumps(label, ensure_ascii=False)[:80]} (expected one of {known})."
        )
        return None
    record = Record(index=index, model=model, line=line)
    fields = item.get("fields")
    if not isinstance(fields, dict):
        errors.append(f"{record.label}: “fields” must be an object, not {_a_json_type(fields)}.")
        return None
    raw_uuid = fields.get("uuid")
    try:
        record.uuid = UUID(raw_uuid) if isinstance(raw_uuid, str) else None
    except ValueError:
        record.uuid = None
    if record.uuid is None:
        errors.append(f"{record.label}: field “uuid”: a UUID is required, got {_show(raw_uuid)}.")
        return None
    meta = model._meta
    known_fields = {f.name: f for f in meta.concrete_fields if not f.primary_key}
    known_fields.update({f.name: f for f in meta.many_to_many})
    for name in sorted(set(fields) - set(known_fields)):
        errors.append(f"{record.label}: unknown field “{name}”.")
    for name, value in fields.items():
        model_field = known_fields.get(name)
        if model_field is None or name == "uuid":
            continue
        problem = _read_value(record, model_field, value)
        if problem:
            errors.append(f"{record.label}: field “{name}”: {problem}")
    return record


def _show(value, limit=60):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _text_problem(value):
    if "\x00" in value:
        return "contains a NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains characters that are not valid Unicode text."
    return None


def _natural_key(value):
    """A natural key is ["<uuid>"]; return the UUID, or None if it is not one."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        try:
            return UUID(value[0])
        except ValueError:
            return None
    return None


def _read_value(record, model_field, value) -> str | None:
    """Store the field's value on the record; return a problem, if any."""
    if model_field.many_to_many:
        if not isinstance(value, list):
            return f'expected a list of natural keys such as [["<uuid>"]], got {_show(value)}.'
        keys = [_natural_key(item) for item in value]
        if None in keys:
            bad = value[keys.index(None)]
            return f'expected natural keys such as ["<uuid>"], got {_show(bad)}.'
        record.many[model_field.name] = list(dict.fromkeys(keys))
        return None
    if value is None:
        if not model_field.null:
            return "may not be null."
        if model_field.is_relation:
            record.references[model_field.name] = None
        else:
            record.values[model_field.name] = None
        return None
    if model_field.is_relation:
        key = _natural_key(value)
        if key is None:
            return f'expected a natural key such as ["<uuid>"] or null, got {_show(value)}.'
        record.references[model_field.name] = key
        return None
    if isinstance(model_field, TEXT_FIELDS + TEXT_VALUE_FIELDS):
        if not isinstance(value, str):
            return f"expected a string, got {_json_type(value)} {_show(value)}."
        problem = _text_problem(value)
        if problem:
            return problem
    elif isinstance(model_field, models.IntegerField):
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a whole number, got {_json_type(value)} {_show(value)}."
    elif isinstance(model_field, models.BooleanField) and not isinstance(value, bool):
        return f"expected true or false, got {_show(value)}."
    if _holds_country_code(model_field) and value.strip() and value not in countries:
        # Fixtures from before countries were ISO codes (migrations 0018 and 0020) give the
        # English name: read as the migrations read stored names ("Japan", "jp" → "JP").
        code = country_code(value)
        if not code:
            return (
                f"{_show(value)} is not a country: give its ISO 3166-1 alpha-2 code, such as "
                "JP, or its English name."
            )
        value = code
    try:
        record.values[model_field.name] = model_field.to_python(value)
    except ValidationError as error:
        return " ".join(error.messages) + f" (got {_show(value)})"
    return None


def _check_duplicates(records, errors):
    first_seen = {}
    for record in records:
        key = (record.model, record.uuid)
        if key in first_seen:
            errors.append(f"{record.label}: the same record already appears at {first_seen[key]}.")
        else:
            first_seen[key] = _where(record.index, record.line)


def references(record):
    model = record.model
    for name, key in record.references.items():
        if key is not None:
            yield name, model._meta.get_field(name).related_model, key
    for name, keys in record.many.items():
        target = model._meta.get_field(name).related_model
        for key in keys:
            yield name, target, key


def _check_references(records, errors):
    in_file = {(record.model, record.uuid) for record in records}
    wanted = defaultdict(set)
    for record in records:
        for _name, target, key in references(record):
            if (target, key) not in in_file:
                wanted[target].add(key)
    in_database = set()
    for target, keys in wanted.items():
        for chunk in batched(sorted(keys), 500):
            found = target.objects.filter(uuid__in=chunk).values_list("uuid", flat=True)
            in_database.update((target, key) for key in found)
    for record in records:
        for name, target, key in references(record):
            if (target, key) not in in_file and (target, key) not in in_database:
                errors.append(
                    f"{record.label}: field “{name}”: refers to {target._meta.label_lower} "
                    f"{key}, which is neither in the file nor in the database."
                )
