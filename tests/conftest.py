import fcntl
import hashlib
import io
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from diary.models import Mission

from . import factories

# Each test's setup/call/teardown reports, so fixtures can tell whether the test failed
# (the browser tests save screenshots then).
phase_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(phase_report_key, {})[report.when] = report
    return report


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """Pages render through the manifest storage production uses, so collect once.

    `make test` runs the suite in several processes (pytest-xdist): each collects, one at a
    time, so none reads a manifest another is halfway through writing.
    """
    static_root = hashlib.sha256(str(settings.STATIC_ROOT).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"collectstatic-{static_root}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Every test database restarts the content version, so no page may outlive its test."""
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A page under /fr/ or /ja/ leaves its language active in the thread; reset it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def demo(db):
    """The LSA's economic mission to Japan, June 2024, as the README's run command loads it."""
    call_command("load_demo", stdout=io.StringIO())
    return Mission.objects.get(slug="japan-2024")


@pytest.fixture
def draft_world(db):
    return factories.make_draft_world()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw-editor")
    client.force_login(user)
    return client
