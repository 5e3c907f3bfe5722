"""
Public pages. Each view takes its querysets from the managers and renders one template.

Every page runs a fixed number of queries whatever the size of the mission (at most five,
plus the content version read by the page cache): related lists are filled by the loaders in
`diary/models/loading.py`, never row by row from the templates.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .caching import public_page
from .calendar import mission_calendar
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
    visits = list(day.visits.all())
    for visit in visits:
        visit.mission, visit.day = day.mission, day
    agreements = list(day.agreements.all())
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
    if visit.day:
        visit.day.mission = visit.mission  # "Day 2" is counted from the mission's start
    attach_details([visit], visit.agreements.all())
    return render(request, "diary/visit_detail.html", {"visit": visit, "mission": visit.mission})


@public_page
def organisation_detail(request, slug):
    organisation = get_object_or_404(
        _visible(Organisation.objects, request).select_related("parent"), slug=slug
    )
    visits = list(_visible(organisation.visits.all(), request).select_related("mission", "day"))
    agreements = list(_visible(organisation.agreements.all(), request).select_related("mission"))
    children = attach_organisations(
        visits=visits,
        agreements=agreements,
        children=_visible(Organisation.objects.filter(parent=organisation), request),
        parent=organisation,
    )
    people = attach_people(
        visits,
        members=_visible(Person.objects.filter(organisation=organisation), request),
        organisation=organisation,
    )
    context = {
        "organisation": organisation,
        "children": children,
        "visits": visits,
        "agreements": agreements,
        "people": people,
    }
    return render(request, "diary/organisation_detail.html", context)


@public_page
def person_detail(request, slug):
    person = get_object_or_404(
        _visible(Person.objects, request).select_related("organisation"), slug=slug
    )
    visits = list(_visible(person.visits.all(), request).select_related("mission", "day"))
    attach_details(visits)
    return render(request, "diary/person_detail.html", {"person": person, "visits": visits})


@public_page
def agreement_list(request):
    agreements = list(_visible(Agreement.objects, request).select_related("mission"))
    attach_organisations(agreements=agreements)
    return render(request, "diary/agreement_list.html", {"agreements": agreements})


@public_page
def agreement_detail(request, slug):
    agreement = get_object_or_404(
        _visible(Agreement.objects, request)
        .select_related("mission", "signed_day__mission", "signed_at_visit__mission")
        .prefetch_related("parties", "areas", "sources"),
        slug=slug,
    )
    related = agreement.related_agreements(_visible(Agreement.objects, request))
    context = {
        "agreement": agreement,
        "mission": agreement.mission,
        "implements": related["implements"],
        "implementations": related["implementations"],
    }
    return render(request, "diary/agreement_detail.html", context)


def mission_ics(request, slug):
    mission = get_object_or_404(_missions(request), slug=slug)
    return HttpResponse(
        mission_calendar(mission, request.build_absolute_uri),
        content_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=f"{mission.slug}.ics"
            )
        },
    )


@public_page
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
