"""
The stored full-text vector of each searched model (see diary/search.py).

Why a generated column: the database computes it from the row itself, so it is current after
every kind of write — admin saves, imports, loaddata, QuerySet.update, raw SQL — with no
signal or trigger to forget. A functional GIN index alone would let PostgreSQL find matches
fast, but ranking still rebuilt the vector of every match (a common word matches most of
~11,000 visits); the stored column is read instead. to_tsvector with an explicit
configuration, setweight, coalesce and || are immutable, as a generated column requires.

Only PostgreSQL has text search: on any other database (SQLite) the column is NULL and
search uses its substring rule alone. The GIN index over the column is created by migration
0009 on PostgreSQL only (`USING gin` is not SQLite syntax, so it cannot be in Meta.indexes,
which SQLite's schema editor replays when it rebuilds a table).
"""

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Concat

TEXT_SEARCH_CONFIG = "simple"


# The languages content is written in (settings.LANGUAGES; diary/translation.py adds one
# column per language to each translated field). Written out, not read from settings: a
# migration's vector must not change when a language is added.
LANGUAGE_COLUMNS = ("en", "fr", "ja")


def translated(field):
    """A translated field's columns: translated("title") is title_en, title_fr, title_ja."""
    return tuple(f"{field}_{language}" for language in LANGUAGE_COLUMNS)


class StoredSearchVector(models.Func):
    """
    A record's name weighted A, its other searched fields weighted B; NULL off PostgreSQL.
    `names` says how many of the fields are its name: its title in each language.
    """

    template = "%(expressions)s"
    output_field = SearchVectorField()

    def __init__(self, name, *others, names=1):
        fields = (name, *others)
        document = SearchVector(*fields[:names], weight="A", config=TEXT_SEARCH_CONFIG)
        if fields[names:]:
            document += SearchVector(*fields[names:], weight="B", config=TEXT_SEARCH_CONFIG)
        super().__init__(document)

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, **extra_context)


def search_vector_field(name, *others, names=1):
    """The generated column for a model whose searched fields are `name, *others`."""
    return models.GeneratedField(
        # names only when not 1, so that the vectors migrations wrote before it stay as they are.
        expression=StoredSearchVector(name, *others, **({"names": names} if names != 1 else {})),
        output_field=SearchVectorField(null=True),
        db_persist=True,
        # Derived data: not part of exports, fixtures or dumpdata (the importing database
        # computes its own).
        serialize=False,
    )


def search_text(*fields):
    """
    A record's searched fields as one text: PostgreSQL's substring rule.

    Each word of a query must be a substring of at least one field. Query words never
    contain whitespace (they are split on it), so a word is a substring of one of the fields
    exactly when it is a substring of the fields joined by newlines — and that one
    expression can have one trigram index (migration 0009), where a word tested against each
    field separately needs a scan of every row (ILIKE '%word%' cannot use a B-tree).
    Concat reads a NULL field as ''. The index is on UPPER(this), which is what Django's
    icontains compares on PostgreSQL.
    """
    parts = []
    for field in fields:
        if parts:
            parts.append(models.Value("\n"))
        parts.append(models.F(field))
    return Concat(*parts, output_field=models.TextField())
