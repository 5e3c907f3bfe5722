"""
Reading a mission fixture back, more carefully than `loaddata`, and fast.

The whole file is checked before anything is written: its JSON, each record's model and
fields, each value's type, and every reference (it must point to a record in the file or
already in the database) — see `fixture_checks`. Then every record is cleaned in memory with
`full_clean()` (field rules, model rules such as "a day falls within its mission",
uniqueness), and only when all of them pass are the changes written, in bulk, in one short
transaction, where the database's own constraints judge them too; any problem keeps nothing.
A dry run does all of it and rolls back. Records are matched by UUID, so importing the same
file twice updates rather than duplicates; a field the file leaves out keeps its value on an
existing record and takes its default on a new one. Each error names the record (its index
in the file, model and UUID) and the field.

Why it is shaped like this (issue 9, item 14): a 15,000-record file took 12 minutes, several
queries per record, and held the content-version row lock all along, so editors' saves
waited and failed. Now:

- Lookups are batched: the records the file names, their organisations' parent chains and
  their many-to-many links are read a few queries per model, so each record's `clean()`
  finds what it walks already loaded; uniqueness is one query per model and rule, not one
  per record; references were checked the same way by `fixture_checks`, so `full_clean()`
  skips its per-record lookup of each foreign key.
- A new record is cleaned without an id (nothing stored points to it), then given a
  temporary negative one, so that the records pointing to it compare ids (a visit's day
  belongs to its mission) as they will once it is saved.
- Check constraints are left to the database, which checks every row it is given anyway:
  Django checks each one with a query per record, which cost more than all the rest. When
  the database refuses a batch, the records are then checked one by one to name the culprit.
- The writes are bulk inserts and updates, with their audit history written in bulk through
  django-simple-history's `bulk_history_create` (and the history's many-to-many rows beside
  it), the per-save content-version bumps suspended, and one bump after the commit. Nothing
  is locked while the file is read and checked; the transaction lasts the bulk writes only.
- Just before writing, the records read are read again under a row lock: if anyone changed
  them meanwhile, the import refuses rather than overwriting their edit.

Who may import what (item 2): with a `user`, an import may only create the kinds of record
the user may add and change the kinds the user may change (a changed many-to-many link is a
change of the record that holds it). Optimistic concurrency (item 15): `ImportReport.
state_digest` is a digest of the stored state of every record the file would create or
update, read before writing; pass it back as `expected_state` to refuse the import if any of
them changed since (the preview), naming them.
"""

import functools
import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, router, transaction
from django.db.models import CheckConstraint, Max, UniqueConstraint
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from simple_history.manager import HistoryManager
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from ..models import ContentVersion, Mission, Organisation
from ..models.directory import MAX_ORGANISATION_DEPTH
from ..signals import content_bumps_suspended
from ..translation import in_fixture_language, is_language_copy
from . import fixture_revisions
from .fixture_checks import FixtureImportError, parse_fixture, references
from .fixture_export import EXPORT_ORDER, batched

__all__ = ["FixtureImportError", "ImportReport", "import_fixture"]

CHUNK = 500  # ids per IN (...) query: well under SQLite's limit on query parameters
HISTORY_REASON = "Imported from a JSON fixture"
RECORDS_NAMED = 20


@dataclass
class ImportReport:
    """What an import did (or, dry, would do), per model label."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    # The stored state of every record the file would create or update, as read before
    # writing; opaque: give it back unchanged as import_fixture(expected_state=...).
    state_digest: str = ""
    # Per record, in the file's order: what the import does to it (RecordOutcome), so a
    # preview can say which record changes and how.
    records: list = field(default_factory=list)

    def sentence(self):
        """What happened, in one sentence of the reader's language: "3 visits created,
        1 day updated, 40 records unchanged." """
        parts = []
        for model in EXPORT_ORDER:
            label = model._meta.label_lower
            for counter, created in ((self.created, True), (self.updated, False)):
                count = counter[label]
                if not count:
                    continue
                name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
                if created:
                    # Translators: "3 visits created"; name is already singular or plural.
                    text = ngettext(
                        "%(count)s %(name)s created", "%(count)s %(name)s created", count
                    )
                else:
                    # Translators: "1 day updated"; name is already singular or plural.
                    text = ngettext(
                        "%(count)s %(name)s updated", "%(count)s %(name)s updated", count
                    )
                parts.append(text % {"count": count, "name": name})
        unchanged = sum(self.unchanged.values())
        if unchanged:
            parts.append(
                ngettext("%(count)s record unchanged", "%(count)s records unchanged", unchanged)
                % {"count": unchanged}
            )
        if not parts:
            parts.append(_("nothing to import"))
        # Translators: the end of a sentence listing what an import did.
        return _("%(parts)s.") % {"parts": pgettext("list separator", ", ").join(parts)}

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


