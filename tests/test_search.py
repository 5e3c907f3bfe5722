import datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.models import Visit
from diary.search import KINDS, search_kind
from diary.search import search as search_records

from . import factories
from .support import MAX_PUBLIC_PAGE_QUERIES

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("diary:search")


def search(client, query):
    response = client.get(SEARCH_URL, {"q": query})
    assert response.status_code == 200, query
    return response


def found(response):
    """{kind: [titles]} for each group of results on the page."""
    return {
        group.kind.key: [str(result) for result in group.results]
        for group in response.context["results"] or []
    }


def test_finds_jaxas_president_by_surname(client, demo):
    results = found(search(client, "Yamakawa"))
    assert results["people"] == ["Dr Hiroshi Yamakawa"]
    assert results["visits"] == [
        "Tansa X Space Exploration Innovation Hub Center and JAXA’s President"
    ]


def test_finds_a_place(client, demo):
    html = search(client, "Sagamihara").content.decode()
    assert 'href="/missions/japan-2024/visits/tansa-x-sagamihara/"' in html


def test_finds_an_organisation_and_its_agreement(client, demo):
    results = found(search(client, "LuxProvide"))
    assert results["organisations"] == ["LuxProvide"]
    assert results["agreements"] == ["Letter of Intent between LuxProvide and JAXA"]


def test_search_ignores_case(client, demo):
    assert found(search(client, "luxprovide")) == found(search(client, "LuxProvide"))


def test_finds_part_of_a_japanese_name(client, demo):
    html = search(client, "宇宙航空").content.decode()
    assert 'href="/organisations/jaxa/"' in html


def test_every_word_must_match_but_not_side_by_side(client, demo):
    # "JAXA" is in the visit's title, "Sagamihara" in its place.
    assert found(search(client, "Sagamihara JAXA"))["visits"] == [
        "Tansa X Space Exploration Innovation Hub Center and JAXA’s President"
    ]
    assert found(search(client, "Sagamihara LuxProvide")) == {}


def test_results_are_grouped_by_kind_with_counts(client, demo):
    html = search(client, "JAXA").content.decode()
    # JAXA, and Tansa X through its parent.
    assert 'Organisations <span class="count">(2)</span>' in html
    assert 'Agreements <span class="count">(2)</span>' in html
    assert html.index('id="results-visits"') < html.index('id="results-organisations"')
    assert html.index('id="results-organisations"') < html.index('id="results-agreements"')


def test_nothing_found_says_so(client, demo):
    html = search(client, "Vostok").content.decode()
    assert "Nothing published matches “Vostok”." in html


def test_drafts_are_never_found(client, demo, draft_world):
    for query in ["Secret", "Hidden", "secret mission", "Hidden Person"]:
        response = search(client, query)
        assert found(response) == {}, query
        assert "Hidden Partner" not in response.content.decode()


def test_staff_search_the_published_diary_too(staff_client, draft_world):
    assert found(search(staff_client, "Secret")) == {}


def test_empty_or_blank_query_shows_just_the_form(client, demo):
    for query in ["", "   "]:
        response = search(client, query)
        html = response.content.decode()
        assert response.context["results"] is None
        assert '<form class="search-page-form" role="search"' in html
        assert "Nothing published matches" not in html
    assert client.get(SEARCH_URL).status_code == 200


def test_overlong_query_is_refused_with_a_reason(client, demo):
    response = client.get(SEARCH_URL, {"q": "x" * 201})
    assert response.status_code == 400
    assert "Your search is 201 characters long; please use at most 200." in (
        response.content.decode()
    )
    assert search(client, "x" * 200).context["results"] == []


def test_query_with_a_null_character_is_refused_not_a_server_error(client, demo):
    response = client.get(SEARCH_URL, {"q": "JAXA\x00"})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


def test_search_syntax_characters_are_harmless(client, demo):
    for query in ['"', "-", "!!!", "JAXA & | ! ( )", "' OR 1=1 --", "%", "_"]:
        search(client, query)
    assert found(search(client, '"LuxProvide"'))["organisations"] == ["LuxProvide"]


def test_results_are_capped_per_kind_and_say_how_many_there_are(client):
    mission = factories.make_mission()
    day = factories.make_day(mission)
    for n in range(25):
        factories.make_visit(mission, day=day, title=f"Probe stop {n:02d}")
    response = search(client, "probe")
    (group,) = response.context["results"]
    assert (group.count, len(group.results)) == (25, 20)
    html = response.content.decode()
    assert 'Visits <span class="count">(25)</span>' in html
    assert "Showing the first 20 of 25" in html


