"""
A mission's published revisions in the staff fixtures (diary/models/revision.py), so that an
archivist's backup and restore keep the changelog: the updates page and each revision's JSON
come back as they were published.

A revision has no UUID of its own: its natural key is its mission's UUID and its number
(`{"model": "diary.revision", "fields": {"mission": ["<uuid>"], "number": 2, …}}`), written
after every other record, and stock `loaddata` reads it too. The importer reads these records
apart from the diary's (fixture_checks.parse_fixture(revisions=…)), checks them all before
anything is written, and writes them in the same transaction as the rest: a restore brings
each revision back to the backup's copy, and leaves revisions the file does not hold alone.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.dateparse import parse_datetime

from ..models import Mission, Revision
from ..models.revision import NOTE_MAX_LENGTH
from .fixture_checks import FixtureImportError
from .fixture_export import batched

LABEL = Revision._meta.label_lower
PERMISSION = "diary.change_mission"  # restoring a revision is publishing
CHUNK = 500
FIELDS = {"mission", "number", "published_at", "note", "significant", "document"}


def is_revision(item):
    return isinstance(item, dict) and str(item.get("model", "")).lower() == LABEL


def iter_revisions(mission_ids):
    """The revisions of these missions, by mission UUID and number: the same bytes each time."""
    missions = sorted(
        Mission.objects.filter(pk__in=mission_ids).values_list("pk", "uuid"),
        key=lambda row: str(row[1]),
    )
    iterator = iter(missions)
    while chunk := list(islice(iterator, CHUNK)):
        yield from (
            Revision.objects.filter(mission__in=[pk for pk, _uuid in chunk])
            .select_related("mission")
            .order_by("mission__uuid", "number")
        )


@dataclass
class RevisionRecord:
    index: int
    mission: UUID
    number: int
    published_at: datetime.datetime
    note: str
    significant: bool
    document: dict

    @property
    def label(self):
        return f"record {self.index} ({LABEL} {self.mission} #{self.number})"

    @property
    def key(self):
        """The revision's natural key: its mission's UUID and its number."""
        return (self.mission, self.number)


def parse(items):
    """(index, item) pairs of the file's revision records → RevisionRecords, or the errors."""
    errors, records, seen = [], [], {}
    for index, item in items:
        record = _parse(index, item, errors)
        if record is None:
            continue
        if record.key in seen:
            errors.append(
                f"{record.label}: the same revision already appears as record {seen[record.key]}."
            )
            continue
        seen[record.key] = index
        records.append(record)
    if errors:
        raise FixtureImportError(errors)
    return records


def _parse(index, item, errors):
    where = f"record {index} ({LABEL})"
    fields = item.get("fields")
    if set(item) - {"model", "fields"}:
        errors.append(f"{where}: only “model” and “fields” are expected (no database id).")
        return None
    if not isinstance(fields, dict):
        errors.append(f"{where}: “fields” must be an object.")
        return None
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}.")
        return None
    mission, number = fields.get("mission"), fields.get("number")
    if not (isinstance(mission, list) and len(mission) == 1 and isinstance(mission[0], str)):
        errors.append(f'{where}: field “mission”: must be the mission\'s natural key, ["<uuid>"].')
        return None
    try:
        mission = UUID(mission[0])
    except ValueError:
        errors.append(f"{where}: field “mission”: {mission[0][:60]!r} is not a UUID.")
        return None
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number < 10**9:
        errors.append(f"{where}: field “number”: must be a whole number from 1.")
        return None
    label = f"record {index} ({LABEL} {mission} #{number})"
    published_at = fields.get("published_at")
    moment = parse_datetime(published_at) if isinstance(published_at, str) else None
    if moment is None or moment.tzinfo is None:
        errors.append(f"{label}: field “published_at”: must be an ISO 8601 time with its zone.")
        return None
    note, significant, document = (
        fields.get("note", ""),
        fields.get("significant", True),
        fields.get("document"),
    )
    if not isinstance(note, str) or len(note) > NOTE_MAX_LENGTH:
        errors.append(
            f"{label}: field “note”: must be text of at most {NOTE_MAX_LENGTH} characters."
        )
        return None
    if not isinstance(significant, bool):
        errors.append(f"{label}: field “significant”: must be true or false.")
        return None
    if not isinstance(document, dict):
        errors.append(f"{label}: field “document”: must be the mission's public JSON (an object).")
        return None
    if significant and number != 1 and not note.strip():
        errors.append(f"{label}: field “note”: a significant update needs a public change note.")
        return None
    return RevisionRecord(index, mission, number, moment, note, significant, document)


def check(records, missions_in_file, user=None):
    """Each revision's mission must be in the file or the database; restoring needs PERMISSION."""
    if not records:
        return
    if user is not None and not user.has_perm(PERMISSION):
        # Like every other record: a revision the file holds unchanged needs no permission
        # beyond importing; one it would create or rewrite does.
        stored = _stored_revisions(records)
        changed = [
            record.label
            for record in records
            if _stored_values(stored.get(record.key)) != _values(record)
        ]
        if changed:
            raise FixtureImportError(
                [
                    f"{label}: restoring a published revision is publishing, which needs the "
                    "permission to change missions."
                    for label in changed
                ]
            )
    wanted = {record.mission for record in records} - set(missions_in_file)
    stored = set(Mission.objects.filter(uuid__in=wanted).values_list("uuid", flat=True))
    errors = [
        f"{record.label}: field “mission”: no mission {record.mission} in the file or the database."
        for record in records
        if record.mission in wanted and record.mission not in stored
    ]
    if errors:
        raise FixtureImportError(errors)


# What a revision record restores: the same attributes on a RevisionRecord and a Revision.
VALUES = ("published_at", "note", "significant", "document")


def _values(record):
    return {name: getattr(record, name) for name in VALUES}


def _stored_revisions(records):
    """The revisions the database holds of these records, by RevisionRecord.key: one read."""
    stored = {}
    for chunk in batched(records, CHUNK):
        numbers = defaultdict(list)
        for record in chunk:
            numbers[record.mission].append(record.number)
        wanted = Q()
        for mission, mission_numbers in numbers.items():
            wanted |= Q(mission__uuid=mission, number__in=mission_numbers)
        for revision in Revision.objects.filter(wanted).annotate(mission_uuid=F("mission__uuid")):
            stored[(revision.mission_uuid, revision.number)] = revision
    return stored


def _stored_values(revision):
    """What the database holds for a revision, as _values() gives a record's; None if none."""
    if revision is None:
        return None
    values = _values(revision)
    moment = values["published_at"]  # the file keeps milliseconds (DjangoJSONEncoder)
    values["published_at"] = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return values


def write(records, report):
    """Create or bring back each revision (inside the import's transaction); count them."""
    if not records:
        return
    missions = dict(
        Mission.objects.filter(uuid__in={record.mission for record in records}).values_list(
            "uuid", "pk"
        )
    )
    stored = _stored_revisions(records)
    for record in records:
        values = _values(record)
        revision = stored.get(record.key)
        if revision is None:
            revision = Revision(mission_id=missions[record.mission], number=record.number)
            outcome = report.created
        elif _stored_values(revision) == values:
            report.unchanged[LABEL] += 1
            continue
        else:
            outcome = report.updated
        for name, value in values.items():
            setattr(revision, name, value)
        try:
            revision.full_clean(exclude=["mission"], validate_unique=False)
        except ValidationError as error:
            raise FixtureImportError([f"{record.label}: {'; '.join(error.messages)}"]) from None
        revision.save()
        outcome[LABEL] += 1
