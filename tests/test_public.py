import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from diary.sitemaps import SITEMAPS

from .browsing import DEMO_PAGES
from .factories import make_day, make_mission, make_visit

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_home_lists_published_missions_newest_first(client, demo):
    make_mission(
        title="Mission to Canada",
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2025, 3, 4),
    )
    html = page(client, "/")
    assert html.index("Mission to Canada") < html.index("Economic mission to Japan")


def test_itinerary_shows_days_in_order_then_undated_visits_then_agreements(client, demo):
    html = page(client, demo.get_absolute_url())
    day_1, day_2, day_3 = (html.index(f'datetime="2024-06-1{n}"') for n in (0, 1, 2))
    assert day_1 < day_2 < day_3
    undated = html.index("date not stated")
    assert html.index("ispace and the Tokyo Mission Control room") < undated
    assert undated < html.index("National Institute of Information and Communications Technology")
    assert html.index("Astroscale") < html.index("Letter of Intent between LuxProvide and JAXA")


def test_itinerary_says_which_timezone_its_times_are_in(client, demo):
    assert "Asia/Tokyo (JST)" in page(client, demo.get_absolute_url())


def test_itinerary_gives_each_agreement_a_date_or_says_it_is_not_stated(client, demo):
    html = page(client, demo.get_absolute_url())
    agreements = html[html.index('id="agreements-heading"') :]
    assert agreements.count('datetime="2024-06-12"') == 1
    assert agreements.count("date not stated") == 2


def test_visit_times_are_shown_in_the_missions_zone(client):
    mission = make_mission(timezone="Asia/Tokyo")
    make_visit(
        mission, day=make_day(mission), starts_at=datetime.time(9, 30), ends_at=datetime.time(11)
    )
    html = page(client, mission.get_absolute_url())
    assert '<time datetime="2024-06-10T09:30:00+09:00">09:30 JST</time>' in html
    assert '<time datetime="2024-06-10T11:00:00+09:00">11:00 JST</time>' in html


def test_jaxa_day_names_the_president(client, demo):
    html = page(client, reverse("diary:day", args=["japan-2024", "2024-06-11"]))
    assert "Dr Hiroshi Yamakawa" in html
    assert "President, JAXA" in html
    assert "Sagamihara" in html


def test_day_page_links_to_previous_and_next_day(client, demo):
    html = page(client, reverse("diary:day", args=["japan-2024", "2024-06-11"]))
    assert 'href="/missions/japan-2024/2024-06-10/"' in html
    assert 'href="/missions/japan-2024/2024-06-12/"' in html


def test_day_of_signature_lists_the_agreement(client, demo):
    html = page(client, reverse("diary:day", args=["japan-2024", "2024-06-12"]))
    assert "Memorandum of Cooperation between the LSA and JAXA" in html


def test_undated_visit_page_says_the_date_is_not_stated_and_shows_no_date(client, demo):
    html = page(client, reverse("diary:visit", args=["japan-2024", "astroscale"]))
    assert "date not stated" in html
    assert '<time datetime="2024-06' not in html


def test_organisation_page_lists_its_visits_and_agreements(client, demo):
    html = page(client, reverse("diary:organisation", args=["jaxa"]))
    assert "宇宙航空研究開発機構" in html
    assert "Tansa X Space Exploration Innovation Hub Center and JAXA’s President" in html
    assert "Letter of Intent between LuxProvide and JAXA" in html
    assert "Memorandum of Cooperation between the LSA and JAXA" in html
    assert "Tansa X" in html  # what it includes


def test_agreement_page_shows_parties_level_areas_and_what_it_implements(client, demo):
    html = page(client, reverse("diary:agreement", args=["luxprovide-jaxa-loi"]))
    for fact in ("LuxProvide", "JAXA", "Institution", "Supercomputing", "Quantum"):
        assert fact in html
    assert "Memorandum of Cooperation between the LSA and JAXA" in html
    assert "date not stated" in html


def test_agreement_registry_lists_every_published_agreement(client, demo):
    html = page(client, reverse("diary:agreements"))
    assert html.count('class="agreement-card"') == 3


def test_person_page_lists_the_visits_where_they_were_met(client, demo):
    html = page(client, reverse("diary:person", args=["hiroshi-yamakawa"]))
    assert "JAXA Sagamihara Campus" in html


@pytest.mark.parametrize(
    "url",
    [
        "/missions/no-such-mission/",
        "/missions/japan-2024/2024-06-20/",  # outside the mission
        "/missions/japan-2024/2024-06-13/",  # inside, but nothing recorded
        "/missions/japan-2024/2024-02-30/",  # not a date
        "/missions/japan-2024/visits/no-such-visit/",
        "/organisations/no-such-organisation/",
        "/people/nobody/",
        "/agreements/no-such-agreement/",
        "/no/such/page/",
    ],
)
def test_unknown_addresses_are_404(client, demo, url):
    assert client.get(url).status_code == 404


