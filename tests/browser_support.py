"""
What every browser test module shares: Debian's Chromium driven by Playwright, and the live
server's static files under their plain names.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from .conftest import phase_report_key

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this closed network
# refuses; none of them is needed to render a page.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@contextlib.contextmanager
def unhashed_static_urls():
    """
    pytest-django's live server answers /static/ itself, through the staticfiles finders,
    which know css/site.css but not the manifest's hashed copy (css/site.1a2b3c.css) that
    production pages link to: without this, pages would load unstyled.
    """
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@contextlib.contextmanager
def chromium():
    """A headless Chromium; skipped where it is not installed, unless REQUIRE_BROWSER=1."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop registered as running on this thread
    # for as long as it is started, so Django's guard would refuse every ORM call the tests
    # and pytest-django's flush make from here on (SynchronousOnlyOperation). Nothing here
    # runs async code against the database: the loop only talks to the browser. The flag is
    # set for as long as the browser runs, and restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextlib.contextmanager
def module_browser():
    """Chromium for a whole module, with the live server's static files under plain names."""
    with unhashed_static_urls(), chromium() as browser:
        yield browser


@contextlib.contextmanager
def new_page(browser, timeout=15_000, **context_options):
    """
    A page in a new context of `browser` with `context_options` (viewport=PHONE, locale=…),
    generous timeouts (the suite shares two cores with the database and the live server),
    and `page.requests`, every URL the page has asked for (to check that none leaves the site).
    """
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(timeout)
    expect.set_options(timeout=timeout)
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


@contextlib.contextmanager
def module_page(**context_options):
    """One page (new_page()) for a whole test module, in its own Chromium."""
    ARTIFACTS.mkdir(exist_ok=True)
    with module_browser() as browser, new_page(browser, **context_options) as page:
        yield page


def page_fixture(**context_options):
    """A module-scoped `page` fixture: module_page(**context_options)."""

    @pytest.fixture(scope="module")
    def page():
        with module_page(**context_options) as page:
            yield page

    return page


def browser_fixture():
    """A module-scoped `browser` fixture: module_browser()."""

    @pytest.fixture(scope="module")
    def browser():
        with module_browser() as browser:
            yield browser

    return browser


def page_per_test_fixture(views=None, timeout=15_000, **context_options):
    """
    A `page` fixture giving each test a page of its own (new_page(), in a new context: no
    cookies from the test before) of the module's `browser`, screenshots_if_failed(views).
    """

    @pytest.fixture
    def page(browser, request):
        with (
            new_page(browser, timeout, **context_options) as page,
            screenshots_if_failed(page, request, views),
        ):
            yield page

    return page


@contextlib.contextmanager
def screenshots_if_failed(page, request, views=None):
    """
    Around a test: if it failed, full-page screenshots of `page` in test-artifacts/, one a view
    of `views` ({label: viewport to set, or None for the page as it is}), each named
    `<test>-<label>.png`; by default one, `<test>.png`, as the page is.
    """
    yield page
    report = request.node.stash.get(phase_report_key, {}).get("call")
    if report is None or not report.failed or not page.url.startswith("http"):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    for label, viewport in (views or {"": None}).items():
        if viewport is not None:
            page.set_viewport_size(viewport)
        path = ARTIFACTS / (f"{name}-{label}.png" if label else f"{name}.png")
        page.screenshot(path=path, full_page=True)
