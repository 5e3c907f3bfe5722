"""Long public lists come a page at a time (`?page=2`), with navigation a reader can follow."""

import datetime
import re

import pytest
from django.urls import reverse

from .browsing import html_of as page
from .factories import (
    make_agreement,
    make_day,
    make_mission,
    make_organisation,
    make_person,
    make_visit,
)

pytestmark = pytest.mark.django_db

REGISTRY = reverse("diary:agreements")


def card_titles(html, card_class):
    """Titles of the cards of one kind, in page order."""
    return re.findall(
        rf'<article class="{card_class}">\s*<h3 class="card-title"><a [^>]*>([^<]+)</a>', html
    )


def section(html, heading_id):
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def pagination(html):
    """The pagination navigation of a page (its first, if it has two)."""
    start = html.index('<nav class="pagination"')
    return html[start : html.index("</nav>", start) + len("</nav>")]


def build_registry():
    """Two missions with 60 and 5 published agreements (65: two pages of 50), and a draft."""
    partner = make_organisation(name="Busy Partner", slug="busy-partner")
    older = make_mission(title="Older mission", slug="older", start_date=datetime.date(2023, 1, 9))
    newer = make_mission(title="Newer mission", slug="newer", start_date=datetime.date(2024, 5, 6))
    for n in range(60):
        make_agreement(newer, parties=[partner], title=f"Newer agreement {n:02}")
    for n in range(5):
        make_agreement(older, parties=[partner], title=f"Older agreement {n:02}")
    return {"newer": newer, "older": older, "partner": partner}


class TestTheRegistry:
    """65 agreements, built once for the class (conftest's class_rows)."""

    @pytest.fixture(scope="class")
    @classmethod
    def registry(cls, class_rows):
        return build_registry()

    def test_registry_shows_fifty_agreements_a_page_and_every_one_exactly_once(
        self, client, registry
    ):
        first = card_titles(page(client, REGISTRY), "agreement-card")
        second = card_titles(page(client, REGISTRY + "?page=2"), "agreement-card")
        assert len(first) == 50 and len(second) == 15
        assert first == [f"Newer agreement {n:02}" for n in range(50)]
        assert second == [f"Newer agreement {n:02}" for n in range(50, 60)] + [
            f"Older agreement {n:02}" for n in range(5)
        ]

    def test_registry_pages_link_to_each_other_with_rel_and_the_current_page_marked(
        self, client, registry
    ):
        nav = pagination(page(client, REGISTRY))
        assert 'aria-label="Pages of the registry"' in nav
        assert "Page 1 of 2" in nav
        assert '<a class="pagination__step" href="/agreements/?page=2" rel="next">Next</a>' in nav
        assert 'rel="prev"' not in nav
        assert '<a href="/agreements/" aria-current="page">1</a>' in nav

        nav = pagination(page(client, REGISTRY + "?page=2"))
        assert "Page 2 of 2" in nav
        # Page 1 is the registry's own address, not a second one with ?page=1.
        assert '<a class="pagination__step" href="/agreements/" rel="prev">Previous</a>' in nav
        assert 'rel="next"' not in nav
        assert '<a href="/agreements/?page=2" aria-current="page">2</a>' in nav

    def test_a_mission_split_between_two_registry_pages_says_so_on_both(self, client, registry):
        first = page(client, REGISTRY)
        newer = section(first, "mission-newer")
        assert "(continued)" not in newer
        assert (
            '<a href="/agreements/?page=2">This mission’s agreements continue on the next page</a>'
            in newer
        )

        second = page(client, REGISTRY + "?page=2")
        assert (
            '<a href="/missions/newer/">Newer mission</a> <span class="continued">(continued)'
            in (second)
        )
        older = section(second, "mission-older")
        assert "(continued)" not in older and "continue on the next page" not in older

    def test_later_pages_have_their_own_title_and_the_first_page_its_plain_one(
        self, client, registry
    ):
        assert "<title>Registry of agreements · Mission Tracker</title>" in page(client, REGISTRY)
        assert "<title>Registry of agreements, page 2 · Mission Tracker</title>" in page(
            client, REGISTRY + "?page=2"
        )
        assert "<title>Registre des accords, page 2 · " in page(client, "/fr/agreements/?page=2")

    def test_page_one_keeps_its_canonical_address(self, client, registry):
        for url in (REGISTRY, REGISTRY + "?page=1"):
            assert '<link rel="canonical" href="http://testserver/agreements/">' in page(
                client, url
            )

    def test_later_pages_are_their_own_canonical_address(self, client, registry):
        html = page(client, REGISTRY + "?page=2&utm_source=newsletter")
        assert '<link rel="canonical" href="http://testserver/agreements/?page=2">' in html

    def test_pagination_speaks_the_language_of_its_address(self, client, registry):
        nav = pagination(page(client, "/fr/agreements/?page=2"))
        assert 'aria-label="Pages du registre"' in nav and "Page 2 sur 2" in nav
        assert '<a class="pagination__step" href="/fr/agreements/" rel="prev">Précédente</a>' in nav
        nav = pagination(page(client, "/ja/agreements/"))
        assert "2ページ中1ページ目" in nav and ">次へ</a>" in nav

    def test_staff_page_through_drafts_too(self, staff_client, registry, draft_world):
        for n in range(50):
            make_agreement(
                draft_world["mission"], parties=[registry["partner"]], title=f"Secret {n}"
            )
        # 116 agreements; the draft mission, the newest, comes first.
        html = page(staff_client, REGISTRY + "?page=3")
        assert "Page 3 of 3" in html and "Older agreement 04" in html
        assert "Secret" in page(staff_client, REGISTRY + "?page=2")

    def test_each_page_is_cached_apart_and_refreshed_after_an_edit(
        self, client, registry, django_assert_max_num_queries
    ):
        first, second = page(client, REGISTRY), page(client, REGISTRY + "?page=2")
        with django_assert_max_num_queries(1):  # the content version: the page itself is cached
            assert client.get(REGISTRY + "?page=2").content.decode() == second
        assert first != second and "Older agreement 04" in second and "Older agreement" not in first
        make_agreement(registry["older"], title="Older agreement 05")
        assert "Older agreement 05" in page(client, REGISTRY + "?page=2")
        # The first page lists the same agreements (its filters' counts moved on with the edit).
        assert card_titles(page(client, REGISTRY), "agreement-card") == card_titles(
            first, "agreement-card"
        )


