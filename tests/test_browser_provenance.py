"""
How each fact is known, and "Report a correction", in a real browser (Debian's Chromium through
Playwright against a live server, as tests/test_browser.py): on a phone the source lines beside
the facts stay on the screen, the correction link of each page names that page, no request
leaves the site, and axe finds no violation on a source's page. Screenshots go to
test-artifacts/provenance-*.png for a person to look at.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from . import browser_support
from .support import DEMO_SOURCE_UUID

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = browser_support.PHONE
ARTIFACTS = browser_support.ARTIFACTS


page = browser_support.page_fixture(viewport=PHONE, locale="en-GB")


def test_source_lines_beside_the_facts_fit_a_phone(page, live_server, demo):
    page.requests.clear()
    page.goto(live_server.url + "/missions/japan-2024/2024-06-12/")
    line = page.locator("header.page-header .provenance")
    assert line.is_visible()
    assert "inferred:" in line.inner_text()
    box = line.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Nothing wider than the phone: no sideways scrolling to read a note.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=ARTIFACTS / "provenance-day-phone.png", full_page=True)
    # The source link leads to the source's page, which says what is not known.
    line.locator("a.source-link").click()
    page.wait_for_url(f"**/sources/{DEMO_SOURCE_UUID}/")
    assert "no address given" in page.locator("main").inner_text()
    assert all(url.startswith(live_server.url) for url in page.requests), page.requests


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/missions/japan-2024/", "Report a correction"),
        ("/fr/organisations/tansa-x/", "Signaler une correction"),
    ],
)
def test_the_correction_link_names_the_page_it_is_on(page, live_server, demo, path, name):
    page.goto(live_server.url + path)
    link = page.get_by_role("link", name=name)
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    href = link.get_attribute("href")
    query = parse_qs(urlsplit(href).query)
    assert href.startswith("mailto:")
    assert query["subject"][0].endswith(live_server.url + path)
    page.screenshot(path=ARTIFACTS / f"provenance-footer-{path.strip('/').replace('/', '-')}.png")


def test_a_source_page_has_no_accessibility_violation(page, live_server, demo):
    page.goto(live_server.url + f"/sources/{DEMO_SOURCE_UUID}/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
