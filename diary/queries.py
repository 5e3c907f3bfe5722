"""
Read-side builders: what each public page shows, in a number of queries that does not grow
with the data (tests/test_performance.py checks the same count for one item and for many).

Public Django API only: select_related for what a row points to, prefetch_related /
Prefetch(queryset=…) / prefetch_related_objects() for the lists it has. Every queryset starts
from `<Model>.objects.visible_to(user)`, the one visibility rule. A row that breaks the
same-mission rules (older data: the database refuses new such rows) is left out, never
allowed to fail a page: visibility follows the record itself and what it is shown through.
"""

import datetime
import itertools
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber, Substr, Upper
from django.shortcuts import get_object_or_404

from . import maps
from .changelog import diff
from .models import Agreement, Day, Mission, Organisation, Person, Place, Source, Visit
from .models.revision import publication_dates
from .translated import reading_order

ONE_DAY = datetime.timedelta(days=1)


#: A visit's stored search vector (diary/models/search_vector.py): as long as its account, and
#: read by search alone, in the database. No page loads it.
VECTOR = "search_vector"


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


def cited_sources():
    """
    The sources a day, visit or agreement cites, as its `cited_sources` list: what the
    provenance line beside its facts links to (includes/provenance.html). A card whose list
    was not fetched shows no source line rather than running a query of its own.
    """
    return Prefetch("sources", queryset=Source.objects.defer("text"), to_attr="cited_sources")


def with_card_details(visits, agreements, user):
    """Fill the lists visit cards and agreement items show: three queries for any number."""
    prefetch_related_objects(list(visits), *_card_details(user))
    prefetch_related_objects(list(agreements), _parties(user))


def count_of(queryset):
    """A subquery counting `queryset` (filtered on OuterRef), to annotate its owner with."""
    # Annotated, then values("n"): modeltranslation's values() given only an expression
    # selects every field beside it, which a subquery cannot return.
    rows = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
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
        .prefetch_related(_delegation(user)),
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
    route = []  # every visit, in itinerary order, for the map
    if collapsed:
        undated = list(Visit.objects.filter(mission=mission, day__isnull=True).defer(VECTOR))
    else:
        undated = _place_visits(mission, days_by_id, user, route)
    for visit in undated:
        visit.mission = mission
    # Collapsed, no visit card is shown: their sources are not read.
    visits = None if collapsed else [*undated, *(v for day in days for v in day.visit_list)]
    _cite_in_one_query(mission, days, agreements, visits)
    itinerary = Itinerary(mission, days, undated, agreements, collapsed)
    itinerary.timeline = timeline(mission, days, agreements)
    # The route map: from the visits read above, or collapsed too: each place with its count.
    itinerary.route_map = collapsed_mission_map(mission) if collapsed else maps.route_map(route)
    return itinerary


def _cite_in_one_query(mission, days, agreements, visits):
    """
    Set `cited_sources` on the mission, its days, agreements and (unless None) visits: the
    sources each cites, by title, for the provenance line beside its facts. One query, a
    UNION of the four link tables, each row a source and the record citing it; a source's
    full text is not read.
    """
    base = Source.objects.defer("text").order_by()
    links = [("mission", "missions", Q(missions=mission))]
    links += [
        (kind, kind + "s", Q(**{f"{kind}s__mission": mission})) for kind in ("day", "agreement")
    ]
    if visits is not None:
        links.append(("visit", "visits", Q(visits__mission=mission)))
    parts = [
        base.filter(condition).annotate(
            cited_kind=Value(kind, output_field=CharField()), cited_by=F(f"{relation}__id")
        )
        for kind, relation, condition in links
    ]
    citing = {("mission", mission.pk): mission}
    for kind, records in (("day", days), ("agreement", agreements), ("visit", visits or [])):
        citing.update(((kind, record.pk), record) for record in records)
    for record in citing.values():
        record.cited_sources = []
    for source in parts[0].union(*parts[1:], all=True):
        record = citing.get((source.cited_kind, source.cited_by))
        if record is not None:  # else a row of another mission's day: not shown here
            record.cited_sources.append(source)
    for record in citing.values():
        record.cited_sources.sort(key=lambda source: (source.title, source.pk))


def _delegation(user):
    return Prefetch(
        "delegation", queryset=Person.objects.visible_to(user).select_related("organisation")
    )


@dataclass
class NothingRecorded:
    """Dates of the mission with no day and no agreement recorded: not a claim that nothing
    happened, only that the diary holds nothing for them."""

    first: object  # datetime.date
    last: object
    mission_start: object
    is_gap = True

    @property
    def single(self):
        return self.first == self.last

    @property
    def first_number(self):
        """Day 1 is the mission's start date, as Day.number counts."""
        return (self.first - self.mission_start).days + 1

    @property
    def last_number(self):
        return (self.last - self.mission_start).days + 1


