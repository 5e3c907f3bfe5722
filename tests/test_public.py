import datetime

import pytest
from django.urls import reverse

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
