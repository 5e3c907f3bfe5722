"""
A large, realistic, reproducible diary for load tests: many missions, days, visits, the
organisations and people met, agreements. Rows go in with bulk_create (no signals), so the
caller bumps the content version once at the end.
"""

import datetime
import random
import uuid
from dataclasses import dataclass

from django.db import transaction

from .models import (
    Agreement,
    AgreementKind,
    ContentVersion,
    Day,
    Mission,
    Organisation,
    Person,
    Place,
    Visit,
)

COUNTRIES = ["Japan", "Canada", "India", "Brazil", "Kenya", "Norway", "Australia", "Chile"]
# A mission's host country and an organisation's country are ISO 3166-1 codes.
COUNTRY_CODES = {
    "Japan": "JP",
    "Canada": "CA",
    "India": "IN",
    "Brazil": "BR",
    "Kenya": "KE",
    "Norway": "NO",
    "Australia": "AU",
    "Chile": "CL",
}
ZONES = {
    "Japan": "Asia/Tokyo",
    "Canada": "America/Toronto",
    "India": "Asia/Kolkata",
    "Brazil": "America/Sao_Paulo",
    "Kenya": "Africa/Nairobi",
    "Norway": "Europe/Oslo",
    "Australia": "Australia/Sydney",
    "Chile": "America/Santiago",
}
WORDS = [
    "orbit",
    "lunar",
    "launch",
    "satellite",
    "rover",
    "station",
    "payload",
    "thruster",
    "relay",
    "survey",
]
# Cities visits happen in, with their country and the rough coordinates of their centre;
# generated places are scattered within about 10 km of it.
CITIES = [
    ("Tokyo", "JP", 35.68, 139.76),
    ("Osaka", "JP", 34.69, 135.50),
    ("Toronto", "CA", 43.65, -79.38),
    ("Pune", "IN", 18.52, 73.86),
    ("Oslo", "NO", 59.91, 10.75),
]
PLACES_PER_CITY = 40
BATCH = 2000


@dataclass
class Sizes:
    missions: int = 300
    max_days: int = 30
    visits_per_day: int = 20
    organisations: int = 5000
    people: int = 10000
    agreements: int = 2000


