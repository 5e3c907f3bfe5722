"""
The A–Z directories (issue 12) in a real browser on a phone: Debian's Chromium through
Playwright against a live server, as tests/test_browser.py. A reader on a 390-pixel screen
jumps to a letter, finds an organisation with its counts and follows it to its page; nothing
overflows the screen, the letter links are large enough to tap, no request leaves the site,
and axe finds no violation. Screenshots go to test-artifacts/directories-*.png.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from . import browser_support

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = browser_support.PHONE
DESKTOP = browser_support.DESKTOP
ARTIFACTS = browser_support.ARTIFACTS
DIRECTORIES = ["/organisations/", "/people/", "/ja/organisations/"]
# WCAG 2.5.8 asks for 24 CSS pixels at least; 44 is the size phones' guidelines give.
TAP_TARGET = 44


page = browser_support.page_fixture(viewport=PHONE, locale="en-GB", has_touch=True)


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_reader_on_a_phone_jumps_to_a_letter_and_reaches_the_organisation(
    page, live_server, demo
):
    page.requests.clear()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/organisations/")
    assert fits_the_screen(page)
    letters = page.locator(".letter-index a")
    assert letters.count() >= 7
    for index in range(letters.count()):
        box = letters.nth(index).bounding_box()
        assert box["width"] >= TAP_TARGET and box["height"] >= TAP_TARGET, box
    page.screenshot(path=ARTIFACTS / "directories-phone.png", full_page=True)
    page.locator(".letter-index a", has_text="N").tap()
    heading = page.locator("#letter-N")
    assert heading.is_visible()
    # The heading comes into view (expect waits for the smooth scrolling to end).
    expect(heading).to_be_in_viewport()
    entry = page.locator(".directory__list li", has_text="National Institute of Information")
    assert "visit" in entry.locator(".directory__counts").inner_text()
    entry.get_by_role(
        "link", name="National Institute of Information and Communications Technology"
    ).tap()
    page.wait_for_url("**/organisations/nict/")
    assert page.locator(".facts", has_text="Headquarters").is_visible()
    assert fits_the_screen(page)
    page.screenshot(path=ARTIFACTS / "directories-organisation-phone.png", full_page=True)
    elsewhere = [u for u in page.requests if not u.startswith(live_server.url)]
    assert elsewhere == []


def test_the_people_directory_leads_to_the_delegation_and_back_to_the_mission(
    page, live_server, demo
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/people/")
    assert fits_the_screen(page)
    page.get_by_role("link", name="Marc Serres").tap()
    page.wait_for_url("**/people/marc-serres/")
    delegations = page.locator("section", has=page.locator("#delegations-heading"))
    delegations.get_by_role("link", name="Economic mission to Japan").tap()
    page.wait_for_url("**/missions/japan-2024/")
    assert page.locator(".delegation").is_visible()


@pytest.mark.parametrize("path", DIRECTORIES)
def test_directories_have_no_accessibility_violation_on_a_phone_or_a_desktop(
    page, live_server, demo, path
):
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(live_server.url + path)
        violations = Axe().run(page).response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
