"""
The route map (issue 14) in a real browser: Debian's Chromium through Playwright against a
live server, as tests/test_browser.py. Screenshots of the demo's mission page at phone and
desktop width and in print go to test-artifacts/ (places-*.png) on every run, for a person
to look at; the assertions check what can be measured: the map is shown, fits the phone,
its labels stay legible, it prints, and axe finds no violation at all.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from . import browser_support

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = browser_support.PHONE
DESKTOP = browser_support.DESKTOP
ARTIFACTS = browser_support.ARTIFACTS
MISSION = "/missions/japan-2024/"


page = browser_support.page_fixture(viewport=DESKTOP, locale="en-GB")


def test_route_map_at_phone_and_desktop_width_and_in_print(page, live_server, demo):
    page.requests.clear()
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.emulate_media(media="screen")
        page.goto(live_server.url + MISSION)
        route_map = page.locator("svg.route-map")
        route_map.scroll_into_view_if_needed()
        box = route_map.bounding_box()
        assert box and box["width"] <= size["width"] and box["height"] > 150
        assert page.locator("svg.route-map g.map-marker").count() == 2
        assert page.locator("svg.route-map .map-marker-undated").count() == 3
        # Labels legible on screen: at least 9 CSS pixels high once the map is scaled down.
        label_box = page.locator("svg.route-map text.map-label").first.bounding_box()
        assert label_box and label_box["height"] >= 9
        page.locator("#places").screenshot(path=ARTIFACTS / f"places-{label}.png")
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    assert page.locator("svg.route-map").is_visible()
    assert page.locator(".place-list").is_visible()
    page.screenshot(path=ARTIFACTS / "places-print.png", full_page=True)
    page.emulate_media(media="screen")
    elsewhere = [u for u in page.requests if not u.startswith(live_server.url)]
    assert elsewhere == []  # the map asks no map service for anything


def test_mission_page_with_its_map_has_no_accessibility_violation(page, live_server, demo):
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto(live_server.url + MISSION)
        violations = Axe().run(page).response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
