"""
Visits keep their place only: the free-text `site_name` and `city` go, nothing lost.

Migration 0012 made a place of every (site, city) pair and linked each visit to it; since
then a visit may have been given text again (an import of an older fixture, code) or a
place chosen by hand. Before the columns are dropped:

- a visit with text and no place is linked to the place that text names: the one 0012 made
  of the same text (same UUID), else a place of the same name and city, else a new one
  (as 0012 made them: the site as its name, the city as its city, no coordinates);
- a visit whose place says something else than its text (say the text named a room the
  place does not) keeps that text in its history: an entry whose reason quotes it;
- history entries with text and no place are linked to the place that text names likewise,
  so each entry still says where.

The PostgreSQL search vector of visits read the two columns: it is rebuilt without them,
with its indexes (see migration 0009; dropping a column would silently drop the generated
column that reads it, CASCADE). SQLite's vector column is a NULL placeholder and stays.
"""

import re
import uuid

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations, models
from django.db.models.functions import Concat, Upper
from django.utils import timezone

import diary.models.search_vector

# The namespace of migration 0012: the same text gives the same place on every instance.
PLACE_NAMESPACE = uuid.UUID("6f1d3c52-5c7e-4d57-9b0f-2f7d1c0e8a14")
FREE_TEXT = ("site_name", "city")
OLD_FIELDS = ("title", "summary", "body", "site_name", "city")
NEW_FIELDS = ("title", "summary", "body")


def place_uuid(site_name, city):
    return uuid.uuid5(PLACE_NAMESPACE, f"{site_name}\n{city}")


class Places:
    """The place a (site, city) text names: matched, else created; each text looked up once."""

    def __init__(self, apps):
        self.Place = apps.get_model("diary", "Place")
        self.known = {}

    def __call__(self, site_name, city):
        key = (site_name, city)
        if key not in self.known:
            name = (site_name.strip() or city.strip())[:200]
            city_name = city.strip()[:100]
            place = (
                self.Place.objects.filter(uuid=place_uuid(site_name, city)).first()
                or self.Place.objects.filter(name__iexact=name, city__iexact=city_name)
                .order_by("pk")
                .first()
                or self.Place.objects.create(
                    uuid=place_uuid(site_name, city), name=name, city=city_name
                )
            )
            self.known[key] = place
        return self.known[key]


def letters(text):
    """Text compared as its letters and digits in any case: "ispace, Tokyo" = "ispace Tokyo"."""
    return re.sub(r"\W+", "", text).casefold()


def says_the_same(place, site_name, city):
    """Each part of the text (site, city) is the place's name or city."""
    said = {letters(place.name), letters(place.city)}
    return all(letters(part) in said for part in (site_name, city) if letters(part))


REASON_LENGTH = 100  # simple_history's history_change_reason


def reasons(text):
    """The text in change reasons of at most 100 characters: as many as it takes, nothing cut."""
    prefix = "Site and city before places: "
    room = REASON_LENGTH - len(prefix) - len("(9/9) ")
    chunks = [text[start : start + room] for start in range(0, len(text), room)]
    if len(chunks) == 1:
        return [prefix + text]
    return [f"{prefix}({n}/{len(chunks)}) {chunk}" for n, chunk in enumerate(chunks, 1)]


def has_text():
    return ~models.Q(site_name__regex=r"^\s*$") | ~models.Q(city__regex=r"^\s*$")


