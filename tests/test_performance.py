"""
Every public page runs the same number of queries however big the mission (the pretalx way:
count with one item and with many, and the counts must match), and a small number.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.models import Agreement, CooperationArea, Mission, Organisation, Person, Source, Visit
from diary.search import KINDS, RESULTS_PER_KIND, search_kind
from diary.synthetic import Sizes, generate

from . import factories

pytestmark = pytest.mark.django_db

# An uncached page's own queries plus the page cache's read of the content version.
MAX_PUBLIC_PAGE_QUERIES = 10


@pytest.fixture
def small(db):
    """One of everything a page lists: the smallest mission that runs every query."""
    mission = factories.make_mission(title="Small", slug="small")
    organisation = factories.make_organisation()
    person = factories.make_person(organisation=organisation)
    day = factories.make_day(mission)
    visit = factories.make_visit(mission, day=day, organisations=[organisation], people=[person])
    factories.make_visit(mission, organisations=[organisation])  # undated
    agreement = factories.make_agreement(
        mission,
        parties=[organisation],
        signed_day=day,
        signed_at_visit=visit,
        signed_on=datetime.date(2024, 6, 10),
    )
    agreement.areas.add(CooperationArea.objects.create(name="Small area", slug="small-area"))
    source = Source.objects.create(title="Article")
    for record in (mission, visit, agreement):
        record.sources.add(source)
    return mission


@pytest.fixture
def large(db):
    """Two missions of 5 days × 20 visits, many organisations and people: enough to expose N+1."""
    sizes = Sizes(
        missions=0, max_days=5, visits_per_day=20, organisations=40, people=60, agreements=8
    )
    generate(sizes, seed=7, prefix="large", sized_missions=[("large-a", 100), ("large-b", 100)])
    return Mission.objects.get(slug="large-a")


def busiest(queryset, relation):
    return queryset.annotate(n=Count(relation)).order_by("-n").first()


def public_pages(mission):
    visit = mission.visits.filter(day__isnull=False).first()
    visits = Visit.objects.filter(mission=mission)
    organisation = busiest(Organisation.objects.filter(visits__in=visits), "visits")
    person = busiest(Person.objects.filter(visits__in=visits), "visits")
    agreement = busiest(Agreement.objects.filter(mission=mission), "parties")
    return {
        "home": reverse("diary:home"),
        "itinerary": mission.get_absolute_url(),
        "updates": reverse("diary:mission_updates", kwargs={"slug": mission.slug}),
        "day": visit.day.get_absolute_url(),
        "visit": visit.get_absolute_url(),
        "organisation": organisation.get_absolute_url(),
        "person": person.get_absolute_url(),
        "agreement list": reverse("diary:agreements"),
        "agreement": agreement.get_absolute_url(),
        "organisations": reverse("diary:organisations"),
        "people": reverse("diary:people"),
    }


def query_counts(client, pages):
    counts = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_every_public_page_runs_as_many_queries_for_one_item_as_for_many(client, small):
    few = query_counts(client, public_pages(small))
    sizes = Sizes(
        missions=0, max_days=5, visits_per_day=20, organisations=40, people=60, agreements=8
    )
    generate(sizes, seed=7, prefix="large", sized_missions=[("large-a", 100), ("large-b", 100)])
    large = Mission.objects.get(slug="large-a")
    pages = public_pages(large)
    # Every list the small pages show must be there in the large ones too (an empty list
    # costs no query): the visit page's agreement, the organisation's agreements.
    visit = Visit.objects.get(mission=large, slug=pages["visit"].rstrip("/").rsplit("/", 1)[1])
    organisation = Organisation.objects.get(
        slug=pages["organisation"].rstrip("/").rsplit("/", 1)[1]
    )
    factories.make_agreement(
        large, parties=[organisation], signed_day=visit.day, signed_at_visit=visit
    )
    many = query_counts(client, pages)
    assert many == few
    assert max(many.values()) <= MAX_PUBLIC_PAGE_QUERIES, many


def test_the_large_itinerary_shows_every_visit_card(client, large):
    html = client.get(large.get_absolute_url()).content.decode()
    assert html.count('class="visit-card"') == 100  # every visit shown, none fetched one by one


def search_groups(client, query, django_assert_max_num_queries):
    """{kind: (total count, results shown)} of a search, checked against the query budget."""
    # Search: the names words may match through (two queries at most), one query per kind
    # of record and one more for visits, and the content version (diary/search.py).
    with django_assert_max_num_queries(MAX_PUBLIC_PAGE_QUERIES, info=query):
        response = client.get(reverse("diary:search"), {"q": query})
    assert response.status_code == 200
    return response, {
        group.kind.key: (group.count, len(group.results)) for group in response.context["results"]
    }


def test_every_public_page_of_the_demo_stays_within_the_budget(client, demo):
    counts = query_counts(client, public_pages(demo))
    assert max(counts.values()) <= MAX_PUBLIC_PAGE_QUERIES, counts


def test_a_search_of_the_demo_matching_every_kind_stays_within_the_budget(
    client, demo, django_assert_max_num_queries
):
    _, groups = search_groups(client, "a", django_assert_max_num_queries)
    assert set(groups) == {kind.key for kind in KINDS}


def test_a_search_matching_more_than_a_page_of_every_kind_stays_within_the_budget(
    client, django_assert_max_num_queries
):
    sizes = Sizes(
        missions=30, max_days=2, visits_per_day=5, organisations=60, people=60, agreements=40
    )
    generate(sizes, seed=11, prefix="search")
    # "Mission to", "Visit to", "Person", "Agreement on": nearly every generated record has an o.
    response, groups = search_groups(client, "o", django_assert_max_num_queries)
    totals = {kind.key: search_kind(kind, "o").count() for kind in KINDS}
    assert groups == {key: (total, RESULTS_PER_KIND) for key, total in totals.items()}
    html = response.content.decode()
    for total in totals.values():
        assert total > RESULTS_PER_KIND
        assert f"Showing the first {RESULTS_PER_KIND} of {total};" in html


def test_itinerary_past_the_threshold_lists_days_with_counts_in_constant_queries(
    client, small, large, settings
):
    settings.FULL_ITINERARY_MAX_VISITS = 1
    few = query_counts(client, {"itinerary": small.get_absolute_url()})
    settings.FULL_ITINERARY_MAX_VISITS = 50
    with CaptureQueriesContext(connection) as queries:
        html = client.get(large.get_absolute_url()).content.decode()
    assert len(queries) == few["itinerary"] <= MAX_PUBLIC_PAGE_QUERIES
    assert 'class="visit-card"' not in html
    undated = large.visits.filter(day__isnull=True).count()
    per_day = [large.visits.filter(day=day).count() for day in large.days.all()]
    for day, count in zip(large.days.all(), per_day, strict=True):
        assert f'<a href="{day.get_absolute_url()}">{count} visits</a>' in html
    assert html.count("<li><a href=") >= undated


@pytest.fixture
def crowded(db):
    """
    Few organisations and people, met again and again, and 120 agreements: every paginated
    list runs to more than one page (registry: 3 pages of 50; the busiest organisation and
    person: over 25 visits and 20 agreements).
    """
    sizes = Sizes(missions=0, max_days=5, visits_per_day=20, organisations=8, people=6)
    sizes.agreements = 120
    generate(
        sizes, seed=11, prefix="crowded", sized_missions=[("crowded-a", 100), ("crowded-b", 100)]
    )
    return Mission.objects.get(slug="crowded-a")


def test_every_page_of_each_paginated_list_runs_as_many_queries_as_its_first(client, crowded):
    organisation = busiest(Organisation.objects.all(), "visits")
    person = busiest(Person.objects.all(), "visits")
    assert organisation.visits.count() > 50 and organisation.agreements.count() > 20
    assert person.visits.count() > 25
    registry, organisation_url = reverse("diary:agreements"), organisation.get_absolute_url()
    firsts = query_counts(
        client,
        {
            "registry": registry,
            "organisation": organisation_url,
            "person": person.get_absolute_url(),
        },
    )
    later = {
        "registry": [registry + "?page=2", registry + "?page=3"],
        "organisation": [
            organisation_url + "?page=2",
            organisation_url + "?page=3&agreements_page=2",
        ],
        "person": [person.get_absolute_url() + "?page=2"],
    }
    for name, urls in later.items():
        counts = query_counts(client, {url: url for url in urls})
        assert set(counts.values()) == {firsts[name]}, (name, counts)
    assert max(firsts.values()) <= MAX_PUBLIC_PAGE_QUERIES
    html = client.get(organisation_url + "?page=2").content.decode()
    assert html.count('class="visit-card"') == 25 and html.count('class="agreement-card"') == 20
    html = client.get(registry + "?page=2").content.decode()
    assert html.count('class="agreement-card"') == 50


MODELS = [
    model for model in apps.get_app_config("diary").get_models() if admin.site.is_registered(model)
]


def admin_url(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def changelist_query_counts(client):
    counts = {}
    for model in MODELS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(admin_url(model, "changelist")).status_code == 200
        counts[model] = len(queries)
    return counts


def test_admin_changelists_run_as_many_queries_for_a_large_dataset_as_for_the_demo(
    staff_client, demo, django_assert_max_num_queries
):
    demo_counts = changelist_query_counts(staff_client)
    sizes = Sizes(missions=0, max_days=5, organisations=150, people=150, agreements=120)
    generate(sizes, seed=3, prefix="admin", sized_missions=[("admin-a", 150), ("admin-b", 100)])
    assert Visit.objects.count() > 200 and Organisation.objects.count() > 100
    for model, count in demo_counts.items():
        with django_assert_max_num_queries(count, info=model.__name__):
            assert staff_client.get(admin_url(model, "changelist")).status_code == 200