def timeline(mission, days, agreements):
    """
    Every date from the mission's start to its end, in order: each recorded day (with
    `agreement_list`, the agreements signed on it), a day with no record of its own whose
    date agreements were signed on (an unsaved Day: no page of its own), and runs of dates
    with nothing recorded (NothingRecorded). No date is made up: a run of empty dates only
    says that the diary records nothing for them. No query.
    """
    signed = {}
    for agreement in agreements:
        day = agreement.signed_day
        date = day.date if day is not None else agreement.signed_on
        if date is not None:
            signed.setdefault(date, []).append(agreement)
    by_date = {day.date: day for day in days}
    dates = set(by_date) | set(signed)
    if mission.start_date <= mission.end_date:
        span = (mission.end_date - mission.start_date).days + 1
        dates.update(mission.start_date + ONE_DAY * n for n in range(span))
    entries = []
    for date in sorted(dates):
        day = by_date.get(date)
        if day is None and date in signed:
            day = Day(mission=mission, date=date)
            day.visit_list, day.visit_count = [], 0
        if day is None:
            previous = entries[-1] if entries else None
            if getattr(previous, "is_gap", False) and previous.last + ONE_DAY == date:
                previous.last = date
                continue
            entries.append(NothingRecorded(date, date, mission.start_date))
            continue
        day.agreement_list = signed.get(date, [])
        entries.append(day)
    return entries


