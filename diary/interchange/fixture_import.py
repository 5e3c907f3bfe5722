"""
Reading a mission fixture back, more carefully than `loaddata`.

The whole file is checked before anything is kept: its JSON, each record's model and fields,
each value's type, and every reference (it must point to a record in the file or already in
the database). Then, in one transaction, every record is cleaned with `full_clean()` (field
rules, model rules such as "a day falls within its mission", uniqueness) and saved; the first
problem rolls the whole transaction back. Records are matched by UUID, so importing the same
file twice updates rather than duplicates; a field the file leaves out keeps its value on an
existing record and takes its default on a new one. Each error names the record (its index
in the file, model and UUID) and the field. The file checks are in `fixture_checks`.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction

from ..models import Organisation
from .fixture_checks import FixtureImportError, parse_fixture, references
from .fixture_export import EXPORT_ORDER, batched

__all__ = ["FixtureImportError", "ImportReport", "import_fixture"]


@dataclass
class ImportReport:
    """What an import did (or, dry, would do), per model label."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def rows(self):
        """(model label, verbose plural name, created, updated, unchanged), dependency order."""
        for model in EXPORT_ORDER:
            label = model._meta.label_lower
            counts = (self.created[label], self.updated[label], self.unchanged[label])
            if any(counts):
                yield (label, model._meta.verbose_name_plural, *counts)

    def lines(self):
        return [
            f"{label}: {created} created, {updated} updated, {unchanged} unchanged"
            for label, _name, created, updated, unchanged in self.rows()
        ]


def import_fixture(content: bytes | str, *, dry_run=False) -> ImportReport:
    """Validate and import a fixture; raise FixtureImportError and keep nothing on a problem."""
    records = parse_fixture(content)
    with transaction.atomic():
        report = _Importer(records).run()
        if dry_run:
            transaction.set_rollback(True)
    return report


class _Importer:
    def __init__(self, records):
        self.records = records
        self.report = ImportReport()
        self.instances = {}  # (model, uuid) -> saved instance
        self.changed = set()  # (model, uuid) of records created or changed

    def run(self) -> ImportReport:
        self._load_existing()
        for record in self._in_dependency_order():
            self._save(record)
        for record in self.records:
            self._set_many(record)
        for record in self.records:
            key = (record.model, record.uuid)
            label = record.model._meta.label_lower
            if key in self.created:
                self.report.created[label] += 1
            elif key in self.changed:
                self.report.updated[label] += 1
            else:
                self.report.unchanged[label] += 1
        return self.report

    def _load_existing(self):
        """Fetch records the file updates or refers to, keyed by UUID."""
        wanted = defaultdict(set)
        for record in self.records:
            wanted[record.model].add(record.uuid)
            for _name, target, key in references(record):
                wanted[target].add(key)
        self.existing = {}
        for model, keys in wanted.items():
            for chunk in batched(sorted(keys), 500):
                for instance in model.objects.filter(uuid__in=chunk):
                    self.existing[(model, instance.uuid)] = instance
        self.created = {
            (record.model, record.uuid)
            for record in self.records
            if (record.model, record.uuid) not in self.existing
        }
        self.instances.update(self.existing)

    def _in_dependency_order(self):
        """Models in export order; organisations after the organisation they belong to."""
        by_model = defaultdict(list)
        for record in self.records:
            by_model[record.model].append(record)
        for model in EXPORT_ORDER:
            if model is Organisation:
                yield from self._parents_first(by_model[model])
            else:
                yield from by_model[model]

    def _parents_first(self, records):
        by_uuid = {record.uuid: record for record in records}
        done, in_progress = set(), set()
        ordered = []
        for record in records:
            chain = []
            current = record
            while current is not None and current.uuid not in done:
                if current.uuid in in_progress:
                    raise FixtureImportError(
                        [
                            f"{current.label}: field “parent”: the chain of parents loops back to itself."
                        ]
                    )
                in_progress.add(current.uuid)
                chain.append(current)
                current = by_uuid.get(current.references.get("parent"))
            for item in reversed(chain):
                done.add(item.uuid)
                ordered.append(item)
            in_progress.clear()
        return ordered

    def _save(self, record):
        model = record.model
        key = (model, record.uuid)
        # Fields the file leaves out: a new record takes their defaults, an existing record
        # keeps its values (a partial file never blanks what it does not mention).
        instance = self.instances.get(key) or model(uuid=record.uuid)
        before = _snapshot(instance) if key not in self.created else None
        for name, value in record.values.items():
            setattr(instance, name, value)
        for name, target_key in record.references.items():
            target_model = model._meta.get_field(name).related_model
            target = None if target_key is None else self.instances[(target_model, target_key)]
            setattr(instance, name, target)
        try:
            instance.full_clean()
        except ValidationError as error:
            raise FixtureImportError(_validation_messages(record, error)) from None
        if before is not None and before == _snapshot(instance):
            self.instances[key] = instance
            return
        try:
            instance.save()
        except (DatabaseError, OverflowError) as error:
            raise FixtureImportError(
                [f"{record.label}: the database refused it: {error}"]
            ) from None
        self.instances[key] = instance
        self.changed.add(key)

    def _set_many(self, record):
        key = (record.model, record.uuid)
        instance = self.instances[key]
        for name, target_keys in record.many.items():
            target_model = record.model._meta.get_field(name).related_model
            wanted = {self.instances[(target_model, target)].pk for target in target_keys}
            manager = getattr(instance, name)
            if set(manager.values_list("pk", flat=True)) != wanted:
                manager.set(wanted)
                self.changed.add(key)


def _snapshot(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _validation_messages(record, error):
    messages = []
    for name, problems in error.message_dict.items():
        where = "" if name == NON_FIELD_ERRORS else f" field “{name}”:"
        messages.append(f"{record.label}:{where} {' '.join(problems)}")
    return messages
