"""
The public site in a real browser: Debian's Chromium driven by Playwright against a live server.

One browser and one page serve the whole module (each test resets the viewport and media).
Where /usr/bin/chromium is missing the tests skip with the reason, unless REQUIRE_BROWSER=1
(CI sets it), where a missing browser is a failure.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from diary.models import Source

# The live server runs in another thread and only sees committed rows: transactional_db.
from . import browser_support
from .browsing import DEMO_PAGES
from .factories import make_agreement

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}

# Every kind of public page of the demo mission, and a page that does not exist.
PUBLIC_PAGES = [
    *DEMO_PAGES,
    "/missions/japan-2024/visits/astroscale/",
    "/ja/missions/japan-2024/",
    "/fr/agreements/lsa-jaxa-moc-2024/",
    "/search/?q=JAXA",
    "/no/such/page/",
]


@pytest.fixture(scope="module")
def shared_page():
    with browser_support.module_page(viewport=DESKTOP, locale="en-GB") as page:
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        yield page


@pytest.fixture
def page(shared_page, request):
    """The module's page, reset to a desktop screen; screenshots of it if the test fails."""
    shared_page.set_viewport_size(DESKTOP)
    shared_page.emulate_media(media="screen")
    shared_page.console_errors.clear()
    views = {"phone": PHONE, "desktop": DESKTOP}
    with browser_support.screenshots_if_failed(shared_page, request, views):
        yield shared_page


@pytest.fixture
def site(live_server, demo):
    """The live server's base URL, with the demo mission published on it."""
    return live_server.url


def test_reader_clicks_from_home_to_a_mission_day_visit_organisation_and_agreement(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="Economic mission to Japan").click()
    expect(page).to_have_url(site + "/missions/japan-2024/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Economic mission to Japan")

    page.get_by_role("link", name=re.compile(r"Day 2\s+Tuesday 11 June 2024")).click()
    expect(page).to_have_url(site + "/missions/japan-2024/2024-06-11/")

    # The visit's card (the day's route map lists the same visit by its place too).
    page.locator(".visit-card").get_by_role(
        "link", name="Tansa X Space Exploration Innovation Hub Center and JAXA’s President"
    ).click()
    expect(page).to_have_url(site + "/missions/japan-2024/visits/tansa-x-sagamihara/")
    expect(page.locator("main time").first).to_have_text("Tuesday 11 June 2024")

    page.get_by_role("main").get_by_role("link", name="JAXA", exact=True).first.click()
    expect(page).to_have_url(site + "/organisations/jaxa/")
    expect(page.locator("h1 + .native-name[lang=ja]")).to_have_text("宇宙航空研究開発機構")

    page.get_by_role("link", name="Letter of Intent between LuxProvide and JAXA").click()
    expect(page).to_have_url(site + "/agreements/luxprovide-jaxa-loi/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Letter of Intent between LuxProvide and JAXA"
    )


def test_language_switcher_changes_the_interface_language(page, site):
    page.goto(site + "/missions/japan-2024/")
    switcher = page.get_by_role("navigation", name="Language")

    switcher.get_by_role("link", name="Français").click()
    expect(page).to_have_url(site + "/fr/missions/japan-2024/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#day-index-heading")).to_have_text("Dans cet itinéraire")
    expect(page.locator("#day-2024-06-10-heading")).to_contain_text("lundi 10 juin 2024")

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="日本語").click()
    expect(page).to_have_url(site + "/ja/missions/japan-2024/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#day-2024-06-10-heading")).to_contain_text("1日目")

    page.get_by_role("navigation", name="言語").get_by_role("link", name="English").click()
    expect(page).to_have_url(site + "/missions/japan-2024/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_printed_itinerary_has_no_navigation_and_shows_source_addresses(page, site, demo):
    demo.sources.add(
        Source.objects.create(title="Press release", url="https://example.org/press/japan-2024")
    )
    page.goto(site + demo.get_absolute_url())
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator("[data-print]")).to_be_visible()  # site.js ran, under the CSP
    expect(page.locator(".source-url")).to_be_hidden()

    page.emulate_media(media="print")
    for chrome in (".site-header", ".breadcrumbs", ".day-index", ".site-footer", "[data-print]"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Three days, 13–14 June with nothing recorded, undated visits, agreements.
    expect(page.locator(".day")).to_have_count(6)
    expect(page.locator(".source-url")).to_have_text("https://example.org/press/japan-2024")
    assert page.locator(".day").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_fits_a_phone_screen_without_sideways_scrolling(page, site, path):
    page.set_viewport_size(PHONE)
    page.goto(site + path)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{path} is {scroll_width}px wide on a {inner_width}px screen"
    )


def test_every_page_loads_without_script_errors_or_policy_violations(page, site):
    """The Content-Security-Policy forbids inline code: a violation shows up as a console error."""
    errors = {}
    for path in PUBLIC_PAGES:
        page.console_errors.clear()
        page.goto(site + path)
        page.wait_for_load_state("load")
        # The missing page's own 404 response is the one error it is meant to produce.
        expected = [
            "Failed to load resource: the server responded with a status of 404 (Not Found)"
        ]
        found = [e for e in page.console_errors if path != "/no/such/page/" or e not in expected]
        if found:
            errors[path] = found
    assert errors == {}


def test_keyboard_user_skips_to_content_then_tabs_to_the_day_list(page, site):
    page.goto(site + "/missions/japan-2024/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be on screen"

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.day-index') !== null"):
            break
    expect(page.locator(".day-index a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + "/missions/japan-2024/#day-2024-06-10")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_has_no_serious_accessibility_violations(page, site, path):
    page.goto(site + path)
    results = Axe().run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{path}: " + "\n".join(serious)


@pytest.fixture
def long_registry(site, demo):
    """The demo's 3 agreements and 60 more: the registry runs to two pages."""
    for n in range(60):
        make_agreement(demo, title=f"Further agreement {n:02}")
    return site + "/agreements/"


def test_reader_pages_through_the_registry_on_a_phone(page, long_registry):
    page.set_viewport_size(PHONE)
    page.goto(long_registry)
    pages = page.get_by_role("navigation", name="Pages of the registry")
    expect(pages).to_contain_text("Page 1 of 2")
    expect(pages.locator("[aria-current=page]")).to_have_text("1")

    pages.get_by_role("link", name="Next").click()
    expect(page).to_have_url(long_registry + "?page=2")
    expect(page.locator(".agreement-card")).to_have_count(13)
    expect(page.locator(".continued")).to_have_text("(continued)")
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width

    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    pages.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(long_registry)