def test_search_runs_in_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_PUBLIC_PAGE_QUERIES):
        search(client, "JAXA")


def test_a_visit_result_says_where_and_when_or_that_the_date_is_not_stated(client):
    mission = factories.make_mission(title="Mission to Kansai")
    day = factories.make_day(mission, date=datetime.date(2024, 6, 11))
    factories.make_visit(
        mission,
        day=day,
        title="Probe laboratory",
        starts_at=datetime.time(9, 30),
        place=factories.make_place(name="Space lab", city="Osaka"),
    )
    factories.make_visit(mission, title="Probe dinner")
    html = search(client, "probe").content.decode()
    assert html.count(f'<a href="{mission.get_absolute_url()}">Mission to Kansai</a>') == 2
    assert "Tuesday 11 June 2024" in html
    assert '<time datetime="2024-06-11T09:30:00+09:00">09:30 JST</time>' in html
    assert "Space lab, Osaka" in html
    assert '<span class="not-recorded">date not stated</span>' in html


def test_an_agreement_result_gives_its_kind_level_and_signature_date(client):
    mission = factories.make_mission()
    factories.make_agreement(
        mission,
        title="Probe data exchange",
        kind="loi",
        level="government",
        signed_on=datetime.date(2024, 6, 12),
    )
    factories.make_agreement(mission, title="Probe sharing")
    html = search(client, "probe").content.decode()
    assert '<span class="badge">Letter of Intent</span>' in html
    assert "Government level" in html
    assert 'Signed: <time datetime="2024-06-12">12 June 2024</time>' in html
    assert 'Signed: <span class="not-recorded">date not stated</span>' in html


def test_header_offers_search_on_every_page(client, demo):
    html = client.get("/").content.decode()
    assert '<form class="search-form" role="search" method="get" action="/search/"' in html
    assert 'aria-label="Search the diary"' in html


def test_a_draft_mission_shows_through_neither_feed_nor_search(draft_world):
    anonymous = Client()
    mission = draft_world["mission"]
    assert anonymous.get(reverse("diary:mission_ics", args=[mission.slug])).status_code == 404
    draft_urls = [draft_world[key].get_absolute_url() for key in draft_world]
    for query in ["Secret", "Hidden", "secret mission", "hidden partner"]:
        html = anonymous.get(SEARCH_URL, {"q": query}).content.decode()
        assert "Nothing published matches" in html
        for url in draft_urls:
            assert f'href="{url}"' not in html, (query, url)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ranking is PostgreSQL full-text search"
)
def test_on_postgresql_a_match_in_the_name_ranks_first(client):
    mission = factories.make_mission()
    day = factories.make_day(mission)
    factories.make_visit(
        mission, day=day, title="Archive tour", body="Samples returned by Hayabusa."
    )
    factories.make_visit(mission, day=day, title="Hayabusa return capsule")
    assert found(search(client, "hayabusa"))["visits"] == [
        "Hayabusa return capsule",
        "Archive tour",
    ]


def test_full_width_and_compatibility_forms_find_the_same_records(client, demo):
    """A Japanese input method types ＪＡＸＡ; the records say JAXA."""
    plain = found(search(client, "Yamakawa"))
    assert found(search(client, "Ｙａｍａｋａｗａ")) == plain
    assert found(search(Client(), "ＹＡＭＡＫＡＷＡ")) == found(search(Client(), "YAMAKAWA"))


def test_each_kinds_stored_vector_reads_the_fields_its_substring_rule_reads():
    for kind in KINDS:
        expression = kind.published().model._meta.get_field("search_vector").expression
        assert expression.deconstruct()[1] == kind.fields, kind.key


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL search indexes"
)


@postgresql_only
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
@pytest.mark.parametrize("query", ["Yamakawa", "宇宙航空", "Sagamihara JAXA"])
def test_on_postgresql_search_reads_the_indexes_not_every_row(kind, query):
    """A small test table would be read whole anyway: forbid reading any table or index
    whole, and see which indexes the plan uses. Without them, the only plan reads every row."""
    model_name = kind.published().model._meta.model_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = search_kind(kind, query).explain()
    assert f"diary_{model_name}_search_gin" in plan, plan
    assert f"diary_{model_name}_text_trgm" in plan, plan


def visits_found(query):
    """The visits search() finds, best first (no page cache between: QuerySet.update sends
    no signal, so this tests the stored vector alone)."""
    groups = {group.kind.key: group for group in search_records(query)}
    return [str(visit) for visit in groups["visits"].results] if "visits" in groups else []