def _place_visits(mission, days_by_id, user, route):
    """
    Every visit of the mission in one query, each on its day; returns the undated ones, and
    appends every visit to `route` in itinerary order (one on another mission's day as
    undated, as mission_map() reads it).
    """
    visits = (
        Visit.objects.filter(mission=mission)
        .select_related("place")
        .defer(VECTOR)
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
        else:
            visit.day = None
        route.append(visit)
    for day in days_by_id.values():
        day.visit_count = len(day.visit_list)
    return undated


def mission_map(mission):
    """
    The route map of a mission's places (diary/maps.py) with every visit, or None: one query,
    whatever the mission's size (the places export lists every visit under its place).
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


def collapsed_mission_map(mission):
    """
    The route map of a mission past FULL_ITINERARY_MAX_VISITS (maps.collapsed_route_map()),
    or None: every place with its count of visits. Two queries whatever the mission's size
    (even with no place): the place of each visit in itinerary order, as a pair of ids (no
    model instance), then the mission's places. A visit on another mission's day counts as
    undated, as in mission_map().
    """
    visits = (
        Visit.objects.filter(mission=mission, place__isnull=False)
        .exclude(place__latitude__isnull=True)
        .values_list("place_id", "day__mission_id")
    )
    dated, undated = Counter(), Counter()  # in the order of each place's first visit
    for place_id, day_mission_id in visits:
        (dated if day_mission_id == mission.pk else undated)[place_id] += 1
    places = (
        Place.objects.filter(Exists(Visit.objects.filter(mission=mission, place=OuterRef("pk"))))
        .only("name", "city", "latitude", "longitude")
        .in_bulk()
    )
    order = [*dated, *(pk for pk in undated if pk not in dated)]
    return maps.collapsed_route_map(
        # A place whose visits went between the two queries is left out.
        (places[pk], dated[pk], undated[pk])
        for pk in order
        if pk in places
    )


def day_page(user, mission_slug, date):
    """A day with its visits and agreements (only its own mission's), and its neighbours."""
    day = get_object_or_404(
        Day.objects.visible_to(user)
        .select_related("mission")
        .with_neighbour_dates()
        .prefetch_related(cited_sources())
        .annotate(**publication_dates("mission")),
        mission__slug=mission_slug,
        date=date,
    )
    visits = list(day.visits.filter(mission=day.mission).select_related("place").defer(VECTOR))
    agreements = list(day.agreements.filter(mission=day.mission).select_related("kind"))
    for record in [*visits, *agreements]:
        record.mission = day.mission
    for visit in visits:
        visit.day = day
    with_card_details(visits, agreements, user)
    prefetch_related_objects(visits, cited_sources())
    prefetch_related_objects(agreements, cited_sources())
    return day, visits, agreements


def visit_page(user, mission_slug, slug):
    """A visit, its sources, and the agreements signed during it (its own mission's)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(user)
        .select_related("mission", "day", "place")
        .defer(VECTOR)
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
        .prefetch_related(_parties(user), cited_sources())
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
        organisations.select_related("parent", "headquarters").annotate(
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
        .defer(VECTOR)
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


def organisation_missions(user, organisation):
    """The missions whose delegation's agency the organisation is (Mission.lead_organisation)."""
    return list(Mission.objects.visible_to(user).filter(lead_organisation=organisation))


def person(user, slug):
    visits = Visit.objects.visible_to(user).filter(people=OuterRef("pk"))
    return get_object_or_404(
        Person.objects.visible_to(user)
        .select_related("organisation")
        .annotate(visit_count=count_of(visits)),
        slug=slug,
    )


def person_delegations(user, person):
    """The missions whose delegation the person was part of, newest first."""
    return list(
        Mission.objects.visible_to(user)
        .filter(delegation=person)
        .select_related("lead_organisation")
    )


def person_signatures(user, person):
    """The agreements the person signed (Signatory), each with its capacity, by date."""
    from .models import Signatory

    agreements = Agreement.objects.visible_to(user)
    return list(
        Signatory.objects.visible_to(user)
        .filter(person=person, agreement__in=agreements)
        .select_related("agreement__mission", "agreement__kind")
        .order_by(
            F("agreement__signed_on").asc(nulls_last=True), "agreement__title_en", "agreement__pk"
        )
    )


def person_visits(user, person):
    return in_page_order(
        Visit.objects.visible_to(user)
        .filter(people=person)
        .select_related("mission", "day", "place")
        .defer(VECTOR)
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
                # The page's order (filters.AgreementFilter.ordered): titles as read.
                order_by=[
                    F("signed_on").asc(nulls_last=True),
                    reading_order(Agreement, "title"),
                    "pk",
                ],
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


# --- A–Z directories: /organisations/ and /people/ ------------------------------------------


def _initial(field):
    """The first letter of `field`, upper case: each row's heading in an A–Z list."""
    return Upper(Substr(field, 1, 1))


def _letters(rows):
    """[(letter, count)] of an A–Z queryset annotated with `initial`, in one query."""
    counted = rows.order_by().values("initial").annotate(n=Count("pk")).order_by("initial")
    return [(row["initial"], row["n"]) for row in counted]


@dataclass
class Directory:
    rows: object  # a queryset in A–Z order, to page, each row with its `initial` and counts
    letters: list  # [(letter, count)], A–Z
    total: int


def organisation_directory(user):
    """
    Every organisation the reader may see (published content names it), A–Z, each with its
    counts of visible visits and agreements: two queries for a page, whatever the size.
    """
    visits = Visit.objects.visible_to(user)
    agreements = Agreement.objects.visible_to(user)
    rows = Organisation.objects.visible_to(user).annotate(initial=_initial("name"))
    letters = _letters(rows)
    rows = rows.annotate(
        visit_count=count_of(visits.filter(organisations=OuterRef("pk"))),
        agreement_count=count_of(agreements.filter(parties=OuterRef("pk"))),
    ).order_by("initial", Upper("name"), "pk")
    return Directory(rows, letters, sum(n for _, n in letters))


def person_directory(user):
    """Every person the reader may see, A–Z, with the visits they were met at and the
    agreements they signed: two queries for a page."""
    from .models import Signatory

    visits = Visit.objects.visible_to(user)
    agreements = Agreement.objects.visible_to(user)
    rows = Person.objects.visible_to(user).annotate(initial=_initial("name"))
    letters = _letters(rows)
    rows = (
        rows.select_related("organisation")
        .annotate(
            visit_count=count_of(visits.filter(people=OuterRef("pk"))),
            agreement_count=count_of(
                Signatory.objects.filter(person=OuterRef("pk"), agreement__in=agreements)
            ),
        )
        .order_by("initial", Upper("name"), "pk")
    )
    return Directory(rows, letters, sum(n for _, n in letters))


def mission_updates(slug):
    """
    A published mission and its revisions, newest first, each with `changes`: its
    differences from the one before (changelog.diff of their frozen copies). Two queries,
    however many revisions. A draft's revisions are nobody's to read, staff's neither: 404.
    """
    mission = get_object_or_404(Mission.objects.published(), slug=slug)
    revisions = list(mission.revisions.order_by("-number"))
    # Each with the one before it; the first publication with nothing (and a mission
    # published before revisions existed has none at all).
    for revision, previous in itertools.zip_longest(revisions, revisions[1:]):
        revision.mission = mission
        revision.changes = diff(previous.document if previous else None, revision.document)
    return mission, revisions


# --- A source and what cites it: /sources/<uuid>/ ---------------------------------------------

SOURCE_CITATIONS_SHOWN = 100


@dataclass
class Citations:
    """What cites a source, kind by kind: the first SOURCE_CITATIONS_SHOWN and the count."""

    label: str
    records: list
    count: int


def source_page(user, uuid):
    """
    A source the reader may see (published content cites it) and the visible records that
    cite it: a draft citing it is never named. Eight queries at most, whatever the counts.
    """
    from django.utils.translation import gettext as _

    source = get_object_or_404(Source.objects.visible_to(user).defer("text"), uuid=uuid)
    kinds = [
        (_("Missions"), Mission.objects.visible_to(user)),
        (_("Days"), Day.objects.visible_to(user).select_related("mission")),
        (_("Visits"), Visit.objects.visible_to(user).select_related("mission").defer(VECTOR)),
        (_("Agreements"), Agreement.objects.visible_to(user).select_related("mission")),
    ]
    citations = []
    for label, records in kinds:
        citing = records.filter(sources=source)
        shown = list(citing[:SOURCE_CITATIONS_SHOWN])
        count = len(shown) if len(shown) < SOURCE_CITATIONS_SHOWN else citing.count()
        if shown:
            citations.append(Citations(label, shown, count))
    return source, citations