def draft_urls(world):
    return [
        world["mission"].get_absolute_url(),
        world["day"].get_absolute_url(),
        world["visit"].get_absolute_url(),
        world["organisation"].get_absolute_url(),
        world["person"].get_absolute_url(),
        world["agreement"].get_absolute_url(),
    ]


def test_draft_pages_are_404_for_anonymous_visitors(client, draft_world):
    for url in draft_urls(draft_world):
        assert client.get(url).status_code == 404, url


def test_drafts_appear_on_no_public_listing(client, demo, draft_world):
    for url in [
        "/",
        reverse("diary:agreements"),
        demo.get_absolute_url(),
        reverse("diary:organisation", args=["jaxa"]),
    ]:
        html = page(client, url)
        assert "Secret" not in html and "Hidden" not in html, url


def test_staff_preview_drafts_with_a_banner(staff_client, draft_world):
    for url in draft_urls(draft_world):
        html = page(staff_client, url)
        assert "Draft — visible to staff only" in html or "Hidden" in html, url
    assert "Draft — visible to staff only" in page(
        staff_client, draft_world["mission"].get_absolute_url()
    )


# --- The site around the diary: languages, sharing, crawlers, errors -------------------------

PUBLIC_PAGES = DEMO_PAGES


@pytest.mark.parametrize(
    ("prefix", "language", "interface_text", "long_date"),
    [
        ("", "en", "In this itinerary", "Monday 10 June 2024"),
        ("/fr", "fr", "Dans cet itinéraire", "lundi 10 juin 2024"),
        ("/ja", "ja", "この行程", "2024年6月10日（月）"),
    ],
)
def test_itinerary_interface_speaks_the_language_of_its_address(
    client, demo, prefix, language, interface_text, long_date
):
    html = page(client, f"{prefix}/missions/japan-2024/")
    assert f'<html lang="{language}">' in html
    assert interface_text in html
    assert f'<time datetime="2024-06-10">{long_date}</time>' in html
    # The diary's content in the address's language (the demo is translated: issue 11).
    title = {"": "Economic mission to Japan", "/fr": "Mission économique au Japon"}
    assert title.get(prefix, "日本への経済ミッション") in html


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/fr/", "Missions officielles"),
        ("/fr/agreements/", "Registre des accords"),
        ("/fr/missions/japan-2024/2024-06-11/", "Jour 2"),
        ("/fr/missions/japan-2024/visits/astroscale/", "date non précisée"),
        ("/ja/", "公式ミッション"),
        ("/ja/organisations/jaxa/", "訪問"),
        ("/ja/agreements/luxprovide-jaxa-loi/", "当事者"),
        ("/ja/people/hiroshi-yamakawa/", "面会した訪問"),
    ],
)
def test_every_kind_of_page_is_translated(client, demo, url, text):
    html = page(client, url)
    assert text in html
    assert "Skip to content" not in html


def test_address_without_prefix_is_english_whatever_the_browser_prefers(client, demo):
    html = page(client, "/missions/japan-2024/")
    response = client.get("/missions/japan-2024/", headers={"accept-language": "fr,ja;q=0.8"})
    assert response.status_code == 200
    assert response.content.decode() == html
    assert '<html lang="en">' in html


def test_language_switcher_links_to_the_same_page_in_each_language(client, demo):
    html = page(client, "/fr/missions/japan-2024/2024-06-11/")
    switcher = html[html.index('class="language-switcher"') :]
    switcher = switcher[: switcher.index("</nav>")]
    assert 'href="/missions/japan-2024/2024-06-11/" hreflang="en" lang="en"' in switcher
    assert (
        'href="/fr/missions/japan-2024/2024-06-11/" hreflang="fr" lang="fr" aria-current'
        in switcher
    )
    assert 'href="/ja/missions/japan-2024/2024-06-11/" hreflang="ja" lang="ja"' in switcher


def test_pages_name_their_translations_with_absolute_hreflang_links(client, demo):
    html = page(client, "/ja/organisations/jaxa/")
    for language, prefix in (("en", ""), ("x-default", ""), ("fr", "/fr"), ("ja", "/ja")):
        link = f'<link rel="alternate" hreflang="{language}" href="http://testserver{prefix}/organisations/jaxa/">'
        assert link in html


def test_admin_has_no_language_prefix(client):
    assert client.get("/admin/").status_code == 302
    assert client.get("/fr/admin/").status_code == 404


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_page_has_one_h1_a_canonical_url_and_opengraph_tags(client, demo, url):
    html = page(client, url + "?utm_source=newsletter")
    assert html.count("<h1") == 1
    canonical = f"http://testserver{url}"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    for tag in ("og:title", "og:description", "og:type", "og:site_name"):
        assert f'<meta property="{tag}" content="' in html, tag
    assert '<meta property="og:locale" content="en_GB">' in html
    assert '<meta name="description" content="' in html


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_page_has_no_inline_style_or_script(client, demo, url):
    # A Content-Security-Policy without 'unsafe-inline' must not break any page.
    html = page(client, url)
    assert " style=" not in html
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []


def test_visit_page_shares_the_visit_title_and_summary(client, demo):
    html = page(client, "/fr/missions/japan-2024/visits/tansa-x-sagamihara/")
    assert (
        "<title>Tansa X Space Exploration Innovation Hub Center et le président de la JAXA · "
        in html
    )
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:locale" content="fr_FR">' in html
    assert '<meta property="og:locale:alternate" content="ja_JP">' in html
    assert (
        '<meta property="og:description" content="Une visite du pôle d’innovation de la JAXA'
        in html
    )


def test_organisation_own_language_name_is_marked_with_its_language(client, demo):
    html = page(client, "/missions/japan-2024/")
    assert 'JAXA</a> <span class="native-name" lang="ja">/ 宇宙航空研究開発機構</span>' in html


def sitemap_files(client):
    """The text of every file the sitemap index at /sitemap.xml lists."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert index["Content-Type"].startswith("application/xml")
    files = []
    for location in re.findall(r"<loc>(.*?)</loc>", index.content.decode()):
        response = client.get(location.replace("&amp;", "&"))
        assert response.status_code == 200, location
        files.append(response.content.decode())
    return files


def sitemap_locations(client):
    return {
        location
        for text in sitemap_files(client)
        for location in re.findall(r"<loc>(.*?)</loc>", text)
    }


def test_sitemap_lists_every_published_page_in_every_language(client, demo):
    locations = sitemap_locations(client)
    for url in [
        *PUBLIC_PAGES,
        "/missions/japan-2024/2024-06-10/",
        "/missions/japan-2024/visits/astroscale/",
        "/organisations/tansa-x/",
        "/people/marc-serres/",
        "/agreements/lsa-jaxa-moc-2024/",
    ]:
        for prefix in ("", "/fr", "/ja"):
            assert f"http://testserver{prefix}{url}" in locations, prefix + url
    # 4 listings + 1 mission + its updates + 3 days + 6 visits + 10 organisations
    # + 2 people + 3 agreements + 1 source
    assert len(locations) == 31 * 3


def test_sitemap_names_each_pages_translations(client, demo):
    xml = "".join(sitemap_files(client))
    for language, prefix in (("en", ""), ("fr", "/fr"), ("ja", "/ja"), ("x-default", "")):
        link = f'<xhtml:link rel="alternate" hreflang="{language}" href="http://testserver{prefix}/people/marc-serres/"/>'
        assert xml.count(link) == 3  # once under each language's <url>


def test_sitemap_leaves_out_drafts_and_what_only_drafts_mention(client, demo, draft_world):
    locations = sitemap_locations(client)
    for url in draft_urls(draft_world):
        for prefix in ("", "/fr", "/ja"):
            assert f"http://testserver{prefix}{url}" not in locations, prefix + url
    assert not [location for location in locations if "secret" in location or "hidden" in location]


def test_sitemap_files_take_the_same_queries_however_many_pages(client, demo):
    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(path).status_code == 200
        return len(captured)

    paths = ["/sitemap.xml", "/sitemap-visits.xml", "/sitemap-days.xml"]
    before = [queries(path) for path in paths]
    mission = make_mission()
    day = make_day(mission)
    for _ in range(5):
        make_visit(mission, day=day)
    assert [queries(path) for path in paths] == before
    # The index counts each kind's pages: one query per kind, and the content version.
    assert max(before) <= len(SITEMAPS) + 1


def test_robots_txt_points_crawlers_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text
    assert client.get("/fr/robots.txt").status_code == 404


@pytest.mark.parametrize(
    ("url", "language", "heading"),
    [
        ("/no/such/page/", "en", "Page not found"),
        ("/missions/no-such-mission/", "en", "Page not found"),
        ("/fr/missions/no-such-mission/", "fr", "Page introuvable"),
        ("/ja/no/such/page/", "ja", "ページが見つかりません"),
    ],
)
def test_not_found_page_is_in_the_site_design_and_language(client, demo, url, language, heading):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert 'class="site-header"' in html and "/static/css/site." in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'rel="canonical"' not in html
    # The language switcher offers each language's home page, never the address not found.
    assert 'href="/fr/" hreflang="fr"' in html and 'href="/ja/" hreflang="ja"' in html
    assert f'href="{url}"' not in html


def test_server_error_page_renders_without_request_or_database(rf, django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0), translation.override("en"):
        response = server_error(rf.get("/missions/japan-2024/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert 'class="site-header"' in html and "/static/css/site." in html
    assert "Something went wrong on our side" in html
