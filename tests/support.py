"""Shared test settings and helpers (tests never import other test modules)."""

import contextlib
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

from bench.scratch import scratch_postgres

# The most queries a public page may make (tests/test_performance.py, tests/test_search.py).
MAX_PUBLIC_PAGE_QUERIES = 10


# --- How each fact is known (tests/test_provenance.py) ----------------------------------------

# The demo's one source: the LSA's own article (diary/fixtures/lsa-japan-mission-2024.json).
DEMO_SOURCE_UUID = "5e8127f6-d6a4-4a50-8e49-a22c118f5b5e"


def by_class(element, name, tag="*"):
    """The descendants of an lxml element with class `name` (and tag `tag`), in page order."""
    return element.xpath(
        f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    )


def provenance_of(element):
    """
    The provenance lines (includes/provenance.html) inside an lxml element, in page order:
    each a dict of the source links it cites, its "inferred:" and "reference data:" notes,
    and its owner, the nearest <article>, <section>, <header> or <dd> holding it (so a day's
    own line can be told from its visit cards').
    """
    lines = []
    for line in by_class(element, "provenance"):
        owner = next(
            a for a in line.iterancestors() if a.tag in {"article", "section", "header", "dd"}
        )

        def note(kind, line=line):
            found = by_class(line, f"provenance__{kind}")
            if not found:
                return ""
            label = by_class(found[0], "provenance__kind")[0].text_content()
            return found[0].text_content().removeprefix(label).strip()

        lines.append(
            {
                "sources": [a.get("href") for a in by_class(line, "source-link", "a")],
                "inferred": note("inferred"),
                "reference": note("reference"),
                "owner": owner,
            }
        )
    return lines


# --- The diary read in French and Japanese (tests/test_content_translation_*.py) ------------


def translate_where_missing(mission):
    """
    Give the mission, its days and visits a French and a Japanese title and summary wherever
    they have none (marked "[fr] …", "[ja] …"), leaving translations already there alone; the
    accounts (visit bodies) stay untranslated. Returns the mission, read again.
    """
    records = [mission, *mission.days.all(), *mission.visits.all()]
    for record in records:
        for field in ("title", "summary"):
            english = getattr(record, f"{field}_en")
            for language in ("fr", "ja"):
                if english and not getattr(record, f"{field}_{language}"):
                    setattr(record, f"{field}_{language}", f"[{language}] {english}")
        record.save()
    return type(mission).objects.get(pk=mission.pk)


# --- Migration tests (tests/test_places.py, test_country_migration.py, test_content_translation.py,
# test_agreement_migration.py)


def migrate(targets):
    """Migrate the test database to `targets`; the apps of that state, to make old records."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    """What a migration test leaves, for the tests after it: every migration applied."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_mission(apps, **fields):
    """A mission made in the migration state `apps`, from before host countries were codes."""
    fields = {"title": "M", "slug": "m", "host_country": "Japan", **fields}
    return apps.get_model("diary", "Mission").objects.create(
        start_date="2024-06-10", end_date="2024-06-14", **fields
    )


@contextmanager
def database_of_its_own():
    """
    For a test of an early migration: inside the block an empty database of its own stands in
    for the test database (`connection` is it), to be migrated forward from nothing to just
    before the migration and then through it, rather than taking the test database back
    through every later migration and forward again (most of a minute: Django re-renders the
    models' state at each step, and SQLite rebuilds each table a step touches). The test
    database is not touched and is `connection` again after the block; the other is dropped.
    """
    test_database = connections[DEFAULT_DB_ALIAS]
    with contextlib.ExitStack() as cleanup:
        if test_database.vendor == "sqlite":
            folder = cleanup.enter_context(tempfile.TemporaryDirectory())
            name = str(Path(folder) / "own.sqlite3")
        else:
            # bench/scratch.py's: `<name>_own` beside the test database, dropped after.
            url = scratch_postgres(database_url(test_database.settings_dict), "_own")
            name = urlsplit(cleanup.enter_context(url)).path.lstrip("/")
        own = type(test_database)({**test_database.settings_dict, "NAME": name}, DEFAULT_DB_ALIAS)
        connections[DEFAULT_DB_ALIAS] = own
        try:
            yield
        finally:
            connections[DEFAULT_DB_ALIAS] = test_database
            own.close()


def database_url(settings_dict):
    """A DATABASE_URL for the PostgreSQL database a DATABASES entry names (e.g. the test's)."""
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"