def test_a_short_list_has_no_pagination(client, demo):
    for url in (REGISTRY, "/organisations/jaxa/", "/people/hiroshi-yamakawa/"):
        assert 'class="pagination"' not in page(client, url), url


def mission_of_30_visits(slug, visit_title, **links):
    """A published mission whose one day has 30 visits, titled in order, with these links."""
    mission = make_mission(title=slug.title(), slug=slug)
    day = make_day(mission)
    for n in range(30):
        make_visit(mission, day=day, title=f"{visit_title} {n:02}", position=n, **links)
    return mission


def build_busy_person():
    """A person met on 30 visits: two pages."""
    person = make_person(name="Busy Person", slug="busy-person")
    mission_of_30_visits("meetings", "Meeting", people=[person])
    return person


def test_person_page_shows_twenty_five_visits_a_page(client):
    busy_person = build_busy_person()
    url = busy_person.get_absolute_url()
    first = card_titles(page(client, url), "visit-card")
    second = card_titles(page(client, url + "?page=2"), "visit-card")
    assert first == [f"Meeting {n:02}" for n in range(25)]
    assert second == [f"Meeting {n:02}" for n in range(25, 30)]
    nav = pagination(page(client, url + "?page=2"))
    assert 'aria-label="Pages of visits"' in nav and "Page 2 of 2" in nav
    assert f'href="{url}" rel="prev"' in nav
    assert "<title>Busy Person, page 2 · Mission Tracker</title>" in page(client, url + "?page=2")


def build_busy_organisation():
    """An organisation on 30 visits and party to 24 agreements: two pages of each."""
    organisation = make_organisation(name="Busy Agency", slug="busy-agency")
    mission = mission_of_30_visits("touring", "Tour", organisations=[organisation])
    for n in range(24):
        make_agreement(mission, parties=[organisation], title=f"Accord {n:02}")
    return organisation


