"""
The database's copy of the rules clean() checks: a visit's day, an agreement's day of
signature and the visit it was signed during all belong to the record's own mission, and
cannot be moved to another mission from under it.

Django cannot express a rule across two tables, so this is SQL, on PostgreSQL only:
composite foreign keys, (day_id, mission_id) → diary_day (id, mission_id) and the like, which
refuse both a wrong reference and moving the referenced row. On SQLite (the one-machine
default) clean() — run by the admin and by imports — is the guard: triggers could do the
same, but SQLite drops or breaks a table's triggers whenever Django remakes a table in a
later migration (any AddField, AlterField, … on these three tables), which would make every
future migration responsible for re-creating them.

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
    if connection.vendor != "postgresql":
        return  # elsewhere clean() (admin, import) is the guard: see the module docstring
    for statement in POSTGRESQL_FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in POSTGRESQL_BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0007_bounded_dates"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
