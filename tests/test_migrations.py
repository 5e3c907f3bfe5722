"""Every migration of the diary can be undone: a deploy rolled back takes its schema with it."""

from django.db.migrations.loader import MigrationLoader


def test_every_diary_migration_says_how_to_undo_each_of_its_operations():
    # Walking back through all of them takes most of a minute (see test_agreement_migration);
    # the walks back that the migration tests make (0012, 0017 to 0020) run the undo code too.
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files, not the database
    irreversible = [
        f"{name}: {operation.describe()}"
        for (app, name), migration in sorted(loader.disk_migrations.items())
        if app == "diary"
        for operation in migration.operations
        if not operation.reversible
    ]
    assert irreversible == []
