"""
Mission fixtures: Django JSON with natural keys, written in dependency order as it is read.

The output loads with stock `loaddata` into an empty database: every record is identified by
its UUID (no database ids), and a record comes after everything it points to — organisations
before their member organisations, agreements after the agreements they implement. Records
are ordered by that dependency depth and then by UUID, and many-to-many lists are sorted, so
the same data always gives the same bytes.

Memory: the set of records to export is worked out as database ids (a few integers per
record), then the records themselves are read and written a chunk at a time.
"""

import datetime
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from django.core.serializers.json import Serializer as JsonSerializer
from django.db.models import Prefetch
from django.utils import timezone

from ..models import (
    Agreement,
    AgreementKind,
    AgreementText,
    CooperationArea,
    Day,
    Mission,
    Organisation,
    Person,
    Place,
    Signatory,
    Source,
    Visit,
)
from ..models.agreement import LIFECYCLE_LINKS
from ..translation import is_language_copy

# Each model comes after the models it refers to.
EXPORT_ORDER = [
    Place,
    Organisation,
    Person,
    Source,
    CooperationArea,
    AgreementKind,
    Mission,
    Day,
    Visit,
    Agreement,
    Signatory,
    AgreementText,
]
CHUNK_SIZE = 500
INDENT = 2


def batched(iterable, size):
    """itertools.batched, which arrives in Python 3.12."""
    iterator = iter(iterable)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


class FixtureSerializer(JsonSerializer):
    """Django's JSON serializer with many-to-many lists in a stable (UUID) order."""

    def handle_field(self, obj, field):
        # Each language's column (title_en, title_fr, title_ja), not the field's own column.
        if not is_language_copy(field):
            super().handle_field(obj, field)

    def handle_m2m_field(self, obj, field):
        super().handle_m2m_field(obj, field)
        if field.name in self._current:
            self._current[field.name].sort()


def _in_chunks(model, ids: Iterable[int], *fields: str) -> Iterator[tuple]:
    """values_list over many ids without exceeding a database's parameter limit."""
    for chunk in batched(sorted(ids), CHUNK_SIZE):
        yield from model.objects.filter(pk__in=chunk).order_by().values_list(*fields)


def _through_targets(field, source_ids, source_column, target_column) -> set[int]:
    through = field.remote_field.through
    targets = set()
    for chunk in batched(sorted(source_ids), CHUNK_SIZE):
        targets.update(
            through.objects.filter(**{f"{source_column}__in": chunk}).values_list(
                target_column, flat=True
            )
        )
    return targets


def _m2m_targets(model, field_name, source_ids) -> set[int]:
    field = model._meta.get_field(field_name)
    return _through_targets(
        field, source_ids, field.m2m_field_name(), field.m2m_reverse_field_name()
    )


def _fk_targets(model, field_name, source_ids) -> set[int]:
    attname = model._meta.get_field(field_name).attname
    return {value for (value,) in _in_chunks(model, source_ids, attname) if value is not None}


def collect_mission_records(missions) -> dict[type, set[int]]:
    """
    The ids of every record the missions' fixture needs: their days, visits and agreements,
    and everything those point to, followed to the end (parent organisations, agreements
    implemented — even another mission's, which then brings that mission's own record).
    """
    records = {model: set() for model in EXPORT_ORDER}
    mission_ids = set(missions.values_list("pk", flat=True))
    records[Mission] |= mission_ids

    agreements = set(Agreement.objects.filter(mission__in=mission_ids).values_list("pk", flat=True))
    frontier = agreements
    while frontier:
        linked = set()
        for link in LIFECYCLE_LINKS:  # implements, renews, supersedes, amends
            linked |= _m2m_targets(Agreement, link, frontier)
        frontier = linked - agreements
        agreements |= frontier
    records[Agreement] = agreements
    records[AgreementKind] = _fk_targets(Agreement, "kind", agreements)
    records[Signatory] = set(
        Signatory.objects.filter(agreement__in=agreements).values_list("pk", flat=True)
    )
    records[AgreementText] = set(
        AgreementText.objects.filter(agreement__in=agreements).values_list("pk", flat=True)
    )

    visits = set(Visit.objects.filter(mission__in=mission_ids).values_list("pk", flat=True))
    visits |= _fk_targets(Agreement, "signed_at_visit", agreements)
    records[Visit] = visits

    days = set(Day.objects.filter(mission__in=mission_ids).values_list("pk", flat=True))
    days |= _fk_targets(Agreement, "signed_day", agreements)
    days |= _fk_targets(Visit, "day", visits)
    records[Day] = days

    for model, ids in ((Agreement, agreements), (Visit, visits), (Day, days)):
        records[Mission] |= _fk_targets(model, "mission", ids)
    missions_all = records[Mission]

    people = (
        _m2m_targets(Mission, "delegation", missions_all)
        | _m2m_targets(Visit, "people", visits)
        | _fk_targets(Signatory, "person", records[Signatory])
    )
    records[Person] = people

    organisations = (
        _fk_targets(Mission, "lead_organisation", missions_all)
        | _m2m_targets(Visit, "organisations", visits)
        | _m2m_targets(Agreement, "parties", agreements)
        | _fk_targets(Person, "organisation", people)
        | _fk_targets(Signatory, "on_behalf_of", records[Signatory])
    )
    frontier = organisations
    while frontier:
        frontier = _fk_targets(Organisation, "parent", frontier) - organisations
        organisations |= frontier
    records[Organisation] = organisations
    records[Place] = _fk_targets(Visit, "place", visits) | _fk_targets(
        Organisation, "headquarters", organisations
    )

    records[Source] = (
        _m2m_targets(Mission, "sources", missions_all)
        | _m2m_targets(Day, "sources", days)
        | _m2m_targets(Visit, "sources", visits)
        | _m2m_targets(Agreement, "sources", agreements)
    )
    records[CooperationArea] = _m2m_targets(Agreement, "areas", agreements)
    return records


