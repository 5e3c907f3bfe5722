"""
Migration 0018: a mission's host country, the English name staff typed, becomes its ISO code
(and its history's too); a name that is no country stops it with the mission named, nothing
written; unapplied, the codes become English names again. Migration 0020 does the same for an
organisation's country, which may be empty. Only the migration's own step is migrated, back
and forth.
"""

from dataclasses import dataclass

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .support import migrate


@dataclass
class Step:
    """
    One migration's records: before and after it, which model and field, how one is made, and
    the countries it converts, {slug: (stored before, after the migration, after unapplying
    it)} (the first record also has a history entry holding the same).
    """

    before: list
    after: list
    model: str
    field: str
    defaults: dict
    conversions: dict

    def make(self, apps, slug, country, **fields):
        return apps.get_model("diary", self.model).objects.create(
            slug=slug, **{self.field: country, **self.defaults(slug), **fields}
        )

    def history(self, apps, record, country):
        """A history entry of `record` from when its country was `country`."""
        copied = {name: getattr(record, name) for name in ("uuid", "slug", *self.defaults(""))}
        return apps.get_model("diary", f"Historical{self.model}").objects.create(
            id=record.pk,
            **copied,
            **{self.field: country},
            history_date=timezone.now(),
            history_type="+",
        )

    def stored(self, apps, history=False):
        """{slug: country} as the database holds it."""
        model = apps.get_model("diary", f"Historical{self.model}" if history else self.model)
        return {row.slug: getattr(row, self.field) for row in model.objects.order_by("slug")}


MISSIONS = Step(
    [("diary", "0017_content_translations")],
    [("diary", "0018_mission_host_country_iso")],
    "Mission",
    "host_country",
    lambda slug: {
        "title": f"Mission {slug}",
        "start_date": "2024-06-10",
        "end_date": "2024-06-14",
    },
    {
        "japan": ("Japan", "JP", "Japan"),
        "code": ("jp", "JP", "Japan"),
        "spaced": (" France ", "FR", "France"),
        # django-countries' English name today comes back: the old one is not kept.
        "old-name": ("Turkey", "TR", "Türkiye"),
    },
)
ORGANISATIONS = Step(
    [("diary", "0019_translated_orderings_and_unique_names")],
    [("diary", "0020_organisation_country_iso")],
    "Organisation",
    "country",
    lambda slug: {"name": f"Organisation {slug}", "kind": "other"},
    {
        "jaxa": ("Japan", "JP", "Japan"),
        "lsa": ("lu", "LU", "Luxembourg"),
        "spaced": (" France ", "FR", "France"),
        "nowhere": ("", "", ""),
    },
)


@pytest.mark.parametrize(
    "step", [MISSIONS, ORGANISATIONS], ids=["host country", "organisation country"]
)
@pytest.mark.django_db(transaction=True)
def test_country_names_become_iso_codes_and_back(migrations_undone, step):
    values = step.conversions
    old = migrate(step.before)
    records = [step.make(old, slug, before) for slug, (before, _, _) in values.items()]
    first = records[0].slug
    step.history(old, records[0], values[first][0])

    new = migrate(step.after)
    assert step.stored(new) == {slug: after for slug, (_, after, _) in values.items()}
    assert step.stored(new, history=True) == {first: values[first][1]}

    old = migrate(step.before)
    assert step.stored(old) == {slug: back for slug, (_, _, back) in values.items()}
    assert step.stored(old, history=True) == {first: values[first][2]}


@pytest.mark.parametrize(
    ("step", "far_away", "named"),
    [
        (MISSIONS, {"title": "Far away"}, "mission “far-away” (Far away)"),
        (ORGANISATIONS, {"name": "Far Away Agency"}, "organisation “far-away” (Far Away Agency)"),
    ],
    ids=["host country", "organisation country"],
)
@pytest.mark.django_db(transaction=True)
def test_a_country_that_is_no_country_stops_the_migration_naming_its_record(
    migrations_undone, step, far_away, named
):
    old = migrate(step.before)
    step.make(old, "japan", "Japan")
    step.make(old, "far-away", "Nippon Land", **far_away)
    with pytest.raises(CommandError) as refused:
        migrate(step.after)
    message = str(refused.value)
    assert f"{named}: “Nippon Land”" in message
    assert "japan" not in message
    # Nothing written, and the migration not recorded: the column still holds the names.
    assert step.stored(old) == {"far-away": "Nippon Land", "japan": "Japan"}
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert step.after[0] not in applied

    old.get_model("diary", step.model).objects.filter(slug="far-away").update(**{step.field: "JP"})
    assert step.stored(migrate(step.after)) == {"far-away": "JP", "japan": "JP"}
