"""
The demo mission read in English, French and Japanese on a phone, in Chromium (issue 11):
each page speaks the reader's language where the diary has it, marks the English it falls
back to, and stays at zero axe violations (valid-lang included).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from playwright.sync_api import expect

from . import browser_support
from .support import translate_where_missing

# The live server runs in another thread and only sees committed rows: transactional_db.
pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LANGUAGES = ["en", "fr", "ja"]


browser = browser_support.browser_fixture()
page = browser_support.page_per_test_fixture(
    {"phone": None}, viewport=PHONE, is_mobile=True, has_touch=True
)


@pytest.fixture
def site(live_server, demo):
    translate_where_missing(demo)  # where the demo fixture has no French or Japanese yet
    return live_server.url


def address(language, record):
    """The record's page in `language` (/fr/…, /ja/…; English unprefixed)."""
    with translation.override(language):
        return record.get_absolute_url()


def in_language(record, field, language):
    return getattr(record, f"{field}_{language}") or getattr(record, f"{field}_en")


def axe_violations(page):
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


def fits_the_screen(page):
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    return scroll_width <= inner_width


@pytest.mark.parametrize("language", LANGUAGES)
def test_reader_reads_the_itinerary_in_their_language_on_a_phone(page, site, demo, language):
    demo.refresh_from_db()
    page.goto(site + address(language, demo))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(in_language(demo, "title", language))
    day = demo.days.order_by("date").first()
    expect(page.locator(".day-title").first).to_have_text(in_language(day, "title", language))
    assert fits_the_screen(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_visit_page_marks_its_english_and_passes_axe_in_each_language(page, site, demo, language):
    visit = demo.visits.filter(day__isnull=False).order_by("pk").first()
    visit.title_fr = ""  # nobody has translated this one into French yet
    visit.save()
    page.goto(site + address(language, visit))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(in_language(visit, "title", language))
    notice = page.locator(".fallback-notice")
    if language == "fr":
        expect(heading.locator("[lang=en]")).to_have_text(visit.title_en)
        expect(notice).to_have_count(1)
        expect(notice).to_be_visible()
    if language == "en":
        expect(notice).to_have_count(0)
    assert fits_the_screen(page)
    assert axe_violations(page) == []


def test_japanese_text_is_never_slanted(page, site, demo):
    """No fake italics on CJK text: what English sets in italics, Japanese sets upright."""
    undated = demo.visits.filter(day__isnull=True).first()
    assert undated is not None, "the demo has a visit with no recorded date"
    page.goto(site + address("ja", undated))
    marker = page.locator(".visit .not-recorded").first
    expect(marker).to_be_visible()
    assert marker.evaluate("e => getComputedStyle(e).fontStyle") == "normal"
    page.goto(site + address("en", undated))
    marker = page.locator(".visit .not-recorded").first
    assert marker.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
