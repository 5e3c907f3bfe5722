"""
Public pages. Each view takes its querysets from the managers and renders one template.

Every page runs a fixed number of queries whatever the size of the mission (at most five,
plus the content version read by the page cache): related lists are filled by the loaders in
`diary/models/loading.py`, never row by row from the templates. Lists that grow without bound
(the registry, an organisation's or a person's visits) come a page at a time, `?page=2`.
"""

import re
from typing import NamedTuple

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .caching import public_page
from .models import Agreement, Day, Mission, Organisation, Person, Visit
from .models.loading import attach_details, attach_organisations, attach_people
from .search import SearchForm


def _missions(request):
    return Mission.objects.visible_to(request.user)


def _visible(queryset, request):
    """Days, visits and agreements of missions this reader may see."""
    if request.user.is_staff:
        return queryset
    return queryset.published()


AGREEMENTS_PER_PAGE = 50
VISITS_PER_PAGE = 25
ORGANISATION_AGREEMENTS_PER_PAGE = 20
# Only the form the pages link to: "02", "+2" or " 2" would be the same page at another
# address (and another page-cache entry).
PAGE_NUMBER = re.compile(r"[1-9][0-9]*")


class PageLink(NamedTuple):
    label: object  # a page number, or the paginator's ellipsis (then url is empty)
    url: str = ""


def _page_url(request, parameter, number, fragment):
    """This address at page `number` of one list; page 1 is the address without the parameter."""
    query = request.GET.copy()
    query.pop(parameter, None)
    if number > 1:
        query[parameter] = number
    return (f"?{query.urlencode()}" if query else request.path) + fragment


def _page(request, items, per_page, *, count=None, parameter="page", fragment=""):
    """
    The page of `items` the query string asks for, evaluated, with the links
    includes/pagination.html shows. Anything but a page number in range is a 404.
    count: the length of `items`, when the caller has it already (saves a COUNT query).
    """
    number = request.GET.get(parameter, "1")
    if not PAGE_NUMBER.fullmatch(number):
        raise Http404(f"“{parameter}” must be a page number.")
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached property: the paginator will not ask the database
    try:
        page = paginator.page(number)
    except InvalidPage as error:
        raise Http404(f"No page {number} of this list: {error}") from error
    page.object_list = list(page.object_list)
    page.links = [
        PageLink(label, _page_url(request, parameter, label, fragment))
        if isinstance(label, int)
        else PageLink(label)
        for label in paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    ]
    if page.has_previous():
        page.previous_url = _page_url(request, parameter, page.previous_page_number(), fragment)
    if page.has_next():
        page.next_url = _page_url(request, parameter, page.next_page_number(), fragment)
    return page


def _count(queryset):
    """A subquery counting `queryset` (filtered on OuterRef), to annotate its owner with."""
    rows = queryset.order_by().values(n=Func(F("pk"), function="COUNT"))
    return Subquery(rows, output_field=IntegerField())


def _in_page_order(queryset):
    # The models' orderings can tie (two visits of the same title): the id settles it, so
    # no item is shown on two pages and none on neither.
    return queryset.order_by(*queryset.model._meta.ordering, "pk")


@public_page
def home(request):
    missions = Mission.objects.published().select_related("lead_organisation")
    return render(request, "diary/home.html", {"missions": missions})


@public_page
def mission_detail(request, slug):
    itinerary = _missions(request).itinerary(slug)
    if itinerary is None:
        raise Http404("No such mission.")
    context = {
        "mission": itinerary.mission,
        "days": itinerary.days,
        "undated_visits": itinerary.undated_visits,
        "agreements": itinerary.agreements,
        "collapsed": itinerary.collapsed,
    }
    return render(request, "diary/mission_detail.html", context)


@public_page
def day_detail(request, mission_slug, date):
    day = get_object_or_404(
        _visible(Day.objects, request).select_related("mission").with_neighbour_dates(),
        mission__slug=mission_slug,
        date=date,
    )
    # Only what belongs to the day's own mission: older rows may point here from another.
    visits = list(day.visits.filter(mission=day.mission))
    for visit in visits:
        visit.mission, visit.day = day.mission, day
    agreements = list(day.agreements.filter(mission=day.mission))
    attach_details(visits, agreements)
    context = {
        "mission": day.mission,
        "day": day,
        "visits": visits,
        "agreements": agreements,
        "previous_day": day.neighbour(day.previous_date),
        "next_day": day.neighbour(day.next_date),
    }
    return render(request, "diary/day_detail.html", context)


@public_page
def visit_detail(request, mission_slug, slug):
    visit = get_object_or_404(
        _visible(Visit.objects, request)
        .select_related("mission", "day")
        .prefetch_related("sources", "agreements"),
        mission__slug=mission_slug,
        slug=slug,
    )
    if visit.day and visit.day.mission_id != visit.mission_id:
        visit.day = None  # another mission's day (older, inconsistent rows): not shown
    if visit.day:
        visit.day.mission = visit.mission  # "Day 2" is counted from the mission's start
    agreements = [a for a in visit.agreements.all() if a.mission_id == visit.mission_id]
    attach_details([visit], agreements)
    context = {"visit": visit, "mission": visit.mission, "agreements": agreements}
    return render(request, "diary/visit_detail.html", context)


