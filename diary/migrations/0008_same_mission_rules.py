"""
The database's copy of the rules clean() checks: a visit's day, an agreement's day of
signature and the visit it was signed during all belong to the record's own mission, and
cannot be moved to another mission from under it.

Django cannot express a rule across two tables, so this is SQL:
- PostgreSQL: composite foreign keys, (day_id, mission_id) → diary_day (id, mission_id) and
  the like, which refuse both a wrong reference and moving the referenced row.
- SQLite: triggers doing the same checks. SQLite drops a table's triggers when Django remakes
  the table (any later AlterField, AddConstraint, … on diary_day, diary_visit or
  diary_agreement): such a migration must run this one's SQL again. The tests in
  tests/hostile/test_integrity.py that expect an IntegrityError fail if it does not.

Existing rows that break the rules stop the migration with a list of them, rather than being
changed behind the editors' backs: fix them in the admin, then migrate again.
"""

from django.db import migrations

# Names end in _same_mission: tests/factories.py finds them by that suffix.
POSTGRESQL_FORWARD = [
    "ALTER TABLE diary_day ADD CONSTRAINT diary_day_id_mission_key UNIQUE (id, mission_id)",
    "ALTER TABLE diary_visit ADD CONSTRAINT diary_visit_id_mission_key UNIQUE (id, mission_id)",
    "ALTER TABLE diary_visit ADD CONSTRAINT diary_visit_day_same_mission"
    " FOREIGN KEY (day_id, mission_id) REFERENCES diary_day (id, mission_id)"
    " DEFERRABLE INITIALLY IMMEDIATE",
    "ALTER TABLE diary_agreement ADD CONSTRAINT diary_agreement_day_same_mission"
    " FOREIGN KEY (signed_day_id, mission_id) REFERENCES diary_day (id, mission_id)"
    " DEFERRABLE INITIALLY IMMEDIATE",
    "ALTER TABLE diary_agreement ADD CONSTRAINT diary_agreement_visit_same_mission"
    " FOREIGN KEY (signed_at_visit_id, mission_id) REFERENCES diary_visit (id, mission_id)"
    " DEFERRABLE INITIALLY IMMEDIATE",
]
POSTGRESQL_BACKWARD = [
    "ALTER TABLE diary_agreement DROP CONSTRAINT diary_agreement_visit_same_mission",
    "ALTER TABLE diary_agreement DROP CONSTRAINT diary_agreement_day_same_mission",
    "ALTER TABLE diary_visit DROP CONSTRAINT diary_visit_day_same_mission",
    "ALTER TABLE diary_visit DROP CONSTRAINT diary_visit_id_mission_key",
    "ALTER TABLE diary_day DROP CONSTRAINT diary_day_id_mission_key",
]


def _sqlite_trigger(name, event, table, when):
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {when} "
        f"BEGIN SELECT RAISE(ABORT, '{name}: the records belong to different missions'); END"
    )


VISIT_DAY_MISMATCH = (
    "NEW.day_id IS NOT NULL AND NEW.mission_id IS NOT "
    "(SELECT mission_id FROM diary_day WHERE id = NEW.day_id)"
)
AGREEMENT_MISMATCH = (
    "(NEW.signed_day_id IS NOT NULL AND NEW.mission_id IS NOT "
    "(SELECT mission_id FROM diary_day WHERE id = NEW.signed_day_id)) OR "
    "(NEW.signed_at_visit_id IS NOT NULL AND NEW.mission_id IS NOT "
    "(SELECT mission_id FROM diary_visit WHERE id = NEW.signed_at_visit_id))"
)
DAY_LEAVES_RECORDS = (
    "EXISTS (SELECT 1 FROM diary_visit WHERE day_id = NEW.id AND mission_id != NEW.mission_id)"
    " OR EXISTS (SELECT 1 FROM diary_agreement"
    " WHERE signed_day_id = NEW.id AND mission_id != NEW.mission_id)"
)
VISIT_LEAVES_AGREEMENTS = (
    "EXISTS (SELECT 1 FROM diary_agreement"
    " WHERE signed_at_visit_id = NEW.id AND mission_id != NEW.mission_id)"
)
SQLITE_TRIGGERS = [
    ("diary_visit_same_mission_insert", "INSERT", "diary_visit", VISIT_DAY_MISMATCH),
    (
        "diary_visit_same_mission_update",
        "UPDATE OF day_id, mission_id",
        "diary_visit",
        VISIT_DAY_MISMATCH,
    ),
    (
        "diary_visit_same_mission_keeps_agreements",
        "UPDATE OF mission_id",
        "diary_visit",
        VISIT_LEAVES_AGREEMENTS,
    ),
    ("diary_agreement_same_mission_insert", "INSERT", "diary_agreement", AGREEMENT_MISMATCH),
    (
        "diary_agreement_same_mission_update",
        "UPDATE OF signed_day_id, signed_at_visit_id, mission_id",
        "diary_agreement",
        AGREEMENT_MISMATCH,
    ),
    ("diary_day_same_mission_keeps_records", "UPDATE OF mission_id", "diary_day", DAY_LEAVES_RECORDS),
]

BROKEN_ROWS = [
    (
        "visit whose day belongs to another mission",
        "SELECT v.uuid FROM diary_visit v JOIN diary_day d ON d.id = v.day_id"
        " WHERE d.mission_id != v.mission_id",
    ),
    (
        "agreement whose day of signature belongs to another mission",
        "SELECT a.uuid FROM diary_agreement a JOIN diary_day d ON d.id = a.signed_day_id"
        " WHERE d.mission_id != a.mission_id",
    ),
    (
        "agreement signed during a visit of another mission",
        "SELECT a.uuid FROM diary_agreement a JOIN diary_visit v ON v.id = a.signed_at_visit_id"
        " WHERE v.mission_id != a.mission_id",
    ),
]


def forward(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        broken = []
        for what, query in BROKEN_ROWS:
            cursor.execute(query)
            broken += [f"{what}: {uuid}" for (uuid,) in cursor.fetchall()]
    if broken:
        raise RuntimeError(
            "These records point into another mission; fix them in the admin, then migrate "
            "again:\n" + "\n".join(broken)
        )
    if connection.vendor == "postgresql":
        statements = POSTGRESQL_FORWARD
    elif connection.vendor == "sqlite":
        statements = [_sqlite_trigger(*trigger) for trigger in SQLITE_TRIGGERS]
    else:
        return  # other databases: clean() (admin, import) is the only guard
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRESQL_BACKWARD
    elif vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name, *_ in SQLITE_TRIGGERS]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0007_bounded_dates"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
