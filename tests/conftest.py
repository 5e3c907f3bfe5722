import fcntl
import hashlib
import io
import itertools
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from diary.models import Mission

from . import factories
from .support import migrate_to_latest

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


# --- The demo mission, loaded once for the tests of a module that share it --------------------
#
# Loading the demo takes most of a second, and several hundred tests start from it. A test
# that runs in a transaction rolled back afterwards (pytest-django's default) shares one load
# with the module's other such tests, as Django's TestCase.setUpTestData does: the demo is
# loaded in a transaction around them and rolled back after the last, and each test still runs
# in its own savepoint inside it, so what one test changes is gone before the next. Tests whose
# rows must be committed (transaction=True, the live server) load it for themselves.


def _is_transactional(item):
    """pytest-django's own test: transaction=True or reset_sequences, or the live server."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
        or marker.kwargs.get("reset_sequences", False)
    ):
        return True
    return bool({"transactional_db", "live_server"} & set(item.fixturenames))


def _shares_demo(item):
    fixtures = getattr(item, "fixturenames", ())
    # A class with rows of its own (class_rows) loads the demo per test, inside them.
    return "demo" in fixtures and "class_rows" not in fixtures and not _is_transactional(item)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """
    Within each module's run of tests (after pytest-django has put the transactional ones
    last), the ones sharing the demo go after the others, so that they run one after another
    and the others never see it. Every process of `make test` runs its tests in this order.
    """
    runs = itertools.groupby(items, key=lambda item: getattr(item, "module", None))
    items[:] = [
        item
        for _, run in runs
        for item in sorted(run, key=_shares_demo)  # stable: False before True
    ]


class SharedDemo:
    """The demo loaded in a transaction that outlives single tests, until rolled back."""

    current = None  # the module's, while its tests run: the hook below rolls it back early
    next_test_shares = False  # set by the hook for the test about to be set up

    def __init__(self, django_db_blocker):
        self.blocker = django_db_blocker
        self.transaction = None

    def load(self):
        with self.blocker.unblock():
            self.transaction = transaction.atomic()
            self.transaction.__enter__()
            try:
                call_command("load_demo", stdout=io.StringIO())
            except BaseException:
                self.roll_back()
                raise

    def roll_back(self):
        if self.transaction is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.transaction.__exit__(None, None, None)
        self.transaction = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of the test (pytest-django's transaction or flush among them)."""
    shares = _shares_demo(item)
    SharedDemo.next_test_shares = shares
    shared = SharedDemo.current
    if shared is not None and shared.transaction is not None and not shares:
        shared.roll_back()  # a test that must not see it, or must commit its own rows
    elif shared is not None and shared.transaction is None and shares:
        shared.load()


@pytest.fixture(scope="module")
def shared_demo(django_db_setup, django_db_blocker):
    shared = SharedDemo(django_db_blocker)
    if SharedDemo.next_test_shares:
        shared.load()
    SharedDemo.current = shared
    yield shared
    SharedDemo.current = None
    shared.roll_back()


@pytest.fixture
def demo(shared_demo, db):
    """The LSA's economic mission to Japan, June 2024, as the README's run command loads it."""
    if shared_demo.transaction is None:
        call_command("load_demo", stdout=io.StringIO())
    # Read again for each test: the rows are shared, the object a test may change is not.
    return Mission.objects.get(slug="japan-2024")


@pytest.fixture(scope="class")
def class_rows(django_db_setup, django_db_blocker):
    """
    A transaction around a class of tests, rolled back after its last: the rows a class-scoped
    fixture writes while depending on this are built once and shared by the class's tests, as
    Django's TestCase.setUpTestData shares them; each test still runs in a savepoint inside,
    so what a test writes is gone before the next. Tests of such a class must not change the
    shared Python objects (read them again instead), and must not be transactional.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def migrations_undone():
    """For a migration test: whatever it migrates to, the database ends at the latest again."""
    yield
    migrate_to_latest()


@pytest.fixture
def draft_world(db):
    return factories.make_draft_world()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw-editor")
    client.force_login(user)
    return client