@public_page(params=("page", "agreements_page"))
def organisation_detail(request, slug):
    visits_of = _visible(Visit.objects.filter(organisations=OuterRef("pk")), request)
    agreements_of = _visible(Agreement.objects.filter(parties=OuterRef("pk")), request)
    organisation = get_object_or_404(
        _visible(Organisation.objects, request)
        .select_related("parent")
        .annotate(
            visit_count=_count(visits_of),
            agreement_count=_count(agreements_of),
            parent_visible=Exists(
                _visible(Organisation.objects, request).filter(pk=OuterRef("parent_id"))
            ),
        ),
        slug=slug,
    )
    if not organisation.parent_visible:
        organisation.parent = None  # named only in drafts
    # Visits and agreements page separately (`page`, `agreements_page`), each link landing
    # on its own list, so a reader paging through one keeps their place in the other.
    visits = _page(
        request,
        _in_page_order(
            _visible(organisation.visits.all(), request).select_related("mission", "day")
        ),
        VISITS_PER_PAGE,
        count=organisation.visit_count,
        fragment="#visits-heading",
    )
    agreements = _page(
        request,
        _in_page_order(_visible(organisation.agreements.all(), request).select_related("mission")),
        ORGANISATION_AGREEMENTS_PER_PAGE,
        count=organisation.agreement_count,
        parameter="agreements_page",
        fragment="#agreements-heading",
    )
    children = attach_organisations(
        visits=visits.object_list,
        agreements=agreements.object_list,
        children=_visible(Organisation.objects.filter(parent=organisation), request),
        parent=organisation,
    )
    people = attach_people(
        visits.object_list,
        members=_visible(Person.objects.filter(organisation=organisation), request),
        organisation=organisation,
    )
    context = {
        "organisation": organisation,
        "children": children,
        "page": visits,
        "visits": visits.object_list,
        "agreements_page": agreements,
        "agreements": agreements.object_list,
        "people": people,
    }
    return render(request, "diary/organisation_detail.html", context)


@public_page(params=("page",))
def person_detail(request, slug):
    visits_of = _visible(Visit.objects.filter(people=OuterRef("pk")), request)
    person = get_object_or_404(
        _visible(Person.objects, request)
        .select_related("organisation")
        .annotate(visit_count=_count(visits_of)),
        slug=slug,
    )
    visits = _page(
        request,
        _in_page_order(_visible(person.visits.all(), request).select_related("mission", "day")),
        VISITS_PER_PAGE,
        count=person.visit_count,
    )
    attach_details(visits.object_list)
    context = {"person": person, "page": visits, "visits": visits.object_list}
    return render(request, "diary/person_detail.html", context)


@public_page(params=("page",))
def agreement_list(request):
    # Each agreement knows its place among its mission's, so a mission split between two
    # pages says so at both ends.
    agreements = _in_page_order(
        _visible(Agreement.objects, request)
        .select_related("mission")
        .annotate(
            place_in_mission=Window(
                RowNumber(),
                partition_by=F("mission"),
                order_by=[F("signed_on").asc(nulls_last=True), "title", "pk"],
            ),
            mission_total=Window(Count("pk"), partition_by=F("mission")),
        )
    )
    page = _page(request, agreements, AGREEMENTS_PER_PAGE)
    attach_organisations(agreements=page.object_list)
    context = {"page": page, "agreements": page.object_list}
    return render(request, "diary/agreement_list.html", context)


@public_page
def agreement_detail(request, slug):
    agreement = get_object_or_404(
        _visible(Agreement.objects, request)
        .select_related("mission", "signed_day__mission", "signed_at_visit__mission")
        .prefetch_related("parties", "areas", "sources"),
        slug=slug,
    )
    # What it is shown with must be of its own mission (older rows may say otherwise).
    if agreement.signed_day and agreement.signed_day.mission_id != agreement.mission_id:
        agreement.signed_day = None
    if agreement.signed_at_visit and agreement.signed_at_visit.mission_id != agreement.mission_id:
        agreement.signed_at_visit = None
    related = agreement.related_agreements(_visible(Agreement.objects, request))
    context = {
        "agreement": agreement,
        "mission": agreement.mission,
        "implements": related["implements"],
        "implementations": related["implementations"],
    }
    return render(request, "diary/agreement_detail.html", context)


@public_page(params=("q",))
def search(request):
    """Published content only, whoever asks: search is a public index, not a preview."""
    form = SearchForm(request.GET)
    results = form.results() if form.is_valid() else None
    status = 400 if form.errors else 200
    context = {"form": form, "search_query": form.data.get("q", ""), "results": results}
    return render(request, "diary/search.html", context, status=status)


@require_GET
def robots_txt(request):
    """Crawlers may read everything public; the admin is no business of theirs."""
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    return render(
        request,
        "robots.txt",
        {"sitemap_url": sitemap_url},
        content_type="text/plain; charset=utf-8",
    )