def import_fixture(
    content: bytes | str, *, dry_run=False, user=None, expected_state=None
) -> ImportReport:
    """
    Validate and import a fixture; raise FixtureImportError and keep nothing on a problem.

    user: who imports; None (the management command: shell access is full trust) skips the
    permission check. expected_state: the state_digest of an earlier dry run of this file;
    the import is refused if the records it would write have changed since.
    """
    revision_items = []
    records = parse_fixture(content, revisions=revision_items)
    importer = _Importer(records)
    # Published revisions (the changelog) travel with their missions: fixture_revisions.py.
    importer.revisions = fixture_revisions.parse(revision_items)
    importer.load()
    importer.validate()
    if user is not None:
        importer.check_permissions(user)
    missions_in_file = {record.uuid for record in records if record.model is Mission}
    fixture_revisions.check(importer.revisions, missions_in_file, user)
    importer.digest_state()
    if expected_state is not None:
        importer.check_expected_state(expected_state)
    importer.write(user, dry_run=dry_run)
    return importer.report


class _Importer:
    def __init__(self, records):
        self.records = records
        self.report = ImportReport()
        self.using = router.db_for_write(EXPORT_ORDER[0])
        self.instances = {}  # (model, uuid) -> instance, loaded or new
        self.loaded = {}  # (model, pk) -> instance read from the database
        self.before = {}  # (model, pk) -> stored field values, as read
        self.links = {}  # (model, m2m name) -> {owner pk: {target pk: through row id}}
        self.created = set()  # (model, uuid) of new records
        self.changed_fields = {}  # (model, uuid) -> names of concrete fields that change
        self.link_changes = {}  # (model, uuid, m2m name) -> (targets to add, pks to remove)
        self.relinked = set()  # (model, uuid) of records whose links change
        self.revisions = []  # fixture_revisions.RevisionRecord, written after the rest

    # -- Reading -------------------------------------------------------------------------

    def load(self):
        """Read the records the file updates or refers to, and their links, keyed by UUID."""
        # History ids first: what is written after this point is "since the preview".
        self.watermarks = [
            model.history.aggregate(last=Max("history_id"))["last"] or 0 for model in EXPORT_ORDER
        ]
        wanted = defaultdict(set)
        for record in self.records:
            wanted[record.model].add(record.uuid)
            for _name, target, key in references(record):
                wanted[target].add(key)
        for model, keys in wanted.items():
            for chunk in batched(sorted(keys), CHUNK):
                self._remember(model.objects.filter(uuid__in=chunk))
        self._load_parent_chains()
        # Loaded records point to each other in memory, so clean() walks them query-free.
        for (model, _pk), instance in self.loaded.items():
            for model_field in model._meta.concrete_fields:
                if model_field.many_to_one:
                    target_key = (model_field.related_model, getattr(instance, model_field.attname))
                    if target_key in self.loaded:
                        setattr(instance, model_field.name, self.loaded[target_key])
        self.created = {
            (record.model, record.uuid)
            for record in self.records
            if (record.model, record.uuid) not in self.instances
        }
        self._load_links()

    def _remember(self, queryset):
        for instance in queryset:
            model = type(instance)
            # Just read: clean() may trust these as the stored values (see the model mixin).
            if hasattr(instance, "remember_stored_values"):
                instance.remember_stored_values()
            self.instances[(model, instance.uuid)] = instance
            self.loaded[(model, instance.pk)] = instance
            self.before[(model, instance.pk)] = _snapshot(instance)

    def _load_parent_chains(self):
        """Organisation.clean() walks up the chain of parents: read it whole, a level a query."""
        while True:
            missing = {
                instance.parent_id
                for (model, _pk), instance in self.loaded.items()
                if model is Organisation
                and instance.parent_id is not None
                and (Organisation, instance.parent_id) not in self.loaded
            }
            if not missing:
                return
            for chunk in batched(sorted(missing), CHUNK):
                self._remember(Organisation.objects.filter(pk__in=chunk))

    def _load_links(self):
        """The many-to-many links the file's existing records have now, one query per field
        (what the state digest covers, and what the audit history's rows repeat)."""
        owners = defaultdict(list)
        for record in self.records:
            key = (record.model, record.uuid)
            if key not in self.created:
                owners[record.model].append(self.instances[key].pk)
        for model, pks in owners.items():
            for m2m in model._meta.many_to_many:
                self.links[(model, m2m.name)] = self._read_links(model, m2m, pks)

    def _read_links(self, model, m2m, owner_pks):
        through = m2m.remote_field.through
        owner = through._meta.get_field(get_m2m_field_name(m2m)).attname
        target = through._meta.get_field(get_m2m_reverse_field_name(m2m)).attname
        links = {pk: {} for pk in owner_pks}
        for chunk in batched(sorted(owner_pks), CHUNK):
            rows = through.objects.filter(**{f"{owner}__in": chunk})
            for row_id, owner_pk, target_pk in rows.values_list("pk", owner, target):
                links[owner_pk][target_pk] = row_id
        return links

    # -- Checking ------------------------------------------------------------------------

    def validate(self):
        # New records get negative ids, which no stored row has, while they are checked.
        temporary_ids = itertools.count(-1, -1)
        by_model = defaultdict(list)
        for record in self._in_dependency_order():
            self._clean(record, temporary_ids)
            by_model[record.model].append(record)
        self._check_new_chains(by_model[Organisation])
        for model, records in by_model.items():
            self._check_unique(model, records)
        for record in self.records:
            self._diff_links(record)
        for record in self.records:
            key = (record.model, record.uuid)
            label = record.model._meta.label_lower
            if key in self.created:
                self.report.created[label] += 1
                outcome = "created"
            elif self.changed_fields.get(key) or self._links_change(key):
                self.report.updated[label] += 1
                outcome = "updated"
            else:
                self.report.unchanged[label] += 1
                outcome = "unchanged"
            self.report.records.append(self._outcome(record, outcome))

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

    def _clean(self, record, temporary_ids):
        model = record.model
        key = (model, record.uuid)
        # Fields the file leaves out: a new record takes their defaults, an existing record
        # keeps its values (a partial file never blanks what it does not mention).
        if key in self.created:
            instance = model(uuid=record.uuid)
            self.instances[key] = instance
        else:
            instance = self.instances[key]
        with in_fixture_language():  # a translated field's own name is its English text
            for name, value in record.values.items():
                setattr(instance, name, value)
        checked_references = set()
        for name, target_key in record.references.items():
            target_model = model._meta.get_field(name).related_model
            target = None if target_key is None else self.instances[(target_model, target_key)]
            setattr(instance, name, target)
            if target is not None:
                checked_references.add(name)
        try:
            # fixture_checks found every reference in the file or the database, so the
            # per-record lookup full_clean() would make for each foreign key is skipped;
            # uniqueness is checked for all records at once below.
            instance.full_clean(
                exclude=checked_references, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            raise FixtureImportError(_validation_messages(record, error, instance)) from None
        if key in self.created:
            # Cleaned as new (no id: nothing stored points to it yet); from now on the records
            # that point to it see an id, as they will once it is saved.
            instance.pk = next(temporary_ids)
        else:
            before = self.before[(model, instance.pk)]
            after = _snapshot(instance)
            self.changed_fields[key] = [name for name in after if after[name] != before[name]]

    def _check_new_chains(self, records):
        """
        Organisation.clean() follows a chain of parents through the database, which does not
        hold the file's new organisations yet: follow the file's chains in memory too (the
        loop check is _parents_first's), with the model's limit and message.
        """
        for record in records:
            above, ancestor = 0, self.instances[(Organisation, record.uuid)].parent
            while ancestor is not None:
                above += 1
                if above >= MAX_ORGANISATION_DEPTH:
                    error = ValidationError(
                        {
                            "parent": _(
                                "An organisation can be at most %(limit)s levels deep in a "
                                "“part of” chain."
                            )
                            % {"limit": MAX_ORGANISATION_DEPTH}
                        }
                    )
                    raise FixtureImportError(_validation_messages(record, error))
                ancestor = ancestor.parent

    def _check_unique(self, model, records):
        """Each unique field or constraint: no two records of the file, and no other stored
        record, share a value. One query per rule, not one per record."""
        for fields, constraint in _unique_rules(model):
            attnames = [model._meta.get_field(name).attname for name in fields]
            seen = {}
            for record in records:
                instance = self.instances[(model, record.uuid)]
                value = tuple(getattr(instance, attname) for attname in attnames)
                if None in value:  # as in Django: NULL never conflicts
                    continue
                if value in seen:
                    self._refuse_duplicate(record, instance, fields, constraint)
                seen[value] = record
            stored = defaultdict(set)
            first_values = sorted({value[0] for value in seen}, key=str)
            for chunk in batched(first_values, CHUNK):
                rows = model.objects.filter(**{f"{attnames[0]}__in": chunk})
                for *value, uuid in rows.values_list(*attnames, "uuid"):
                    stored[tuple(value)].add(uuid)
            for value, record in seen.items():
                if stored.get(value, set()) - {record.uuid}:
                    instance = self.instances[(model, record.uuid)]
                    self._refuse_duplicate(record, instance, fields, constraint)

    def _refuse_duplicate(self, record, instance, fields, constraint):
        # The message full_clean() would give (Model.validate_unique, UniqueConstraint).
        custom = constraint is not None and constraint.violation_error_message not in (
            None,
            constraint.default_violation_error_message,
        )
        if custom:
            error = ValidationError(constraint.get_violation_error_message())
        else:
            error = instance.unique_error_message(type(instance), tuple(fields))
        where = fields[0] if len(fields) == 1 else NON_FIELD_ERRORS
        raise FixtureImportError(
            _validation_messages(record, ValidationError({where: [error]}))
        ) from None

    def _diff_links(self, record):
        key = (record.model, record.uuid)
        instance = self.instances[key]
        for name, target_keys in record.many.items():
            target_model = record.model._meta.get_field(name).related_model
            targets = [self.instances[(target_model, target)] for target in target_keys]
            current = {} if key in self.created else self.links[(record.model, name)][instance.pk]
            wanted = {target.pk for target in targets}
            to_add = [target for target in targets if target.pk not in current]
            to_remove = [pk for pk in current if pk not in wanted]
            if to_add or to_remove:
                self.link_changes[(record.model, record.uuid, name)] = (to_add, to_remove)
                self.relinked.add(key)

    def _outcome(self, record, outcome):
        key = (record.model, record.uuid)
        instance = self.instances[key]
        changes = []
        if outcome == "updated":
            before = self.before[(record.model, instance.pk)]
            for attname in self.changed_fields.get(key) or ():
                model_field = _field_by_attname(record.model, attname)
                changes.append(
                    (
                        str(model_field.verbose_name),
                        self._shown(model_field, before[attname]),
                        self._shown(model_field, getattr(instance, attname)),
                    )
                )
            for model, uuid, name in self.link_changes:
                if (model, uuid) == key:
                    to_add, to_remove = self.link_changes[(model, uuid, name)]
                    related = record.model._meta.get_field(name).related_model
                    added = ", ".join(sorted(str(target) for target in to_add))
                    removed = ", ".join(sorted(self._shown_pk(related, pk) for pk in to_remove))
                    changes.append(
                        (
                            str(record.model._meta.get_field(name).verbose_name),
                            f"− {removed}" if removed else "",
                            f"+ {added}" if added else "",
                        )
                    )
        return RecordOutcome(
            index=record.index,
            line=record.line,
            kind=str(record.model._meta.verbose_name),
            name=str(instance),
            outcome=outcome,
            changes=changes,
        )

    def _shown(self, model_field, value):
        if value in (None, ""):
            return "(empty)"
        if model_field.is_relation:
            return self._shown_pk(model_field.related_model, value)
        text = str(value)
        return text if len(text) <= 80 else text[:79] + "…"

    def _shown_pk(self, model, pk):
        target = self.loaded.get((model, pk))
        return str(target) if target is not None else f"#{pk}"

    def _links_change(self, key):
        return key in self.relinked

    def check_permissions(self, user):
        """Create only what the user may add, change only what the user may change."""
        changing = {key for key, names in self.changed_fields.items() if names} | {
            (model, uuid) for model, uuid, _name in self.link_changes
        }
        refused = []
        for model in EXPORT_ORDER:
            meta = model._meta
            plural = str(meta.verbose_name_plural)
            creates = any(key[0] is model for key in self.created)
            changes = any(key[0] is model and key not in self.created for key in changing)
            if creates and not user.has_perm(f"{meta.app_label}.add_{meta.model_name}"):
                refused.append(f"create {plural}")
            if changes and not user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
                refused.append(f"change {plural}")
        if refused:
            raise FixtureImportError(
                [
                    f"You may not {get_text_list(refused, 'or')}, which this file would do; "
                    "nothing was imported. Ask an administrator, or import a file that "
                    "leaves those records as they are."
                ]
            )

    # -- Optimistic concurrency ----------------------------------------------------------

    def _writes(self):
        """(model, uuid) of the records the file creates or updates, sorted."""
        keys = set(self.created)
        keys.update(key for key, names in self.changed_fields.items() if names)
        keys.update((model, uuid) for model, uuid, _name in self.link_changes)
        return sorted(keys, key=lambda key: (key[0]._meta.label_lower, str(key[1])))

    def _stored_state(self, key):
        """A record's state as read from the database: its fields and its links."""
        model = key[0]
        if key in self.created:
            return "absent"
        pk = self.instances[key].pk
        links = {
            m2m.name: sorted(self.links[(model, m2m.name)][pk])
            for m2m in model._meta.many_to_many
            if (model, m2m.name) in self.links
        }
        return repr((sorted(self.before[(model, pk)].items()), sorted(links.items())))

    def digest_state(self):
        digest = hashlib.sha256()
        for key in self._writes():
            digest.update(f"{key[0]._meta.label_lower} {key[1]} ".encode())
            digest.update(self._stored_state(key).encode())
            digest.update(b"\n")
        # The history ids read first let a refusal name the records changed since.
        marks = ".".join(map(str, self.watermarks))
        self.report.state_digest = f"{digest.hexdigest()}:{marks}"

    def check_expected_state(self, expected_state):
        expected, _, marks = str(expected_state).partition(":")
        current = self.report.state_digest.partition(":")[0]
        if expected == current:
            return
        changed = self._changed_since(marks)
        if changed:
            shown = ", ".join(changed[:RECORDS_NAMED])
            more = (
                f" and {len(changed) - RECORDS_NAMED} more" if len(changed) > RECORDS_NAMED else ""
            )
            detail = f"these records changed since the preview: {shown}{more}"
        else:
            detail = "the records it would change were changed since the preview"
        raise FixtureImportError(
            [f"Nothing was imported: {detail}. Preview the file again to see what it would do now."]
        )

    def _changed_since(self, marks):
        """Records of the file with audit history written after the preview read its state."""
        try:
            watermarks = [int(mark) for mark in marks.split(".")]
        except ValueError:
            return []
        if len(watermarks) != len(EXPORT_ORDER):
            return []
        labels = {(record.model, record.uuid): record.label for record in self.records}
        changed = []
        for model, watermark in zip(EXPORT_ORDER, watermarks, strict=True):
            uuids = sorted({uuid for m, uuid in labels if m is model})
            found = set()
            for chunk in batched(uuids, CHUNK):
                later = model.history.filter(history_id__gt=watermark, uuid__in=chunk)
                found.update(later.values_list("uuid", flat=True))
            changed.extend(labels[(model, uuid)] for uuid in sorted(found, key=str))
        return changed

    # -- Writing -------------------------------------------------------------------------

    def write(self, user, dry_run=False):
        """
        Write everything in one transaction; a dry run writes too, then rolls back, so that
        the database's own rules (check constraints, foreign keys) judge the preview exactly
        as they will judge the import. Its lock lasts the few seconds of the bulk writes.
        """
        if not self._writes() and not self.revisions:
            return
        try:
            with transaction.atomic(using=self.using), content_bumps_suspended():
                if not dry_run:
                    self._check_unchanged_meanwhile()
                moment = timezone.now()
                histories = []
                for model in EXPORT_ORDER:
                    # A translated field's own name is its English text (diary/translation.py).
                    with in_fixture_language():
                        histories.extend(self._write_model(model, user, moment, dry_run))
                try:
                    added = self._write_links()
                except DatabaseError as error:
                    raise _Refused(None, error) from None
                fixture_revisions.write(self.revisions, self.report)
                if not dry_run:
                    self._write_link_history(histories, added)
                if dry_run:
                    transaction.set_rollback(True, using=self.using)
                else:
                    # One bump for the whole import, once its rows are visible to every
                    # reader (inside the transaction it would hold the version's row lock,
                    # which every editor's save needs, until the commit). If it fails,
                    # Django logs it; the import itself is in.
                    transaction.on_commit(
                        lambda: ContentVersion.bump(using=self.using),
                        using=self.using,
                        robust=True,
                    )
        except _Refused as refused:
            raise self._diagnose(refused.model, refused.error) from None

    def _diagnose(self, model, error):
        """
        The database refused a bulk write: find the record, as full_clean()'s constraint
        checks would. Checked here, after the fact, rather than for every record beforehand:
        Django checks each constraint with a query per record, which cost more than the
        rest of the import together.
        """
        for record in self.records:
            if model is None or record.model is model:
                try:
                    _check_constraints(
                        record.model, self.instances[(record.model, record.uuid)], self.using
                    )
                except ValidationError as problem:
                    return FixtureImportError(_validation_messages(record, problem))
        what = model._meta.verbose_name_plural if model else "links between records"
        return FixtureImportError([f"The database refused the {what}: {error}"])

    def _check_unchanged_meanwhile(self):
        """Lock what was read and compare: nobody's edit since the checks is overwritten."""
        changed = []
        by_model = defaultdict(list)
        for model, pk in self.loaded:
            by_model[model].append(pk)
        for model, pks in by_model.items():
            seen = set()
            for chunk in batched(sorted(pks), CHUNK):
                # Ignored on SQLite, whose transaction already holds the only write lock.
                # No ordering: a model's default one may join a nullable relation (a
                # visit's day), which PostgreSQL cannot lock.
                rows = (
                    model.objects.filter(pk__in=chunk)
                    .order_by()
                    .select_for_update(no_key=True, of=("self",))
                )
                for row in rows:
                    seen.add(row.pk)
                    if _snapshot(row) != self.before[(model, row.pk)]:
                        changed.append(self.loaded[(model, row.pk)])
            changed.extend(self.loaded[(model, pk)] for pk in set(pks) - seen)
            for (owner_model, name), links in self.links.items():
                if owner_model is model:
                    m2m = model._meta.get_field(name)
                    now = self._read_links(model, m2m, list(links))
                    changed.extend(self.loaded[(model, pk)] for pk in links if links[pk] != now[pk])
        new_keys = defaultdict(list)
        for model, uuid in self.created:
            new_keys[model].append(uuid)
        for model, uuids in new_keys.items():
            for chunk in batched(sorted(uuids, key=str), CHUNK):
                changed.extend(model.objects.filter(uuid__in=chunk))
        if changed:
            names = sorted({f"{type(r)._meta.label_lower} {r.uuid}" for r in changed})
            raise FixtureImportError(
                [
                    "Nothing was imported: while the file was being checked, someone changed "
                    f"{', '.join(names[:RECORDS_NAMED])}"
                    f"{' and more' if len(names) > RECORDS_NAMED else ''}. Import it again."
                ]
            )

    def _write_model(self, model, user, moment, dry_run):
        records = [record for record in self.records if record.model is model]
        created, updated, fields = [], [], set()
        for record in records:
            key = (model, record.uuid)
            instance = self.instances[key]
            # Point again at the records referred to: those created earlier now have ids.
            for name in record.references:
                setattr(instance, name, getattr(instance, name))
            if key in self.created:
                instance.pk = None
                created.append(instance)
            elif self.changed_fields[key] or self._links_change(key):
                fields.update(self.changed_fields[key])
                updated.append(instance)
        try:
            if model is Organisation:
                self._create_parents_first(created)
            else:
                model.objects.bulk_create(created, batch_size=CHUNK)
            # A translated field's own column is left out: its language columns carry the
            # change, and modeltranslation would read the name as the active language's.
            fields = sorted(
                field.name
                for field in map(model._meta.get_field, fields)
                if field.attname != model._meta.pk.attname and not is_language_copy(field)
            )
            if fields:
                model.objects.bulk_update(
                    [i for i in updated if self.changed_fields[(model, i.uuid)]],
                    fields,
                    batch_size=CHUNK,
                )
        except (DatabaseError, OverflowError) as error:
            raise _Refused(model, error) from None
        if dry_run:  # audit history has no rules of its own to try: half the writes saved
            return []
        history = model.history
        rows = []
        for objects, update in ((created, False), (updated, True)):
            if objects:
                rows.extend(
                    history.bulk_history_create(
                        objects,
                        batch_size=CHUNK,
                        update=update,
                        default_user=user,
                        default_change_reason=HISTORY_REASON,
                        default_date=moment,
                    )
                )
        return [(model, row) for row in rows]

    def _create_parents_first(self, created):
        pending = created
        while pending:
            ready = [o for o in pending if o.parent is None or o.parent.pk is not None]
            for organisation in ready:
                organisation.parent = organisation.parent  # the parent's id, now known
            if not ready:  # cannot happen: validation refused loops
                raise FixtureImportError(["The organisations' parents loop back to themselves."])
            Organisation.objects.bulk_create(ready, batch_size=CHUNK)
            pending = [o for o in pending if o.pk is None]

    def _write_links(self):
        """Insert and delete the many-to-many rows; return {(model, name, owner pk): {target
        pk: through row id}} of the rows inserted."""
        added = {}
        by_field = defaultdict(list)
        for (model, uuid, name), change in self.link_changes.items():
            by_field[(model, name)].append((self.instances[(model, uuid)], change))
        for (model, name), changes in by_field.items():
            m2m = model._meta.get_field(name)
            through = m2m.remote_field.through
            owner = through._meta.get_field(get_m2m_field_name(m2m)).attname
            target = through._meta.get_field(get_m2m_reverse_field_name(m2m)).attname
            removals = [
                (instance.pk, pk) for instance, (_add, to_remove) in changes for pk in to_remove
            ]
            by_owner = defaultdict(list)
            for owner_pk, target_pk in removals:
                by_owner[owner_pk].append(target_pk)
            for owner_pk, target_pks in by_owner.items():
                through.objects.filter(**{owner: owner_pk, f"{target}__in": target_pks}).delete()
            rows = through.objects.bulk_create(
                [
                    through(**{owner: instance.pk, target: target_instance.pk})
                    for instance, (to_add, _remove) in changes
                    for target_instance in to_add
                ],
                batch_size=CHUNK,
            )
            for row in rows:
                added.setdefault((model, name, getattr(row, owner)), {})[getattr(row, target)] = (
                    row.pk
                )
        return added

    def _write_link_history(self, histories, added):
        """simple_history keeps each history row's many-to-many links beside it (what its
        m2m_changed handler would write); bulk_history_create leaves them out, so do it."""
        rows = defaultdict(list)
        for model, history_row in histories:
            instance = self.instances[(model, history_row.uuid)]
            key = (model, instance.uuid)
            for m2m, tracked in _tracked_links(model):
                if key in self.created:
                    current = {}
                else:
                    current = dict(self.links.get((model, m2m.name), {}).get(instance.pk, {}))
                    change = self.link_changes.get((model, instance.uuid, m2m.name))
                    if change:
                        for pk in change[1]:
                            current.pop(pk, None)
                current.update(added.get((model, m2m.name, instance.pk), {}))
                through = m2m.remote_field.through
                owner = through._meta.get_field(get_m2m_field_name(m2m)).attname
                target = through._meta.get_field(get_m2m_reverse_field_name(m2m)).attname
                rows[tracked.model].extend(
                    tracked.model(
                        history=history_row,
                        id=row_id,
                        **{owner: instance.pk, target: target_pk},
                    )
                    for target_pk, row_id in current.items()
                )
        for history_model, objects in rows.items():
            history_model.objects.bulk_create(objects, batch_size=CHUNK)


@functools.cache
def _tracked_links(model):
    """(many-to-many field, its history model's manager) for each field whose links the
    model's audit history keeps (HistoricalRecords(m2m_fields=...))."""
    tracked = []
    for m2m in model._meta.many_to_many:
        manager = getattr(model.history.model, m2m.name, None)
        if isinstance(manager, HistoryManager):
            tracked.append((m2m, manager))
    return tracked


class _Refused(Exception):
    """A bulk write the database refused (raised out of the transaction, to diagnose)."""

    def __init__(self, model, error):
        super().__init__(str(error))
        self.model, self.error = model, error


def _unique_rules(model):
    """(field names, constraint or None) of every uniqueness rule checkable by lookup."""
    meta = model._meta
    rules = [
        ((f.name,), None)
        for f in meta.concrete_fields
        if f.unique and not f.primary_key and f.name != "uuid"  # uuids: fixture_checks
    ]
    rules += [(tuple(fields), None) for fields in meta.unique_together]
    rules += [
        (tuple(constraint.fields), constraint)
        for constraint in meta.constraints
        if isinstance(constraint, UniqueConstraint) and _is_plain(constraint)
    ]
    return rules


def _is_plain(constraint):
    return bool(constraint.fields) and not (
        constraint.condition or constraint.expressions or constraint.include
    )


def _check_constraints(model, instance, using):
    """Model.validate_constraints(), less the plain unique constraints checked in bulk."""
    errors = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and _is_plain(constraint):
            continue
        if not isinstance(constraint, CheckConstraint | UniqueConstraint):
            continue
        try:
            constraint.validate(model, instance, using=using)
        except ValidationError as error:
            if (
                isinstance(constraint, UniqueConstraint)
                and getattr(error, "code", None) == "unique"
                and len(constraint.fields) == 1
            ):
                errors.setdefault(constraint.fields[0], []).append(error)
            else:
                errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@dataclass
class RecordOutcome:
    """One record of a fixture: what the import does to it. changes: (field, old, new)."""

    index: int
    line: int | None
    kind: str
    name: str
    outcome: str  # "created", "updated" or "unchanged"
    changes: list


def _field_by_attname(model, attname):
    for model_field in model._meta.concrete_fields:
        if model_field.attname == attname:
            return model_field
    return model._meta.get_field(attname)


def _snapshot(instance):
    with in_fixture_language():
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _validation_messages(record, error, instance=None):
    """One line per field: 'line 12 (visit …): field “title”: This field cannot be blank.',
    or a plain sentence for the rules a file breaks most (see _plain_sentence)."""
    messages = []
    for name, problems in error.error_dict.items() if hasattr(error, "error_dict") else []:
        texts = []
        for problem in problems:
            plain = _plain_sentence(problem.code, instance)
            if plain:
                messages.append(f"{record.label}: {plain}")
            else:
                texts.extend(problem.messages)
        if texts:
            where = "" if name == NON_FIELD_ERRORS else f" field “{name}”:"
            messages.append(f"{record.label}:{where} {' '.join(texts)}")
    if not hasattr(error, "error_dict"):
        messages.append(f"{record.label}: {' '.join(error.messages)}")
    return messages


def _plain_sentence(code, instance):
    """
    What the record says, in words, for a record pointing into another mission: "the
    visit's day 2024-06-15 is not a day of this mission (…)" names the day by its date,
    where a file names it by UUID only.
    """
    if instance is None:
        return None
    mission = getattr(instance, "mission", None)
    if code == "day_of_another_mission" and getattr(instance, "day", None) is not None:
        return (
            f"the visit's day {instance.day.date.isoformat()} is not a day of this mission "
            f"(“{mission}”)."
        )
    if code == "signed_day_of_another_mission" and instance.signed_day is not None:
        return (
            f"the agreement's day of signature {instance.signed_day.date.isoformat()} is not "
            f"a day of this mission (“{mission}”)."
        )
    if code == "visit_of_another_mission" and instance.signed_at_visit is not None:
        return (
            f"the visit of signature “{instance.signed_at_visit}” is not a visit of this "
            f"mission (“{mission}”)."
        )
    return None