def collect_all_records() -> dict[type, set[int]]:
    """Every diary record, referenced or not: what a backup must hold."""
    return {model: set(model.objects.values_list("pk", flat=True)) for model in EXPORT_ORDER}


def _depths(parents_of: dict[int, set[int]], key) -> dict[int, int]:
    """
    Dependency depth of each id: 0 with nothing to wait for, else one more than the deepest
    record it points to. A loop (possible among agreements) is cut where it closes; stock
    loaddata defers such many-to-many references, and our importer sets them last anyway.
    Nodes are walked in `key` (UUID) order, never database-id order, so where a loop is cut
    is the same on every instance.

    A depth-first walk with its own stack, not recursion: a chain thousands deep (which older
    data may hold) must not hit Python's recursion limit.
    """
    depth: dict[int, int] = {}
    in_progress: set[int] = set()

    def parents(node):
        return iter(sorted(parents_of.get(node, set()) & parents_of.keys(), key=key))

    for root in sorted(parents_of, key=key):
        if root in depth:
            continue
        # Each frame: a node, the parents still to look at, the deepest parent seen so far.
        stack = [(root, parents(root), -1)]
        in_progress.add(root)
        while stack:
            node, pending, deepest = stack[-1]
            for parent in pending:
                if parent in depth:
                    deepest = max(deepest, depth[parent])
                elif parent not in in_progress:
                    stack[-1] = (node, pending, deepest)
                    stack.append((parent, parents(parent), -1))
                    in_progress.add(parent)
                    break
            else:
                stack.pop()
                in_progress.discard(node)
                depth[node] = deepest + 1
                if stack:
                    above, above_pending, above_deepest = stack[-1]
                    stack[-1] = (above, above_pending, max(above_deepest, depth[node]))
    return depth


def _ordered_ids(model, ids: set[int]) -> list[int]:
    uuids = {pk: str(uuid) for pk, uuid in _in_chunks(model, ids, "pk", "uuid")}
    if model is Organisation:
        parents = {pk: set() for pk in ids}
        for pk, parent in _in_chunks(Organisation, ids, "pk", "parent"):
            if parent is not None:
                parents[pk].add(parent)
    elif model is Agreement:
        parents = {pk: set() for pk in ids}
        for link in LIFECYCLE_LINKS:  # an agreement comes after those it implements, renews, …
            field = Agreement._meta.get_field(link)
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            for chunk in batched(sorted(ids), CHUNK_SIZE):
                for pk, linked in through.objects.filter(**{f"{source}__in": chunk}).values_list(
                    source, target
                ):
                    parents[pk].add(linked)
    else:
        return sorted(ids, key=uuids.__getitem__)
    depth = _depths(parents, key=uuids.__getitem__)
    return sorted(ids, key=lambda pk: (depth[pk], uuids[pk]))


def _export_queryset(model):
    """Each chunk's foreign keys joined and many-to-many UUIDs prefetched: a few queries."""
    meta = model._meta
    foreign_keys = [f.name for f in meta.concrete_fields if f.is_relation]
    prefetches = [
        Prefetch(f.name, queryset=f.related_model.objects.order_by().only("uuid"))
        for f in meta.many_to_many
    ]
    return model.objects.order_by().select_related(*foreign_keys).prefetch_related(*prefetches)


def iter_records(records: dict[type, set[int]]) -> Iterator:
    for model in EXPORT_ORDER:
        queryset = _export_queryset(model)
        for chunk in batched(_ordered_ids(model, records[model]), CHUNK_SIZE):
            by_pk = {obj.pk: obj for obj in queryset.filter(pk__in=chunk)}
            for pk in chunk:
                yield by_pk[pk]


def write_fixture(records: dict[type, set[int]], stream) -> int:
    """Write the records to a text stream as a JSON fixture; return how many were written."""
    from .fixture_revisions import iter_revisions  # it reads fixture_checks, which reads this

    # The missions' published revisions last: they point to their mission only.
    counter = _Counter(chain(iter_records(records), iter_revisions(records[Mission])))
    FixtureSerializer().serialize(
        counter,
        stream=stream,
        indent=INDENT,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    return counter.count


class _Counter:
    def __init__(self, iterable):
        self._iterable = iterable
        self.count = 0

    def __iter__(self):
        for item in self._iterable:
            self.count += 1
            yield item


def fixture_filename(missions, today: datetime.date | None = None) -> str:
    """'<slug>-<YYYY-MM-DD>.json' for one mission, 'missions-<YYYY-MM-DD>.json' for several."""
    today = today or timezone.localdate()
    slugs = list(missions.values_list("slug", flat=True)[:2])
    stem = slugs[0] if len(slugs) == 1 else "missions"
    return f"{stem}-{today.isoformat()}.json"