class Generator:
    def __init__(self, seed, prefix):
        # The prefix is part of the seed: a second data set beside the first gets new UUIDs.
        self.rng = random.Random(f"{seed}:{prefix}")
        self.prefix = prefix

    def uuid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def words(self, n):
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    def organisations(self, count):
        kinds = [kind for kind, _ in Organisation.Kind.choices]
        return Organisation.objects.bulk_create(
            [
                Organisation(
                    uuid=self.uuid(),
                    name=f"{self.words(2)} {kind.replace('_', ' ').title()} {n}",
                    slug=f"{self.prefix}-org-{n}",
                    short_name=f"O{n}" if n % 3 == 0 else "",
                    country=COUNTRY_CODES[self.rng.choice(COUNTRIES)],
                    kind=kind,
                )
                for n in range(count)
                for kind in [self.rng.choice(kinds)]
            ],
            batch_size=BATCH,
        )

    def people(self, count, organisations):
        return Person.objects.bulk_create(
            [
                Person(
                    uuid=self.uuid(),
                    name=f"Person {self.words(1)} {n}",
                    slug=f"{self.prefix}-person-{n}",
                    honorific=self.rng.choice(["", "", "Dr", "Prof."]),
                    role=self.rng.choice(["", "President", "Director", "Engineer", "Minister"]),
                    organisation=self.rng.choice(organisations) if n % 5 else None,
                )
                for n in range(count)
            ],
            batch_size=BATCH,
        )

    def missions(self, count, max_days, slugs=None):
        """Missions; one in ten is a draft. slugs: fixed slugs instead of numbered ones."""
        slugs = slugs or [f"{self.prefix}-mission-{n}" for n in range(count)]
        missions = []
        for n, slug in enumerate(slugs):
            country = self.rng.choice(COUNTRIES)
            start = datetime.date(2015, 1, 1) + datetime.timedelta(days=self.rng.randrange(3650))
            length = self.rng.randint(1, max_days)
            missions.append(
                Mission(
                    uuid=self.uuid(),
                    title=f"Mission to {country}: {self.words(2)} {n}",
                    slug=slug,
                    summary=self.words(12),
                    host_country=COUNTRY_CODES[country],
                    timezone=ZONES[country],
                    start_date=start,
                    end_date=start + datetime.timedelta(days=length - 1),
                    status=Mission.Status.DRAFT if n % 10 == 9 else Mission.Status.PUBLISHED,
                )
            )
        return Mission.objects.bulk_create(missions, batch_size=BATCH)

    def days(self, missions):
        return Day.objects.bulk_create(
            [
                Day(
                    uuid=self.uuid(),
                    mission=mission,
                    date=mission.start_date + datetime.timedelta(days=offset),
                    title=self.words(3) if offset % 2 == 0 else "",
                )
                for mission in missions
                for offset in range((mission.end_date - mission.start_date).days + 1)
            ],
            batch_size=BATCH,
        )

    def places(self):
        """Places in each of CITIES, with coordinates (test data, said so in their note)."""
        places = []
        for city, country, latitude, longitude in CITIES:
            for n in range(PLACES_PER_CITY):
                places.append(
                    Place(
                        uuid=self.uuid(),
                        name=f"{self.words(2)} {n}",
                        city=city,
                        country=country,
                        latitude=f"{latitude + self.rng.uniform(-0.1, 0.1):.6f}",
                        longitude=f"{longitude + self.rng.uniform(-0.1, 0.1):.6f}",
                        coordinates_source="Generated test data",
                    )
                )
        return Place.objects.bulk_create(places, batch_size=BATCH)

    def visits(self, mission_days, visits_per_mission, places):
        """visits_per_mission: {mission: number of visits}; about 3 % are undated, 20 % untimed."""
        visits = []
        for mission, total in visits_per_mission.items():
            days = mission_days[mission.pk]
            for n in range(total):
                undated = not days or self.rng.random() < 0.03
                timed = not undated and self.rng.random() < 0.8
                start = self.rng.randint(8 * 4, 18 * 4) if timed else None
                visits.append(
                    Visit(
                        uuid=self.uuid(),
                        mission=mission,
                        day=None if undated else days[n % len(days)],
                        title=f"Visit to {self.words(2)} {n}",
                        slug=f"visit-{n}",
                        summary=self.words(15),
                        place=self.rng.choice(places),
                        starts_at=datetime.time(start // 4, start % 4 * 15) if timed else None,
                        ends_at=datetime.time(start // 4 + 1, start % 4 * 15) if timed else None,
                        position=n,
                    )
                )
        return Visit.objects.bulk_create(visits, batch_size=BATCH)

    def link(self, relation, owners, targets, low, high):
        """Bulk-insert each owner's `low`–`high` distinct targets into the M2M through table."""
        through = relation.through
        owner_field = relation.field.m2m_field_name()
        target_field = relation.field.m2m_reverse_field_name()
        rows = [
            through(**{owner_field: owner, target_field: target})
            for owner in owners
            for target in self.rng.sample(targets, min(self.rng.randint(low, high), len(targets)))
        ]
        through.objects.bulk_create(rows, batch_size=BATCH)

    def agreements(self, count, missions, organisations, mission_days):
        # The kinds migration 0010 seeds; a database emptied since gets one back.
        kinds = list(AgreementKind.objects.all()) or [
            AgreementKind.objects.create(
                name="Memorandum of Cooperation", abbreviation="MoC", slug="moc"
            )
        ]
        levels = [level for level, _ in Agreement.Level.choices]
        agreements = []
        for n in range(count):
            mission = missions[n % len(missions)]
            days = mission_days[mission.pk]
            day = self.rng.choice(days) if days and self.rng.random() < 0.5 else None
            agreements.append(
                Agreement(
                    uuid=self.uuid(),
                    mission=mission,
                    kind=self.rng.choice(kinds),
                    level=self.rng.choice(levels),
                    title=f"Agreement on {self.words(3)} {n}",
                    slug=f"{self.prefix}-agreement-{n}",
                    signed_day=day,
                    signed_on=day.date if day else None,
                    summary=self.words(20),
                )
            )
        agreements = Agreement.objects.bulk_create(agreements, batch_size=BATCH)
        self.link(Agreement.parties, agreements, organisations, 2, 3)
        return agreements


def generate(sizes, seed=1, prefix="gen", sized_missions=()):
    """
    sized_missions: (slug, number of visits) pairs for missions of an exact size, on top of
    `sizes.missions` random ones. Returns {model name: rows created}.
    """
    generator = Generator(seed, prefix)
    with transaction.atomic():
        organisations = generator.organisations(sizes.organisations)
        people = generator.people(sizes.people, organisations)
        missions = generator.missions(sizes.missions, sizes.max_days)
        exact = generator.missions(
            len(sized_missions), sizes.max_days, slugs=[slug for slug, _ in sized_missions]
        )
        for mission in exact:  # benchmark missions are public and span the longest stay
            mission.status = Mission.Status.PUBLISHED
            mission.end_date = mission.start_date + datetime.timedelta(days=sizes.max_days - 1)
        Mission.objects.bulk_update(exact, ["status", "end_date"])
        days = generator.days([*missions, *exact])
        mission_days = {mission.pk: [] for mission in [*missions, *exact]}
        for day in days:
            mission_days[day.mission_id].append(day)
        per_mission = {m: len(mission_days[m.pk]) * sizes.visits_per_day for m in missions}
        per_mission.update({m: total for m, (_, total) in zip(exact, sized_missions, strict=True)})
        places = generator.places()
        visits = generator.visits(mission_days, per_mission, places)
        generator.link(Visit.organisations, visits, organisations, 1, 3)
        generator.link(Visit.people, visits, people, 0, 2)
        generator.link(Mission.delegation, missions, people, 2, 5)
        agreements = generator.agreements(
            sizes.agreements, missions or exact, organisations, mission_days
        )
        ContentVersion.bump()
    return {
        "organisations": len(organisations),
        "people": len(people),
        "missions": len(missions) + len(exact),
        "days": len(days),
        "places": len(places),
        "visits": len(visits),
        "agreements": len(agreements),
    }