def test_organisation_pages_its_visits_and_its_agreements_separately(client):
    busy_organisation = build_busy_organisation()
    url = busy_organisation.get_absolute_url()
    html = page(client, url)
    visits, agreements = section(html, "visits-heading"), section(html, "agreements-heading")
    assert card_titles(visits, "visit-card") == [f"Tour {n:02}" for n in range(25)]
    assert card_titles(agreements, "agreement-card") == [f"Accord {n:02}" for n in range(20)]
    # Each list's links page that list only, and land the reader back on it.
    assert f'href="{url}?page=2#visits-heading" rel="next"' in pagination(visits)
    assert f'href="{url}?agreements_page=2#agreements-heading" rel="next"' in pagination(agreements)
    assert 'aria-label="Pages of agreements"' in agreements

    html = page(client, url + "?page=2&agreements_page=2")
    visits, agreements = section(html, "visits-heading"), section(html, "agreements-heading")
    assert card_titles(visits, "visit-card") == [f"Tour {n:02}" for n in range(25, 30)]
    assert card_titles(agreements, "agreement-card") == [f"Accord {n:02}" for n in range(20, 24)]
    # Leaving one list's page keeps the other's.
    assert f'href="{url}?agreements_page=2#visits-heading" rel="prev"' in pagination(visits)
    assert f'href="{url}?page=2#agreements-heading" rel="prev"' in pagination(agreements)


class TestEveryPaginatedList:
    """The registry, a busy person and a busy organisation, built once for the class."""

    @pytest.fixture(scope="class")
    @classmethod
    def lists(cls, class_rows):
        return build_registry(), build_busy_person(), build_busy_organisation()

    @pytest.fixture
    def registry(self, lists):
        return lists[0]

    @pytest.fixture
    def busy_person(self, lists):
        return lists[1]

    @pytest.fixture
    def busy_organisation(self, lists):
        return lists[2]

    @pytest.mark.parametrize(
        "query",
        [
            "page=abc",
            "page=0",
            "page=-1",
            "page=3",
            "page=02",
            "page=1.0",
            "page=",
            "page=99999999999",
        ],
    )
    def test_a_page_that_does_not_exist_is_404(
        self, client, registry, busy_person, busy_organisation, query
    ):
        for url in (
            REGISTRY,
            busy_person.get_absolute_url(),
            busy_organisation.get_absolute_url(),
        ):
            assert client.get(f"{url}?{query}").status_code == 404, f"{url}?{query}"
        agreements_query = query.replace("page=", "agreements_page=")
        response = client.get(f"{busy_organisation.get_absolute_url()}?{agreements_query}")
        assert response.status_code == 404

    def test_drafts_appear_on_no_page_of_any_paginated_list(
        self, client, registry, busy_person, busy_organisation, draft_world
    ):
        # The draft world's own organisation and person, now also on 30 published visits, and
        # 20 more of the draft mission's; 50 more draft agreements with a published party.
        hidden = {"organisations": [draft_world["organisation"]], "people": [draft_world["person"]]}
        mission_of_30_visits("public", "Public visit", **hidden)
        for n in range(20):
            make_visit(
                draft_world["mission"], day=draft_world["day"], title=f"Secret {n}", **hidden
            )
        for n in range(50):
            make_agreement(
                draft_world["mission"], parties=[registry["partner"]], title=f"Secret {n}"
            )
        pages = [f"{REGISTRY}?page={n}" for n in (1, 2)]
        for owner in (draft_world["organisation"], draft_world["person"], busy_person):
            pages += [owner.get_absolute_url(), owner.get_absolute_url() + "?page=2"]
        pages += [
            registry["partner"].get_absolute_url() + f"?agreements_page={n}" for n in (1, 2, 3, 4)
        ]
        for url in pages:
            html = page(client, url)
            assert "Secret" not in html, url
        # The counts leave the drafts out too: 89 published agreements make two pages (140 would
        # make three), 30 published visits two pages (51 would make three).
        assert client.get(f"{REGISTRY}?page=3").status_code == 404
        for owner in (draft_world["organisation"], draft_world["person"]):
            assert client.get(owner.get_absolute_url() + "?page=3").status_code == 404
