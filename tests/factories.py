"""Small builders for test data: sensible defaults, override what the test is about."""

import datetime
import itertools

from diary.models import Agreement, AgreementKind, Day, Mission, Organisation, Person, Visit

_counter = itertools.count(1)


def _n():
    return next(_counter)


def unsaved_mission(**fields):
    """A published mission in Japan, 10–14 June 2024, not yet saved; `fields` override."""
    n = _n()
    defaults = {
        "title": f"Mission {n}",
        "slug": f"mission-{n}",
        "host_country": "JP",
        "timezone": "Asia/Tokyo",
        "start_date": datetime.date(2024, 6, 10),
        "end_date": datetime.date(2024, 6, 14),
        "status": Mission.Status.PUBLISHED,
    }
    return Mission(**{**defaults, **fields})


def make_mission(**fields):
    mission = unsaved_mission(**fields)
    mission.save()
    return mission


def make_draft_mission(**fields):
    return make_mission(**{"status": Mission.Status.DRAFT, **fields})


def make_day(mission, date=None, **fields):
    return Day.objects.create(mission=mission, date=date or mission.start_date, **fields)


def make_organisation(**fields):
    n = _n()
    defaults = {"name": f"Organisation {n}", "slug": f"organisation-{n}", "country": "JP"}
    return Organisation.objects.create(**{**defaults, **fields})


def make_person(**fields):
    n = _n()
    defaults = {"name": f"Person {n}", "slug": f"person-{n}"}
    return Person.objects.create(**{**defaults, **fields})


def make_visit(mission, day=None, organisations=(), people=(), **fields):
    n = _n()
    defaults = {"title": f"Visit {n}", "slug": f"visit-{n}"}
    visit = Visit.objects.create(mission=mission, day=day, **{**defaults, **fields})
    visit.organisations.set(organisations)
    visit.people.set(people)
    return visit


KINDS = {
    "moc": ("Memorandum of Cooperation", "MoC"),
    "mou": ("Memorandum of Understanding", "MoU"),
    "loi": ("Letter of Intent", "LoI"),
}


def agreement_kind(slug):
    """A seeded kind (migration 0010), back if a test emptied the tables."""
    name, abbreviation = KINDS.get(slug, (slug.title(), ""))
    return AgreementKind.objects.get_or_create(
        slug=slug, defaults={"name": name, "abbreviation": abbreviation}
    )[0]


def make_agreement(mission, parties=(), **fields):
    n = _n()
    defaults = {
        "title": f"Agreement {n}",
        "slug": f"agreement-{n}",
        "kind": agreement_kind("moc"),
        "level": Agreement.Level.AGENCY,
    }
    if isinstance(fields.get("kind"), str):
        fields["kind"] = agreement_kind(fields["kind"])
    agreement = Agreement.objects.create(mission=mission, **{**defaults, **fields})
    agreement.parties.set(parties)
    return agreement


def make_draft_world():
    """A draft mission with a day, a visit, an organisation, a person and an agreement of its own."""
    mission = make_draft_mission(title="Secret mission", slug="secret-mission")
    day = make_day(mission, title="Secret day")
    organisation = make_organisation(name="Hidden Partner", slug="hidden-partner")
    person = make_person(name="Hidden Person", slug="hidden-person", organisation=organisation)
    visit = make_visit(
        mission,
        day=day,
        title="Secret visit",
        slug="secret-visit",
        organisations=[organisation],
        people=[person],
    )
    agreement = make_agreement(
        mission, parties=[organisation], title="Secret agreement", slug="secret-agreement"
    )
    return {
        "mission": mission,
        "day": day,
        "organisation": organisation,
        "person": person,
        "visit": visit,
        "agreement": agreement,
    }


def drop_same_mission_checks():
    """
    Drop the database's same-mission checks (migration 0008) inside the test's transaction,
    which rolls the drop back afterwards: the only way to build the inconsistent rows that
    older data may hold, to prove the pages survive them.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # only PostgreSQL holds them (SQLite relies on clean(): see the migration)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE conname LIKE 'diary\\_%\\_same\\_mission'"
        )
        for table, name in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def make_place(**fields):
    from diary.models import Place

    n = _n()
    defaults = {
        "name": f"Place {n}",
        "city": "Tokyo",
        "country": "JP",
        "latitude": "35.681200",
        "longitude": "139.767100",
        "coordinates_source": "Test data",
    }
    return Place.objects.create(**{**defaults, **fields})
