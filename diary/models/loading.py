"""
Fill the related lists a page shows in a fixed number of queries, whatever their size.

prefetch_related spends one query per relation. Public pages show organisations through
several relations at once (organisations visited, parties to agreements, parts of an
organisation) and people through two (met on a visit, members of an organisation), so these
helpers fetch each model in one UNION query and hand every owner its list exactly as
prefetch_related would: templates keep writing `visit.organisations.all`.
"""

from collections import defaultdict

from django.db.models import CharField, F, Value

from .directory import Organisation, Person


def set_prefetched(instance, relation, objects):
    """Make `instance.<relation>.all()` return `objects` without a query, as a prefetch does."""
    queryset = getattr(instance, relation).get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[relation] = queryset


def _fetch_linked(branches):
    """
    branches: (kind, queryset, expression naming the owner's id) — all of one model.
    One query for all of them; returns {(kind, owner id): [objects in name order]}.
    """
    parts = [
        queryset.annotate(link_kind=Value(kind, output_field=CharField()), link_id=owner).order_by()
        for kind, queryset, owner in branches
    ]
    links = defaultdict(list)
    if parts:
        first, *others = parts
        rows = first.union(*others, all=True) if others else first
        for row in sorted(rows, key=lambda row: row.name):
            links[row.link_kind, row.link_id].append(row)
    return links


def attach_organisations(*, visits=(), agreements=(), children=None, parent=None):
    """
    One query: each visit's organisations, each agreement's parties and, given `children`
    (a queryset of organisations that are part of `parent`), those. Returns the children.
    """
    branches = []
    if visits:
        ids = [visit.pk for visit in visits]
        branches.append(("visit", Organisation.objects.filter(visits__in=ids), F("visits__id")))
    if agreements:
        ids = [agreement.pk for agreement in agreements]
        branches.append(
            ("agreement", Organisation.objects.filter(agreements__in=ids), F("agreements__id"))
        )
    if children is not None:
        branches.append(("child", children, F("parent_id")))
    links = _fetch_linked(branches)
    for visit in visits:
        set_prefetched(visit, "organisations", links["visit", visit.pk])
    for agreement in agreements:
        set_prefetched(agreement, "parties", links["agreement", agreement.pk])
    return links["child", parent.pk] if children is not None else []


def attach_people(visits=(), *, members=None, organisation=None):
    """
    One query: the people met on each visit (with the organisation each belongs to) and,
    given `members` (a queryset of people of `organisation`), those. Returns the members.
    """
    with_organisation = Person.objects.select_related("organisation")
    branches = []
    if visits:
        ids = [visit.pk for visit in visits]
        branches.append(("visit", with_organisation.filter(visits__in=ids), F("visits__id")))
    if members is not None:
        branches.append(("member", members.select_related("organisation"), F("organisation_id")))
    links = _fetch_linked(branches)
    for visit in visits:
        set_prefetched(visit, "people", links["visit", visit.pk])
    return links["member", organisation.pk] if members is not None else []


def attach_details(visits=(), agreements=()):
    """What visit cards and agreement items show, in at most two queries."""
    visits, agreements = list(visits), list(agreements)
    attach_organisations(visits=visits, agreements=agreements)
    attach_people(visits)