def text_to_places(apps, schema_editor):
    Visit = apps.get_model("diary", "Visit")
    HistoricalVisit = apps.get_model("diary", "HistoricalVisit")
    places = Places(apps)
    for site_name, city in list(
        Visit.objects.filter(has_text(), place__isnull=True)
        .order_by()
        .values_list(*FREE_TEXT)
        .distinct()
    ):
        Visit.objects.filter(place__isnull=True, site_name=site_name, city=city).update(
            place=places(site_name, city)
        )

    copied = [
        field.attname
        for field in HistoricalVisit._meta.concrete_fields
        if not field.name.startswith("history_") and field.name != "id"
    ]
    now = timezone.now()
    entries = []
    for visit in Visit.objects.filter(has_text(), place__isnull=False).select_related("place"):
        if says_the_same(visit.place, visit.site_name, visit.city):
            continue
        text = ", ".join(part.strip() for part in (visit.site_name, visit.city) if part.strip())
        for reason in reasons(text):
            entry = HistoricalVisit(
                id=visit.pk,
                history_date=now,
                history_type="~",
                history_user=None,
                history_change_reason=reason,
            )
            for attname in copied:
                setattr(entry, attname, getattr(visit, attname))
            entries.append(entry)
    HistoricalVisit.objects.bulk_create(entries)

    for site_name, city in list(
        HistoricalVisit.objects.filter(has_text(), place__isnull=True)
        .order_by()
        .values_list(*FREE_TEXT)
        .distinct()
    ):
        HistoricalVisit.objects.filter(place__isnull=True, site_name=site_name, city=city).update(
            place=places(site_name, city).pk
        )
    if is_postgresql(schema_editor):
        # The foreign keys checked at commit are checked now: PostgreSQL alters no table
        # with such checks pending (the next operation drops columns).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def places_to_text(apps, schema_editor):
    """Backwards: each visit's text says its place again."""
    Visit = apps.get_model("diary", "Visit")
    for visit in Visit.objects.filter(place__isnull=False).select_related("place"):
        visit.site_name = visit.place.name
        visit.city = "" if visit.place.city == visit.place.name else visit.place.city
        visit.save(update_fields=FREE_TEXT)


def gin_indexes(fields):
    """As migration 0009 builds them (the search query and tests/test_search.py use the names)."""
    parts = []
    for field in fields:
        if parts:
            parts.append(models.Value("\n"))
        parts.append(models.F(field))
    text = Concat(*parts, output_field=models.TextField())
    return [
        GinIndex(fields=["search_vector"], name="diary_visit_search_gin"),
        GinIndex(OpClass(Upper(text), name="gin_trgm_ops"), name="diary_visit_text_trgm"),
    ]


def is_postgresql(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


def add_vector(Visit, schema_editor, fields):
    schema_editor.add_field(Visit, Visit._meta.get_field("search_vector"))
    for index in gin_indexes(fields):
        schema_editor.execute(index.create_sql(Visit, schema_editor))


def drop_vector(Visit, schema_editor, fields):
    for index in gin_indexes(fields):
        schema_editor.execute(index.remove_sql(Visit, schema_editor))
    schema_editor.remove_field(Visit, Visit._meta.get_field("search_vector"))


def drop_text_columns(apps, schema_editor):
    """Runs with the old fields in the models: the old vector goes first (PostgreSQL)."""
    Visit = apps.get_model("diary", "Visit")
    if is_postgresql(schema_editor):
        drop_vector(Visit, schema_editor, OLD_FIELDS)
    for model in (Visit, apps.get_model("diary", "HistoricalVisit")):
        for name in FREE_TEXT:
            schema_editor.remove_field(model, model._meta.get_field(name))


def add_text_columns(apps, schema_editor):
    Visit = apps.get_model("diary", "Visit")
    for model in (Visit, apps.get_model("diary", "HistoricalVisit")):
        for name in FREE_TEXT:
            schema_editor.add_field(model, model._meta.get_field(name))
    if is_postgresql(schema_editor):
        add_vector(Visit, schema_editor, OLD_FIELDS)


def add_new_vector(apps, schema_editor):
    """Runs with the new fields in the models."""
    if is_postgresql(schema_editor):
        add_vector(apps.get_model("diary", "Visit"), schema_editor, NEW_FIELDS)


def drop_new_vector(apps, schema_editor):
    if is_postgresql(schema_editor):
        drop_vector(apps.get_model("diary", "Visit"), schema_editor, NEW_FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0015_revisions"),
    ]

    operations = [
        migrations.RunPython(text_to_places, places_to_text),
        migrations.RunPython(drop_text_columns, add_text_columns),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="historicalvisit", name="city"),
                migrations.RemoveField(model_name="historicalvisit", name="site_name"),
                migrations.RemoveField(model_name="visit", name="city"),
                migrations.RemoveField(model_name="visit", name="site_name"),
                migrations.AlterField(
                    model_name="visit",
                    name="search_vector",
                    field=models.GeneratedField(
                        db_persist=True,
                        serialize=False,
                        expression=diary.models.search_vector.StoredSearchVector(*NEW_FIELDS),
                        output_field=django.contrib.postgres.search.SearchVectorField(null=True),
                    ),
                ),
            ]
        ),
        migrations.RunPython(add_new_vector, drop_new_vector),
    ]
