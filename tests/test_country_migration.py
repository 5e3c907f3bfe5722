"""
Migration 0018: a mission's host country, the English name staff typed, becomes its ISO code
(and its history's too); a name that is no country stops it with the mission named, nothing
written; unapplied, the codes become English names again. Migration 0020 does the same for an
organisation's country. Only the migration's own step is migrated, back and forth.
"""

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .support import migrate, migrate_to_latest

BEFORE = [("diary", "0017_content_translations")]
AFTER = [("diary", "0018_mission_host_country_iso")]


@pytest.fixture
def migrations_undone():
    """Whatever a test leaves, the database ends migrated to the latest state again."""
    yield
    migrate_to_latest()


def old_mission(apps, slug, host_country, **fields):
    defaults = {"title": f"Mission {slug}", "start_date": "2024-06-10", "end_date": "2024-06-14"}
    return apps.get_model("diary", "Mission").objects.create(
        slug=slug, host_country=host_country, **{**defaults, **fields}
    )


def host_countries(apps, model_name="Mission"):
    rows = apps.get_model("diary", model_name).objects.order_by("slug")
    return {row.slug: row.host_country for row in rows}


@pytest.mark.django_db(transaction=True)
def test_host_country_names_become_iso_codes_and_back(migrations_undone):
    old = migrate(BEFORE)
    japan = old_mission(old, "japan", "Japan")
    old_mission(old, "code", "jp")
    old_mission(old, "spaced", " France ")
    old_mission(old, "old-name", "Turkey")
    old.get_model("diary", "HistoricalMission").objects.create(
        id=japan.pk,
        uuid=japan.uuid,
        title=japan.title,
        slug=japan.slug,
        host_country="Japan",
        start_date=japan.start_date,
        end_date=japan.end_date,
        history_date=timezone.now(),
        history_type="+",
    )

    new = migrate(AFTER)
    assert host_countries(new) == {"code": "JP", "japan": "JP", "old-name": "TR", "spaced": "FR"}
    assert host_countries(new, "HistoricalMission") == {"japan": "JP"}

    old = migrate(BEFORE)
    assert host_countries(old) == {
        "code": "Japan",
        "japan": "Japan",
        # django-countries' English name today: the old one is not kept.
        "old-name": "Türkiye",
        "spaced": "France",
    }
    assert host_countries(old, "HistoricalMission") == {"japan": "Japan"}


@pytest.mark.django_db(transaction=True)
def test_a_host_country_that_is_no_country_stops_the_migration_naming_the_mission(
    migrations_undone,
):
    old = migrate(BEFORE)
    old_mission(old, "japan", "Japan")
    old_mission(old, "far-away", "Nippon Land", title="Far away")
    with pytest.raises(CommandError) as refused:
        migrate(AFTER)
    message = str(refused.value)
    assert "mission “far-away” (Far away): “Nippon Land”" in message
    assert "japan" not in message
    # Nothing written, and the migration not recorded: the column still holds the names.
    assert host_countries(old) == {"far-away": "Nippon Land", "japan": "Japan"}
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert AFTER[0] not in applied

    old.get_model("diary", "Mission").objects.filter(slug="far-away").update(host_country="JP")
    assert host_countries(migrate(AFTER)) == {"far-away": "JP", "japan": "JP"}


# Migration 0020: an organisation's country, likewise; an empty one stays empty.
BEFORE_ORGANISATIONS = [("diary", "0019_translated_orderings_and_unique_names")]
AFTER_ORGANISATIONS = [("diary", "0020_organisation_country_iso")]


def old_organisation(apps, slug, country, **fields):
    return apps.get_model("diary", "Organisation").objects.create(
        slug=slug, country=country, **{"name": f"Organisation {slug}", **fields}
    )


def organisation_countries(apps, model_name="Organisation"):
    rows = apps.get_model("diary", model_name).objects.order_by("slug")
    return {row.slug: row.country for row in rows}


@pytest.mark.django_db(transaction=True)
def test_organisation_country_names_become_iso_codes_and_back(migrations_undone):
    old = migrate(BEFORE_ORGANISATIONS)
    jaxa = old_organisation(old, "jaxa", "Japan", name="JAXA")
    old_organisation(old, "lsa", "lu")
    old_organisation(old, "spaced", " France ")
    old_organisation(old, "nowhere", "")
    old.get_model("diary", "HistoricalOrganisation").objects.create(
        id=jaxa.pk,
        uuid=jaxa.uuid,
        name=jaxa.name,
        slug=jaxa.slug,
        country="Japan",
        kind=jaxa.kind,
        history_date=timezone.now(),
        history_type="+",
    )

    new = migrate(AFTER_ORGANISATIONS)
    assert organisation_countries(new) == {"jaxa": "JP", "lsa": "LU", "nowhere": "", "spaced": "FR"}
    assert organisation_countries(new, "HistoricalOrganisation") == {"jaxa": "JP"}

    old = migrate(BEFORE_ORGANISATIONS)
    assert organisation_countries(old) == {
        "jaxa": "Japan",
        "lsa": "Luxembourg",
        "nowhere": "",
        "spaced": "France",
    }
    assert organisation_countries(old, "HistoricalOrganisation") == {"jaxa": "Japan"}


@pytest.mark.django_db(transaction=True)
def test_an_organisation_country_that_is_no_country_stops_the_migration_naming_it(
    migrations_undone,
):
    old = migrate(BEFORE_ORGANISATIONS)
    old_organisation(old, "jaxa", "Japan")
    old_organisation(old, "far-away", "Nippon Land", name="Far Away Agency")
    with pytest.raises(CommandError) as refused:
        migrate(AFTER_ORGANISATIONS)
    message = str(refused.value)
    assert "organisation “far-away” (Far Away Agency): “Nippon Land”" in message
    assert "jaxa" not in message
    # Nothing written, and the migration not recorded: the column still holds the names.
    assert organisation_countries(old) == {"far-away": "Nippon Land", "jaxa": "Japan"}
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert AFTER_ORGANISATIONS[0] not in applied

    old.get_model("diary", "Organisation").objects.filter(slug="far-away").update(country="JP")
    assert organisation_countries(migrate(AFTER_ORGANISATIONS)) == {"far-away": "JP", "jaxa": "JP"}
