"""
Search over published missions, visits, organisations, people and agreements.

On PostgreSQL a record matches when its full-text vector matches the query or when every
word of the query is a substring of one of its fields; on any other database (SQLite in
development and tests) only the substring rule applies, so PostgreSQL finds everything
SQLite finds and ranks it. The text-search configuration is 'simple': 'english' would stem
proper names (Yamakawa, LuxProvide) and drop short words, and neither configuration
splits Japanese, which has no spaces — a name such as 宇宙航空研究開発機構 is one
token, so its part 宇宙航空 is found by the substring rule.

A word may also be found in the name of what a record belongs to: an agreement's kind
("MoC", "Letter of Intent"), a person's organisation ("jaxa" finds JAXA's president), an
organisation's parent (Tansa X, part of JAXA). These are read from the related rows, never
stored in the record's own vector, so an edit of JAXA's name is found at once everywhere.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.utils.translation import gettext_lazy as _

from .models import Agreement, AgreementKind, Mission, Organisation, Person, Visit
from .models.search_vector import TEXT_SEARCH_CONFIG, search_text

MAX_QUERY_LENGTH = 200
RESULTS_PER_KIND = 20

#: The names an organisation goes by, which a word may match through its people or parts.
ORGANISATION_NAMES = ("name", "short_name", "native_name")


@dataclass(frozen=True)
class Through:
    """A related row whose names a word may match: `path` from the record, its `fields`."""

    path: str
    fields: tuple[str, ...]
    # The related rows a word may be found in (only what the result line shows or the
    # public may see: an organisation's parent must itself be published).
    rows: Callable[[], QuerySet]


@dataclass(frozen=True)
class Kind:
    """One kind of record: where to look, and which fields to read (the first is its name)."""

    key: str
    label: str
    # The same fields, in the same order, as the model's search_vector_field(...): the
    # substring rule reads these, the stored vector those (tests/test_search.py checks).
    fields: tuple[str, ...]
    # Published records only, with what each result line shows joined in, and none of the
    # long texts and vectors no line shows: a result line reads only its own row and the
    # rows joined to it, never a related list (the page's query budget has no room for
    # prefetches).
    published: Callable[[], QuerySet]
    through: tuple[Through, ...] = ()
    # Rows are many (visits): matches are ranked and counted on their ids alone, and only
    # the page of results is read whole, in a second query. Ranking ~10,000 whole rows with
    # their joins, as one query does, spills the window that counts them to disk.
    by_id: bool = False

    @property
    def template(self):
        """How one group of results is listed, e.g. includes/search/visits.html."""
        return f"includes/search/{self.key}.html"


KINDS = (
    Kind(
        "missions",
        _("Missions"),
        ("title", "summary", "host_country"),
        lambda: (
            Mission.objects.published()
            .select_related("lead_organisation")
            .defer("summary", "search_vector", "lead_organisation__search_vector")
        ),
    ),
    Kind(
        "visits",
        _("Visits"),
        ("title", "summary", "body", "site_name", "city"),
        # The account can run to tens of thousands of characters (and so can its vector) and
        # no result line shows either.
        lambda: (
            Visit.objects.published()
            .select_related("mission", "day", "place")
            .defer(
                "summary",
                "body",
                "search_vector",
                "mission__summary",
                "mission__search_vector",
                "day__summary",
            )
        ),
        by_id=True,
    ),
    Kind(
        "organisations",
        _("Organisations"),
        ("name", "short_name", "native_name", "country"),
        lambda: (
            Organisation.objects.published()
            .select_related("parent")
            .defer("search_vector", "parent__search_vector")
            # The result line says what it is part of, when that is published too.
            .annotate(
                parent_published=Exists(
                    Organisation.objects.published().filter(pk=OuterRef("parent_id"))
                )
            )
        ),
        through=(Through("parent", ORGANISATION_NAMES, lambda: Organisation.objects.published()),),
    ),
    Kind(
        "people",
        _("People"),
        ("name", "role"),
        lambda: (
            Person.objects.published()
            .select_related("organisation")
            .defer("search_vector", "organisation__search_vector")
        ),
        # The result line names the person's organisation.
        through=(Through("organisation", ORGANISATION_NAMES, Organisation.objects.all),),
    ),
    Kind(
        "agreements",
        _("Agreements"),
        ("title", "summary"),
        lambda: (
            Agreement.objects.published()
            .select_related("mission", "kind")
            .defer("summary", "search_vector", "mission__summary", "mission__search_vector")
        ),
        through=(Through("kind", ("name", "abbreviation"), AgreementKind.objects.all),),
    ),
)


@dataclass(frozen=True)
class ResultGroup:
    kind: Kind
    count: int
    results: list

    @property
    def truncated(self):
        return self.count > len(self.results)

    @property
    def by_mission(self):
        """[(mission, [results])]: the results grouped by mission, in order of first result."""
        groups = {}
        for result in self.results:
            groups.setdefault(result.mission_id, (result.mission, []))[1].append(result)
        return list(groups.values())


def query_words(query):
    # Quotes are websearch syntax for a phrase; as substrings they would match nothing.
    return unicodedata.normalize("NFKC", query).replace('"', " ").split()


def any_field_contains(fields, word):
    any_field = Q()
    for field in fields:
        any_field |= Q(**{f"{field}__icontains": word})
    return any_field


class AnyOf(Func):
    """
    PostgreSQL: `column = ANY(ARRAY(subquery))`. The subquery runs once, and the index on
    the column serves the match, so the planner can combine it with the text indexes (an
    IN subquery is a join it cannot: every row of the table would be read).
    """

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def __init__(self, column, queryset):
        super().__init__(F(column), ArraySubquery(queryset.values("pk")))


def word_match(kind, word, own):
    """The word is in the record's own fields (`own`), or in the names of what it belongs to."""
    for through in kind.through:
        related = through.rows().filter(any_field_contains(through.fields, word))
        if connection.vendor == "postgresql":
            own |= Q(AnyOf(through.path, related))
        else:
            own |= Q(**{f"{through.path}__in": related.values("pk")})
    return own