@postgresql_only
def test_on_postgresql_an_edit_ranks_at_once_by_save_and_by_queryset_update():
    """A word in the name ranks first: the stored vector is current after each kind of write."""
    mission = factories.make_mission()
    day = factories.make_day(mission)
    factories.make_visit(mission, day=day, title="Archive tour", body="Quetzal samples returned.")
    capsule = factories.make_visit(mission, day=day, title="Return capsule")
    assert visits_found("quetzal") == ["Archive tour"]

    Visit.objects.filter(pk=capsule.pk).update(title="Quetzal return capsule")
    assert visits_found("quetzal") == ["Quetzal return capsule", "Archive tour"]

    capsule.refresh_from_db()
    capsule.title = "Return capsule"
    capsule.summary = "Quetzal"
    capsule.save()
    # Now a match in its other fields (weight B), like the tour's body: the usual order.
    assert visits_found("quetzal") == ["Archive tour", "Return capsule"]
    capsule.title = "Quetzal capsule"
    capsule.save()
    assert visits_found("quetzal") == ["Quetzal capsule", "Archive tour"]


# Issue 12: what a record belongs to, grouping, highlighting, suggestions.


def test_finds_agreements_by_their_kinds_abbreviation(client, demo):
    # (In either order: PostgreSQL ranks one that names its kind in its summary first.)
    assert sorted(found(search(client, "MoC"))["agreements"]) == [
        "Memorandum of Cooperation between Luxembourg and Japan in the field of space",
        "Memorandum of Cooperation between the LSA and JAXA",
    ]
    assert found(search(client, "LoI"))["agreements"] == [
        "Letter of Intent between LuxProvide and JAXA"
    ]
    # The kind's abbreviation and a word of the title together.
    assert found(search(client, "MoC Luxembourg"))["agreements"] == [
        "Memorandum of Cooperation between Luxembourg and Japan in the field of space"
    ]


def test_finds_people_through_their_organisation(client, demo):
    assert "Dr Hiroshi Yamakawa" in found(search(client, "jaxa"))["people"]
    # One word in the organisation's name, one in the person's role.
    assert found(search(client, "jaxa president"))["people"] == ["Dr Hiroshi Yamakawa"]


def test_finds_parts_of_an_organisation_through_their_parent(client, demo):
    response = search(client, "jaxa")
    assert found(response)["organisations"] == [
        "Japan Aerospace Exploration Agency (JAXA)",
        "Tansa X Space Exploration Innovation Hub Center (Tansa X)",
    ]
    assert "part of <mark>JAXA</mark>" in response.content.decode()


def test_an_unpublished_parent_neither_finds_nor_is_shown(client):
    """A parent named only by drafts stays unknown: its name finds nothing, no line names it."""
    mission = factories.make_mission()
    hidden = factories.make_organisation(name="Quiet Holding", slug="quiet-holding")
    factories.make_visit(factories.make_draft_mission(), organisations=[hidden])
    part = factories.make_organisation(name="Open Lab", slug="open-lab", parent=hidden)
    factories.make_visit(mission, organisations=[part])
    assert found(search(client, "quiet holding")) == {}
    response = search(client, "open lab")
    assert found(response)["organisations"] == ["Open Lab"]
    assert "Quiet Holding" not in response.content.decode()


def test_a_draft_agreement_is_not_found_by_its_kind_nor_a_draft_person_by_organisation(
    client, draft_world
):
    mission = factories.make_mission()
    factories.make_agreement(mission, title="Public accord", kind="loi")
    assert found(search(client, "MoC")) == {}  # the draft world's agreement is an MoC
    assert found(search(client, "LoI"))["agreements"] == ["Public accord"]
    assert found(search(client, "hidden partner")) == {}


def test_agreement_results_are_grouped_by_mission(client):
    first = factories.make_mission(title="Mission to Osaka", start_date=datetime.date(2024, 6, 10))
    second = factories.make_mission(
        title="Mission to Nagoya", start_date=datetime.date(2023, 6, 10)
    )
    for mission in (first, second, first, second):
        factories.make_agreement(mission, title=f"Probe accord of the {mission.title}")
    response = search(client, "probe accord")
    groups = {group.kind.key: group for group in response.context["results"]}
    assert [(mission.title, len(items)) for mission, items in groups["agreements"].by_mission] == [
        ("Mission to Osaka", 2),
        ("Mission to Nagoya", 2),
    ]
    html = response.content.decode()
    section = html[html.index('id="results-agreements"') :]
    assert section.count(">Mission to Osaka</a>") == 1
    assert section.count(">Mission to Nagoya</a>") == 1


