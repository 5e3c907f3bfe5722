"""
What the exporters read about a mission's many visits, in a fixed number of queries whatever
their number, and cheaply per row.

`prefetch_related` lists the visits' ids in its queries: on SQLite, 15,000 of them fail
("Expression tree is too large"), and the related managers it fills cost more per visit than
the rest of an export row. These read each link table once, joined to the visits by a
subquery, into plain lists.
"""

from collections import defaultdict

from django.urls import reverse

from ..models import Visit

PLACEHOLDER = "exports-placeholder"


def related_by_visit(visits, field_name, *select_related):
    """
    {visit id: [related objects]} for one many-to-many field of `visits` (a queryset), each
    list in the related model's own ordering. `select_related` follows the related objects'
    foreign keys (e.g. "organisation" for people).

    Two queries: the links as pairs of ids, in order, then each related record once. A record
    linked to many visits is one object shared by their lists (records built per link were
    most of the feed's database time at 15,000 visits: 45,000 objects for 6,000 records).
    """
    field = Visit._meta.get_field(field_name)
    target = field.m2m_reverse_field_name()  # the link table's key to the related model
    ordering = [
        f"-{target}__{name[1:]}" if name.startswith("-") else f"{target}__{name}"
        for name in field.related_model._meta.ordering
    ]
    links = field.remote_field.through.objects.filter(visit__in=visits.order_by().values("pk"))
    records = field.related_model._default_manager.filter(
        pk__in=links.values(f"{target}_id")
    ).select_related(*select_related)
    by_pk = {record.pk: record for record in records}
    found = defaultdict(list)
    for visit_id, related_id in links.order_by(*ordering, "pk").values_list(
        "visit_id", f"{target}_id"
    ):
        found[visit_id].append(by_pk[related_id])
    return found


def url_maker(absolute_url, view_name, slug_argument="slug", **kwargs):
    """
    A function slug → absolute URL for one URL pattern: `reverse` and `absolute_url` once,
    then a replacement per row (together they cost about as much as the rest of an export
    row; a slug needs no quoting).
    """
    template = absolute_url(reverse(view_name, kwargs={**kwargs, slug_argument: PLACEHOLDER}))
    prefix, _, suffix = template.rpartition(PLACEHOLDER)
    return lambda slug: f"{prefix}{slug}{suffix}"


def uuids_by_visit(visits, field_name):
    """
    ({visit id: sorted UUID strings}, {related ids}) for one many-to-many field of `visits`:
    what a document that refers to records by UUID needs, without loading the records.
    """
    field = Visit._meta.get_field(field_name)
    target = field.m2m_reverse_field_name()
    links = field.remote_field.through.objects.filter(
        visit__in=visits.order_by().values("pk")
    ).values_list("visit_id", f"{target}_id", f"{target}__uuid")
    found = defaultdict(list)
    related_ids = set()
    for visit_id, related_id, uuid in links:
        found[visit_id].append(str(uuid))
        related_ids.add(related_id)
    for uuids in found.values():
        uuids.sort()
    return found, related_ids