def substring_match(kind, words):
    """Every word appears (any case) in at least one of the fields."""
    condition = Q()
    for word in words:
        condition &= word_match(kind, word, any_field_contains(kind.fields, word))
    return condition


def full_text_match(kind, queryset, query, words):
    """
    PostgreSQL: full-text match or substring match, best-ranked first.

    Both halves read indexed expressions (diary/models/search_vector.py, migration 0009):
    the stored vector, computed by the database on every write, and the fields joined into
    one text for the substring rule. An OR is only as fast as its slowest half, so neither
    half may scan every row.
    """
    search_query = SearchQuery(query, search_type="websearch", config=TEXT_SEARCH_CONFIG)
    substring = Q()
    for word in words:
        substring &= word_match(kind, word, Q(search_text__icontains=word))
    ordering = queryset.model._meta.ordering
    # alias, not annotate: the joined text is matched in the database, never sent back.
    return (
        queryset.alias(search_text=search_text(*kind.fields))
        .filter(Q(search_vector=search_query) | substring)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .order_by(F("rank").desc(), *ordering, "pk")
    )


def search_kind(kind, query):
    """The published records of `kind` matching `query`, best first."""
    query = unicodedata.normalize("NFKC", query)
    words = query_words(query)
    if not words:
        return kind.published().none()
    if connection.vendor == "postgresql":
        return full_text_match(kind, kind.published(), query, words)
    ordering = kind.published().model._meta.ordering
    return kind.published().filter(substring_match(kind, words)).order_by(*ordering, "pk")


def first_results(kind, query, limit):
    """(count of all matches, the first `limit`): a window counts them before LIMIT applies."""
    matches = search_kind(kind, query).annotate(matches_in_all=Window(Count("pk")))
    if not kind.by_id:
        results = list(matches[:limit])
        return (results[0].matches_in_all if results else 0), results
    hits = list(matches.values_list("pk", "matches_in_all")[:limit])
    if not hits:
        return 0, []
    rows = kind.published().in_bulk([pk for pk, _count in hits])
    return hits[0][1], [rows[pk] for pk, _count in hits]


def search(query, limit=RESULTS_PER_KIND):
    """
    The kinds with at least one match, each with its total count and its first results:
    one query per kind, two for visits (see Kind.by_id).
    """
    # Full-width letters and digits (ＪＡＸＡ, typed with a Japanese input method), ligatures
    # and compatibility forms are the same words as their plain forms in the records.
    query = unicodedata.normalize("NFKC", query)
    groups = []
    for kind in KINDS:
        count, results = first_results(kind, query, limit)
        if results:
            groups.append(ResultGroup(kind, count, results))
    return groups


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the diary"),
        max_length=MAX_QUERY_LENGTH,
        required=False,
        error_messages={
            "max_length": _(
                "Your search is %(show_value)d characters long; please use at most %(limit_value)d."
            )
        },
    )

    def results(self):
        """None when there is nothing to search for: the page then shows just the form."""
        query = self.cleaned_data["q"]
        return search(query) if query else None

    def words(self):
        """The words results highlight (diary/templatetags/search_results.py)."""
        return query_words(self.cleaned_data["q"]) if self.is_valid() else []
