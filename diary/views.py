"""Public pages. Each view takes one queryset from a manager and renders one template."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .calendar import mission_calendar
from .models import Agreement, Day, Mission, Organisation, Person, Visit
from .search import SearchForm


def _missions(request):
    return Mission.objects.visible_to(request.user)


def _visible(queryset, request):
    """Days, visits and agreements of missions this reader may see."""
    if request.user.is_staff:
        return queryset
    return queryset.published()


def home(request):
    missions = Mission.objects.published().select_related("lead_organisation")
    return render(request, "diary/home.html", {"missions": missions})


def mission_detail(request, slug):
    mission = get_object_or_404(
        _missions(request).select_related("lead_organisation").prefetch_related("sources"),
        slug=slug,
    )
    visits = Visit.objects.filter(mission=mission).with_details()
    days = mission.days.prefetch_related(Prefetch("visits", queryset=visits))
    context = {
        "mission": mission,
        "days": days,
        "undated_visits": visits.filter(day__isnull=True),
        "agreements": mission.agreements.with_details(),
    }
    return render(request, "diary/mission_detail.html", context)


def day_detail(request, mission_slug, date):
    day = get_object_or_404(
        _visible(Day.objects, request).select_related("mission"),
        mission__slug=mission_slug,
        date=date,
    )
    siblings = day.mission.days.select_related("mission")
    context = {
        "mission": day.mission,
        "day": day,
        "visits": day.visits.with_details(),
        "agreements": day.agreements.with_details(),
        "previous_day": siblings.filter(date__lt=day.date).last(),
        "next_day": siblings.filter(date__gt=day.date).first(),
    }
    return render(request, "diary/day_detail.html", context)


def visit_detail(request, mission_slug, slug):
    visit = get_object_or_404(
        _visible(Visit.objects, request).with_details().prefetch_related("sources", "agreements"),
        mission__slug=mission_slug,
        slug=slug,
    )
    return render(request, "diary/visit_detail.html", {"visit": visit, "mission": visit.mission})


def organisation_detail(request, slug):
    organisation = get_object_or_404(
        _visible(Organisation.objects, request).select_related("parent"), slug=slug
    )
    context = {
        "organisation": organisation,
        "children": _visible(organisation.children.all(), request),
        "visits": _visible(organisation.visits.all(), request).with_details(),
        "agreements": _visible(organisation.agreements.all(), request).with_details(),
        "people": _visible(organisation.people.all(), request),
    }
    return render(request, "diary/organisation_detail.html", context)


def person_detail(request, slug):
    person = get_object_or_404(
        _visible(Person.objects, request).select_related("organisation"), slug=slug
    )
    visits = _visible(person.visits.all(), request).with_details()
    return render(request, "diary/person_detail.html", {"person": person, "visits": visits})


def agreement_list(request):
    agreements = _visible(Agreement.objects, request).with_details()
    return render(request, "diary/agreement_list.html", {"agreements": agreements})


def agreement_detail(request, slug):
    agreement = get_object_or_404(
        _visible(Agreement.objects, request).with_details().prefetch_related("sources"),
        slug=slug,
    )
    context = {
        "agreement": agreement,
        "mission": agreement.mission,
        "implements": _visible(agreement.implements.all(), request),
        "implementations": _visible(agreement.implementations.all(), request),
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
