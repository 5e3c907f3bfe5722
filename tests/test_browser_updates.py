"""
The updates page (issue 12) in a real browser, on a phone: a reader follows "Published …"
from the itinerary to the changelog, reads the update newest first with what moved and what
changed, and the page fits the screen with no accessibility violation (axe). Debian's
Chromium through Playwright against a live server, as tests/test_browser.py.
"""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from diary.publishing import publish

from . import browser_support, factories

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
ARTIFACTS = browser_support.ARTIFACTS
MISSION = "/missions/japan-2024/"


phone = browser_support.page_fixture(viewport=PHONE, locale="en-GB", is_mobile=True)


@pytest.fixture
def page(phone, request):
    with browser_support.screenshots_if_failed(phone, request, {"phone": None}):
        yield phone


@pytest.fixture
def updated(live_server, demo):
    """The demo, republished with a visit moved to another day and an agreement added."""
    ispace = demo.visits.get(slug="ispace")
    ispace.day = demo.days.get(date=datetime.date(2024, 6, 11))
    ispace.save()
    factories.make_agreement(demo, title="Joint statement on lunar data", slug="lunar-data")
    publish(demo, note="The ispace visit was on the second day; a joint statement added.")
    return live_server.url


def test_a_reader_on_a_phone_follows_published_to_the_updates_and_reads_them(page, updated):
    page.goto(updated + MISSION)
    page.get_by_role("link", name=re.compile(r"^Published .* · Last updated ")).click()
    expect(page).to_have_url(updated + MISSION + "updates/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Updates")

    headings = page.locator("article.revision h2")
    expect(headings).to_have_count(2)
    expect(headings.first).to_contain_text("Update 2")
    expect(headings.last).to_contain_text("First publication")
    latest = page.locator("#revision-2")
    expect(latest).to_contain_text("The ispace visit was on the second day")
    expect(latest.locator("li.change--moved")).to_contain_text(
        "from Monday 10 June 2024 to Tuesday 11 June 2024"
    )
    expect(latest.locator("li.change--added")).to_contain_text("Joint statement on lunar data")
    expect(latest.get_by_role("link", name="As published (JSON, revision 2)")).to_have_attribute(
        "href", MISSION + "updates/2.json"
    )

    # Nothing wider than the phone: no sideways scrolling to read a change.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "updates-phone.png", full_page=True)

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    # The feed the page offers is the mission's Atom feed.
    feed_link = page.get_by_role("link", name="Follow the updates (Atom feed)")
    expect(feed_link).to_have_attribute("href", MISSION + "updates.atom")
