"""
Public pages: each view asks diary/queries.py for what the page shows, then renders one
template. Queries do not grow with the data (tests/test_performance.py), and every queryset
comes from `<Model>.objects.visible_to(user)`. Lists that grow without bound (the registry,
an organisation's or a person's visits) come a page at a time, `?page=2`.
"""

import datetime
import re

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import filters, maps, queries
from .caching import public_page
from .models import Agreement, Mission
from .search import SearchForm

# Only the form the pages link to: "02", "+2" or " 2" would be the same page at another
# address (and another page-cache entry).
PAGE_NUMBER = re.compile(r"[1-9][0-9]*")


def _page(request, items, per_page, *, count=None, parameter="page", fragment=""):
    """
    The page of `items` the query string asks for, evaluated, with what
    includes/pagination.html needs to link to the others ({% querystring %}). Anything but a
    page number in range is a 404. count: the length of `items`, when the caller has it.
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
    page.parameter, page.fragment = parameter, fragment
    # The address's other parameters: page 1 is the address without `parameter`.
    page.base_query = request.GET.copy()
    page.base_query.pop(parameter, None)
    page.labels = paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return page


@public_page
def home(request):
    missions = Mission.objects.published().select_related("lead_organisation")
    return render(request, "diary/home.html", {"missions": missions})


@public_page
def mission_detail(request, slug):
    itinerary = queries.itinerary(request.user, slug)
    context = {
        "mission": itinerary.mission,
        "days": itinerary.days,
        "undated_visits": itinerary.undated_visits,
        "agreements": itinerary.agreements,
        "collapsed": itinerary.collapsed,
        "timeline": itinerary.timeline,
        "route_map": itinerary.route_map,
    }
    return render(request, "diary/mission_detail.html", context)


@public_page
def day_detail(request, mission_slug, date):
    day, visits, agreements = queries.day_page(request.user, mission_slug, date)
    context = {
        "mission": day.mission,
        "day": day,
        "visits": visits,
        "agreements": agreements,
        "previous_day": day.neighbour(day.previous_date),
        "next_day": day.neighbour(day.next_date),
        # The day's own places, numbered in the day's order; no extra query.
        "route_map": maps.route_map(visits),
    }
    return render(request, "diary/day_detail.html", context)


@public_page
def visit_detail(request, mission_slug, slug):
    visit, agreements = queries.visit_page(request.user, mission_slug, slug)
    context = {"visit": visit, "mission": visit.mission, "agreements": agreements}
    return render(request, "diary/visit_detail.html", context)


@public_page
def mission_updates(request, slug):
    mission, revisions = queries.mission_updates(slug)
    return render(
        request, "diary/mission_updates.html", {"mission": mission, "revisions": revisions}
    )


@public_page(params=("page", "agreements_page"))
def organisation_detail(request, slug):
    organisation = queries.organisation(request.user, slug)
    visits, agreements, children, members = queries.organisation_lists(request.user, organisation)
    # Visits and agreements page separately (`page`, `agreements_page`), each link landing
    # on its own list, so a reader paging through one keeps their place in the other.
    visits = _page(
        request,
        visits,
        settings.VISITS_PER_PAGE,
        count=organisation.visit_count,
        fragment="#visits-heading",
    )
    agreements = _page(
        request,
        agreements,
        settings.ORGANISATION_AGREEMENTS_PER_PAGE,
        count=organisation.agreement_count,
        parameter="agreements_page",
        fragment="#agreements-heading",
    )
    context = {
        "organisation": organisation,
        "children": children,
        "people": members,
        "page": visits,
        "visits": visits.object_list,
        "agreements_page": agreements,
        "agreements": agreements.object_list,
        "missions": queries.organisation_missions(request.user, organisation),
    }
    return render(request, "diary/organisation_detail.html", context)


@public_page(params=("page",))
def person_detail(request, slug):
    person = queries.person(request.user, slug)
    page = _page(
        request,
        queries.person_visits(request.user, person),
        settings.VISITS_PER_PAGE,
        count=person.visit_count,
    )
    context = {
        "person": person,
        "page": page,
        "visits": page.object_list,
        "delegations": queries.person_delegations(request.user, person),
        "signatures": queries.person_signatures(request.user, person),
    }
    return render(request, "diary/person_detail.html", context)


def _directory_page(request, directory):
    """
    A page of an A–Z directory, with a jump link for every letter of the whole list: to its
    heading on this page, or to the page where its entries start.
    """
    page = _page(request, directory.rows, settings.DIRECTORY_PER_PAGE, count=directory.total)
    letters, offset = [], 0
    for position, (letter, count) in enumerate(directory.letters):
        readable = letter.isascii() and letter.isalnum()
        anchor = f"letter-{letter}" if readable else f"letter-{position}"
        number = offset // settings.DIRECTORY_PER_PAGE + 1
        letters.append({"letter": letter, "count": count, "anchor": anchor, "page": number})
        offset += count
    anchors = {entry["letter"]: entry["anchor"] for entry in letters}
    for row in page.object_list:
        row.anchor = anchors.get(row.initial, "")
    return page, letters


@public_page(params=("page",))
def organisation_list(request):
    page, letters = _directory_page(request, queries.organisation_directory(request.user))
    context = {"page": page, "organisations": page.object_list, "letters": letters}
    return render(request, "diary/organisation_list.html", context)


@public_page(params=("page",))
def person_list(request):
    page, letters = _directory_page(request, queries.person_directory(request.user))
    context = {"page": page, "people": page.object_list, "letters": letters}
    return render(request, "diary/person_list.html", context)


@public_page(params=(*filters.PARAMETERS, "page"))
def agreement_list(request):
    # One address per selection, the one the registry's links write and the cache keeps.
    canonical = filters.redirect_query(request.GET)
    if canonical is not None:
        return HttpResponsePermanentRedirect(
            f"{request.path}?{canonical}" if canonical else request.path
        )
    registry = queries.agreement_registry(request.user, request.GET)
    page = _page(request, registry.agreements, settings.AGREEMENTS_PER_PAGE)
    context = {
        "page": page,
        "agreements": page.object_list,
        "errors": registry.errors,
        **filters.registry_links(request.GET, registry),
    }
    return render(
        request, "diary/agreement_list.html", context, status=400 if registry.errors else 200
    )


@public_page
def agreement_detail(request, slug):
    agreement, related = queries.agreement_page(request.user, slug)
    status, basis = agreement.status_on(datetime.date.today())
    labels = {
        "implements": _("Implements"),
        "implementations": _("Implemented by"),
        "renews": _("Renews"),
        "renewed_by": _("Renewed by"),
        "supersedes": _("Supersedes"),
        "superseded_by": _("Superseded by"),
        "amends": _("Amends"),
        "amended_by": _("Amended by"),
    }
    context = {
        "agreement": agreement,
        "mission": agreement.mission,
        "status": status,
        "status_label": Agreement.Status(status).label if status else "",
        "status_basis": basis,
        "signatories": list(agreement.signatories.all()),
        "texts": list(agreement.texts.all()),
        "chain": [(label, related[name]) for name, label in labels.items() if related[name]],
        "implements": related["implements"],
        "implementations": related["implementations"],
    }
    return render(request, "diary/agreement_detail.html", context)


@public_page
def source_detail(request, uuid):
    """A source's details and what cites it: how a reader checks a fact."""
    source, citations = queries.source_page(request.user, uuid)
    return render(request, "diary/source_detail.html", {"source": source, "citations": citations})


@public_page(params=("q",))
def search(request):
    """Published content only, whoever asks: search is a public index, not a preview."""
    form = SearchForm(request.GET)
    results = form.results() if form.is_valid() else None
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "search_query": form.data.get("q", ""),
        "search_words": form.words(),
        "results": results,
    }
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
