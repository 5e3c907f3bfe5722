"""
What changed between two publications of a mission, computed from their frozen public JSON
documents (diary/exports/public_json.py): a pure function of the two documents, no database.

Records are matched by UUID, so a renamed visit is the same visit with its title changed.
For each kind of record: those added, those removed, and for each one kept, the fields that
changed (old and new values); a visit whose date or times changed is listed as moved.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from .models import Agreement, Day, Mission, Organisation, Person, Source, Visit

# The document's lists, in the order the updates page tells them, with each kind's model
# (for its fields' names) and the key naming one of its records.
KINDS = [
    ("days", Day, "date"),
    ("visits", Visit, "title"),
    ("agreements", Agreement, "title"),
    ("organisations", Organisation, "name"),
    ("people", Person, "name"),
    ("sources", Source, "title"),
]
KIND_LABELS = {
    "mission": _("Mission"),
    "days": _("Days"),
    "visits": _("Visits"),
    "agreements": _("Agreements"),
    "organisations": _("Organisations"),
    "people": _("People"),
    "sources": _("Sources"),
}
# Identity and derived keys: a URL follows from a slug, a visit's day from its date.
IGNORED = {"uuid", "url", "day"}
# What makes a visit "moved" rather than changed.
WHEN = ("date", "starts_at", "ends_at")
# Values longer than this are named as changed without being quoted.
QUOTED_MAX_LENGTH = 120


@dataclass(frozen=True)
class FieldChange:
    name: str  # the document's key
    label: str
    old: object
    new: object

    @property
    def quoted(self):
        """Whether the page quotes old and new values: short text, dates and numbers."""
        return all(
            value is None
            or isinstance(value, int | float)
            or (isinstance(value, str) and len(value) <= QUOTED_MAX_LENGTH)
            for value in (self.old, self.new)
        )


@dataclass(frozen=True)
class When:
    """A visit's place in time: its date, and start and end times, each None if not stated."""

    date: datetime.date | None
    starts_at: datetime.time | None
    ends_at: datetime.time | None


@dataclass
class Record:
    uuid: str
    label: str
    url: str | None = None
    changes: list = field(default_factory=list)  # FieldChange, for changed records
    moved_from: When | None = None  # for moved visits
    moved_to: When | None = None


@dataclass
class KindChanges:
    kind: str
    label: str
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    moved: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.added or self.removed or self.moved or self.changed)


@dataclass
class Changes:
    """The differences of `new` from `old`; `first` when there is no earlier document."""

    first: bool
    mission: list = field(default_factory=list)  # FieldChange of the mission's own fields
    kinds: list = field(default_factory=list)  # KindChanges with something in them
    counts: dict = field(default_factory=dict)  # kind: number of records, for `first`

    def __bool__(self):
        return self.first or bool(self.mission or self.kinds)

    def kind(self, name):
        return next((kind for kind in self.kinds if kind.kind == name), None)


def field_label(model, key):
    """The model field's own (translated) name for a document key, else the key in words."""
    if model is Visit and key == "date":
        key = "day"
    try:
        return str(model._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return key.replace("_", " ")


def _field_changes(model, old, new, skip=(), older_format=False):
    """
    The fields of one record that differ. `older_format`: `old` was frozen in an earlier
    version of the document, which had fewer keys (a key it lacks is a change of format, not
    of the record: schema 3 added `translations`) or plain text where today's has an object
    with the English `name` (schema 3's host country and organisation country: "Japan", now
    {"code": "JP", "name": "Japan", …}), compared by that name; an empty organisation country
    is now null.
    """
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if key in IGNORED or key in skip or (older_format and key not in old):
            continue
        before, after = old.get(key), new.get(key)
        if older_format and isinstance(before, str) and isinstance(after, dict) and "name" in after:
            after = after["name"]
        elif older_format and before == "" and after is None:
            after = ""
        if before != after:
            changes.append(FieldChange(key, field_label(model, key), before, after))
    return changes


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _time(value):
    # "2024-06-11T09:30:00+09:00": the local time in the mission's zone, which the page names.
    return datetime.datetime.fromisoformat(value).time() if value else None


def _when(visit):
    return When(
        _date(visit.get("date")), _time(visit.get("starts_at")), _time(visit.get("ends_at"))
    )


def _label(record, key):
    value = record.get(key)
    if key == "date" and value:
        return value
    return value or record.get("uuid", "")


def _kind_changes(kind, model, label_key, old_records, new_records, older_format):
    old_by_uuid = {record["uuid"]: record for record in old_records}
    new_by_uuid = {record["uuid"]: record for record in new_records}
    changes = KindChanges(kind, str(KIND_LABELS[kind]))
    for uuid, record in new_by_uuid.items():
        entry = Record(uuid, _label(record, label_key), record.get("url"))
        before = old_by_uuid.get(uuid)
        if before is None:
            changes.added.append(entry)
            continue
        moved = kind == "visits" and any(before.get(key) != record.get(key) for key in WHEN)
        # A moved visit lists its other changed fields too, with the move.
        entry.changes = _field_changes(
            model, before, record, skip=WHEN if moved else (), older_format=older_format
        )
        if moved:
            entry.moved_from, entry.moved_to = _when(before), _when(record)
            changes.moved.append(entry)
        elif entry.changes:
            changes.changed.append(entry)
    for uuid, record in old_by_uuid.items():
        if uuid not in new_by_uuid:
            changes.removed.append(Record(uuid, _label(record, label_key)))
    return changes


def diff(old, new) -> Changes:
    """
    The differences of document `new` from document `old` (None for a first publication).
    Both are mission documents as public_json.mission_document builds them.
    """
    if old is None:
        return Changes(
            first=True, counts={kind: len(new.get(kind, [])) for kind, _model, _key in KINDS}
        )
    changes = Changes(first=False)
    older_format = old.get("schema_version", 0) < new.get("schema_version", 0)
    changes.mission = _field_changes(
        Mission, old.get("mission", {}), new.get("mission", {}), older_format=older_format
    )
    for kind, model, label_key in KINDS:
        kind_changes = _kind_changes(
            kind, model, label_key, old.get(kind, []), new.get(kind, []), older_format
        )
        if kind_changes:
            changes.kinds.append(kind_changes)
    return changes