def test_matched_words_are_highlighted(client, demo):
    html = search(client, "yamakawa").content.decode()
    assert '<a href="/people/hiroshi-yamakawa/">Dr Hiroshi <mark>Yamakawa</mark></a>' in html
    assert "<mark>Sagamihara</mark>" in search(client, "sagamihara").content.decode()
    html = search(client, "LoI").content.decode()
    assert "<mark>LoI</mark></abbr>" in html


def test_highlighting_escapes_what_the_record_and_the_query_hold(client):
    mission = factories.make_mission()
    factories.make_visit(mission, title="Probe <b>bold</b> & <script>alert(1)</script>")
    html = search(client, "<b>bold</b>").content.decode()
    assert "<b>" not in html and "<script>alert" not in html
    assert "Probe <mark>&lt;b&gt;bold&lt;/b&gt;</mark> &amp; &lt;script&gt;" in html
    html = search(client, "script>alert").content.decode()
    assert "&lt;<mark>script&gt;alert</mark>(1)&lt;/script&gt;" in html


def test_nothing_found_suggests_the_directories_and_the_registry(client, demo):
    html = search(client, "Vostok").content.decode()
    suggestions = html[html.index('class="search-suggestions"') :]
    assert f'href="{reverse("diary:agreements")}"' in suggestions
    assert 'href="/organisations/"' in suggestions
    assert 'href="/people/"' in suggestions


def queries_of_a_search(query):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(SEARCH_URL, {"q": query})
    assert response.status_code == 200
    return len(queries)


def test_search_queries_do_not_grow_with_the_results():
    """One record of each kind found, then many: the same number of queries."""

    def world(n):
        mission = factories.make_mission(title=f"Probe mission {n}")
        parent = factories.make_organisation(name=f"Probe holding {n}")
        organisation = factories.make_organisation(name=f"Probe lab {n}", parent=parent)
        person = factories.make_person(name=f"Probe person {n}", organisation=organisation)
        factories.make_visit(
            mission, day=factories.make_day(mission), organisations=[organisation], people=[person]
        )
        factories.make_agreement(mission, parties=[organisation], title=f"Probe accord {n}")

    world(0)
    one = queries_of_a_search("probe")
    for n in range(1, 6):
        world(n)
    many = queries_of_a_search("probe")
    assert one == many
    assert many <= MAX_PUBLIC_PAGE_QUERIES


@pytest.mark.parametrize("query", ["Japan", "japon", "日本", "JP"])
def test_finds_a_mission_by_its_host_countrys_name_in_any_language(client, query):
    """The mission stores the code JP and says "Japan" nowhere: its country's name in
    English, French or Japanese finds it, and no mission of another country."""
    factories.make_mission(title="Economic mission", slug="economic", host_country="JP")
    factories.make_mission(title="Trade mission", slug="trade", host_country="FR")
    assert found(search(client, query)) == {"missions": ["Economic mission"]}


@pytest.mark.parametrize("query", ["Japon", "日本"])
def test_finds_an_organisation_by_its_countrys_name_in_any_language(client, demo, query):
    """JAXA stores the code JP, and its names say neither Japon nor 日本: the French or
    Japanese name of its country finds it, and no organisation of Luxembourg."""
    organisations = found(search(client, query))["organisations"]
    assert "Japan Aerospace Exploration Agency (JAXA)" in organisations
    assert not [name for name in organisations if "Luxembourg" in name or "LuxProvide" in name]


def test_an_organisations_country_is_shown_highlighted_in_the_readers_language(client, demo):
    response = client.get("/fr" + SEARCH_URL, {"q": "japon"})
    assert response.status_code == 200
    assert ", <mark>Japon</mark>" in response.content.decode()


def test_a_country_name_found_is_shown_highlighted_in_the_readers_language(client):
    factories.make_mission(title="Economic mission", host_country="JP")
    response = client.get("/fr" + SEARCH_URL, {"q": "japon"})
    assert response.status_code == 200
    assert "<mark>Japon</mark>" in response.content.decode()


@postgresql_only
def test_on_postgresql_a_country_name_is_matched_through_the_host_country_index():
    """The codes a name gives are looked up in the host country's index: no half of the
    search's OR reads every mission."""
    missions = next(kind for kind in KINDS if kind.key == "missions")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search_kind(missions, "Japon").explain()
    assert "Seq Scan" not in plan, plan
    assert "host_co" in plan, plan
