"""
Read-side builders: what each public page shows, in a number of queries that does not grow
with the data (tests/test_performance.py checks the same count for one item and for many).

Public Django API only: select_related for what a row points to, prefetch_related /
Prefetch(queryset=…) / prefetch_related_objects() for the lists it has. Every queryset starts
from `<Model>.objects.visible_to(user)`, the one visibility rule. A row that breaks the
same-mission rules (older data: the database refuses new such rows) is left out, never
allowed to fail a page: visibility follows the record itself and what it is shown through.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from . import maps
from .changelog import diff
from .models import Agreement, Day, Mission, Organisation, Person, Source, Visit
from .models.revision import publication_dates


def _card_details(user):
    """What a visit card shows: its organisations and the people met, with theirs."""
    return [
        Prefetch("organisations", queryset=Organisation.objects.visible_to(user)),
        Prefetch(
            "people",
            queryset=Person.objects.visible_to(user).select_related("organisation"),
        ),
    ]


def _parties(user):
    return Prefetch("parties", queryset=Organisation.objects.visible_to(user))


def with_card_details(visits, agreements, user):
    """Fill the lists visit cards and agreement items show: three queries for any number."""
    prefetch_related_objects(list(visits), *_card_details(user))
    prefetch_related_objects(list(agreements), _parties(user))


def count_of(queryset):
    """A subquery counting `queryset` (filtered on OuterRef), to annotate its owner with."""
    rows = queryset.order_by().values(n=Func(F("pk"), function="COUNT"))
    return Subquery(rows, output_field=IntegerField())


def in_page_order(queryset):
    # The models' orderings can tie (two visits of the same title): the id settles it, so
    # no item is shown on two pages and none on neither.
    return queryset.order_by(*queryset.model._meta.ordering, "pk")


@dataclass
class Itinerary:
    mission: Mission
    days: list
    undated_visits: list
    agreements: list
    collapsed: bool


def itinerary(user, slug):
    """
    A mission's whole itinerary: eight queries whatever its size (mission, sources, days,
    visits, their organisations and people, agreements, their parties). Each day's visits
    are `day.visit_list`; past FULL_ITINERARY_MAX_VISITS only each day's `visit_count`.
    """
    visit_total = count_of(Visit.objects.filter(mission=OuterRef("pk")))
    mission = get_object_or_404(
        Mission.objects.visible_to(user)
        .select_related("lead_organisation")
        .annotate(visit_total=visit_total, **publication_dates())
        .prefetch_related(
            # A source's full text is not shown here.
            Prefetch("sources", queryset=Source.objects.defer("text")),
        ),
        slug=slug,
    )
    # Past settings.FULL_ITINERARY_MAX_VISITS, each day links to its page with its count of
    # visits: nobody reads 10,000 cards on one page.
    collapsed = (mission.visit_total or 0) > settings.FULL_ITINERARY_MAX_VISITS
    days = Day.objects.filter(mission=mission)
    if collapsed:
        # Count only the day's visits of this mission: an inconsistent row is left out.
        days = days.annotate(visit_count=Count("visits", filter=Q(visits__mission=mission)))
    days = list(days)
    for day in days:
        day.mission = mission
    agreements = list(
        Agreement.objects.filter(mission=mission)
        .select_related("kind")
        .prefetch_related(_parties(user))
    )
    days_by_id = {day.pk: day for day in days}
    for agreement in agreements:
        agreement.mission = mission
        agreement.signed_day = days_by_id.get(agreement.signed_day_id)
    if collapsed:
        undated = list(Visit.objects.filter(mission=mission, day__isnull=True))
    else:
        undated = _place_visits(mission, days_by_id, user)
    for visit in undated:
        visit.mission = mission
    return Itinerary(mission, days, undated, agreements, collapsed)


def _place_visits(mission, days_by_id, user):
    """Every visit of the mission in one query, each on its day; returns the undated ones."""
    visits = (
        Visit.objects.filter(mission=mission)
        .select_related("place")
        .prefetch_related(*_card_details(user))
    )
    for day in days_by_id.values():
        day.visit_list = []
    undated = []
    for visit in visits:
        visit.mission = mission
        if visit.day_id is None:
            undated.append(visit)
        elif visit.day_id in days_by_id:  # else its day is another mission's: left out
            visit.day = days_by_id[visit.day_id]
            visit.day.visit_list.append(visit)
    for day in days_by_id.values():
        day.visit_count = len(day.visit_list)
    return undated


def mission_map(mission):
    """
    The route map of a mission's places (diary/maps.py), or None: one query, whatever the
    mission's size — the map shows every place even when the itinerary is collapsed.
    """
    visits = list(
        Visit.objects.filter(mission=mission, place__isnull=False)
        .exclude(place__latitude__isnull=True)
        .select_related("place", "day")
        .only(
            "uuid",
            "slug",
            "title",
            "mission_id",
            "day__date",
            "day__mission_id",
            "starts_at",
            "place__uuid",
            "place__name",
            "place__city",
            "place__country",
            "place__latitude",
            "place__longitude",
        )
    )
    for visit in visits:
        visit.mission = mission
        if visit.day is not None and visit.day.mission_id != mission.pk:
            visit.day = None  # another mission's day: not on this route
    return maps.route_map(visits)


def day_page(user, mission_slug, date):
    """A day with its visits and agreements (only its own mission's), and its neighbours."""
    day = get_object_or_404(
        Day.objects.visible_to(user)
        .select_related("mission")
        .with_neighbour_dates()
        .annotate(**publication_dates("mission")),
        mission__slug=mission_slug,
        date=date,
    )
    visits = list(day.visits.filter(mission=day.mission).select_related("place"))
    agreements = list(day.agreements.filter(mission=day.mission).select_related("kind"))
    for record in [*visits, *agreements]:
        record.mission = day.mission
    for visit in visits:
        visit.day = day
    with_card_details(visits, agreements, user)
    return day, visits, agreements


def visit_page(user, mission_slug, slug):
    """A visit, its sources, and the agreements signed during it (its own mission's)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(user)
        .select_related("mission", "day", "place")
        .annotate(**publication_dates("mission"))
        .prefetch_related("sources", *_card_details(user)),
        mission__slug=mission_slug,
        slug=slug,
    )
    if visit.day and visit.day.mission_id != visit.mission_id:
        visit.day = None  # another mission's day: not shown
    if visit.day:
        visit.day.mission = visit.mission  # "Day 2" is counted from the mission's start
    agreements = list(
        visit.agreements.filter(mission=visit.mission)
        .select_related("kind")
        .prefetch_related(_parties(user))
    )
    return visit, agreements


def organisation(user, slug):
    """
    The organisation with its counts of visible visits and agreements, and its parent only
    when that is visible too (an organisation named only in drafts is never shown).
    """
    visits = Visit.objects.visible_to(user)
    agreements = Agreement.objects.visible_to(user)
    organisations = Organisation.objects.visible_to(user)
    found = get_object_or_404(
        organisations.select_related("parent").annotate(
            visit_count=count_of(visits.filter(organisations=OuterRef("pk"))),
            agreement_count=count_of(agreements.filter(parties=OuterRef("pk"))),
            parent_visible=Exists(organisations.filter(pk=OuterRef("parent_id"))),
        ),
        slug=slug,
    )
    if not found.parent_visible:
        found.parent = None
    return found


def organisation_lists(user, organisation):
    """Querysets of the organisation's visits and agreements (to page), parts and members."""
    visits = in_page_order(
        Visit.objects.visible_to(user)
        .filter(organisations=organisation)
        .select_related("mission", "day", "place")
        .prefetch_related(*_card_details(user))
    )
    agreements = in_page_order(
        Agreement.objects.visible_to(user)
        .filter(parties=organisation)
        .select_related("mission", "kind")
        .prefetch_related(_parties(user))
    )
    children = Organisation.objects.visible_to(user).filter(parent=organisation)
    members = Person.objects.visible_to(user).filter(organisation=organisation)
    return visits, agreements, children, members


def person(user, slug):
    visits = Visit.objects.visible_to(user).filter(people=OuterRef("pk"))
    return get_object_or_404(
        Person.objects.visible_to(user)
        .select_related("organisation")
        .annotate(visit_count=count_of(visits)),
        slug=slug,
    )


def person_visits(user, person):
    return in_page_order(
        Visit.objects.visible_to(user)
        .filter(people=person)
        .select_related("mission", "day", "place")
        .prefetch_related(*_card_details(user))
    )


@dataclass
class Registry:
    filterset: object
    agreements: object  # a queryset, to page
    facets: dict
    errors: dict


def agreement_registry(user, query=None, today=None):
    """
    The visible agreements `query` (the registry's filters, diary/filters.py) selects, in
    page order, with the counts of each narrower selection. Each agreement knows its place
    among its mission's, so a mission split between two pages says so at both ends.
    """
    from .filters import AgreementFilter, facets, with_status

    visible = with_status(Agreement.objects.visible_to(user), today)
    filterset = AgreementFilter(query or {}, queryset=visible)
    if not filterset.is_valid():
        return Registry(filterset, visible.none(), {}, filterset.errors)
    selected = filterset.qs
    agreements = filterset.ordered(
        selected.select_related("mission", "kind")
        .prefetch_related(_parties(user))
        .annotate(
            place_in_mission=Window(
                RowNumber(),
                partition_by=F("mission"),
                order_by=[F("signed_on").asc(nulls_last=True), "title", "pk"],
            ),
            mission_total=Window(Count("pk"), partition_by=F("mission")),
        )
    )
    return Registry(filterset, agreements, facets(selected), {})


def _signatories():
    from .models import Signatory

    return Signatory.objects.select_related("person", "on_behalf_of")


def agreement_page(user, slug):
    """An agreement, with the day and visit of signature only when they are its mission's."""
    agreement = get_object_or_404(
        Agreement.objects.visible_to(user)
        .select_related("mission", "kind", "signed_day__mission", "signed_at_visit__mission")
        .prefetch_related(
            _parties(user),
            "areas",
            "sources",
            Prefetch("signatories", queryset=_signatories()),
            "texts",
        ),
        slug=slug,
    )
    if agreement.signed_day and agreement.signed_day.mission_id != agreement.mission_id:
        agreement.signed_day = None
    if agreement.signed_at_visit and agreement.signed_at_visit.mission_id != agreement.mission_id:
        agreement.signed_at_visit = None
    related = agreement.related_agreements(Agreement.objects.visible_to(user))
    return agreement, related

def mission_updates(slug):
    """
    A published mission and its revisions, newest first, each with `changes`: its
    differences from the one before (changelog.diff of their frozen copies). Two queries,
    however many revisions. A draft's revisions are nobody's to read, staff's neither: 404.
    """
    mission = get_object_or_404(Mission.objects.published(), slug=slug)
    revisions = list(mission.revisions.order_by("-number"))
    for revision, previous in zip(revisions, [*revisions[1:], None], strict=True):
        revision.mission = mission
        revision.changes = diff(previous.document if previous else None, revision.document)
    return mission, revisions
