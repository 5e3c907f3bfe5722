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
organisation's parent (Tansa X, part of JAXA), a visit's place and its city. These are read
from the related rows, never stored in the record's own vector, so an edit of JAXA's name is found at once everywhere.
A mission is also found by its host country's name in any language the site speaks
("Japan", "Japon", 日本), and an organisation by its country's: each stores the ISO code, and
the names are django-countries'.
"""

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Agreement, AgreementKind, Mission, Organisation, Person, Place, Visit
from .models.search_vector import TEXT_SEARCH_CONFIG, search_text, translated

MAX_QUERY_LENGTH = 200
RESULTS_PER_KIND = 20


@dataclass(frozen=True)
class Through:
    """What a record belongs to, whose names a word may match: `path` to it from the record."""

    path: str
    # Names looked up once per search, for every kind (names_found): "organisation",
    # "kind" (of agreement) or "place" (of a visit).
    names: str
    # Only published ones: an organisation's parent is public only when it is published
    # itself (a person's organisation is on the person's result line anyway).
    published_only: bool = False


@dataclass(frozen=True)
class Kind:
    """One kind of record: where to look, and which fields to read (the first is its name)."""

    key: str
    label: str
    # The same fields, in the same order, as the model's search_vector_field(...): the
    # substring rule reads these, the stored vector those (tests/test_search.py checks).
    # Translated fields are read in every language (title_en, title_fr, title_ja): a record
    # is found by its text in any of them, whatever the reader's language.
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
    # A field holding an ISO country code (a mission's host country, an organisation's
    # country): a word is also found in the country's name, in any language the site speaks
    # (countries_named).
    country: str = ""

    @property
    def template(self):
        """How one group of results is listed, e.g. includes/search/visits.html."""
        return f"includes/search/{self.key}.html"


def built_once(build):
    """
    A queryset built on first use, and cloned for each search. What may be published is a
    fixed rule, but an organisation's is half a dozen subqueries, which Django took longer
    to build each time than PostgreSQL took to answer. The queryset itself is never
    evaluated: each search gets a clone (.all()).
    """
    once = functools.cache(build)
    return lambda: once().all()


KINDS = (
    Kind(
        "missions",
        _("Missions"),
        (*translated("title"), *translated("summary"), "host_country"),
        built_once(
            lambda: (
                Mission.objects.published()
                .select_related("lead_organisation")
                .defer("summary", "search_vector", "lead_organisation__search_vector")
            )
        ),
        country="host_country",
    ),
    Kind(
        "visits",
        _("Visits"),
        (*translated("title"), *translated("summary"), *translated("body")),
        # The account can run to tens of thousands of characters (and so can its vector) and
        # no result line shows either.
        built_once(
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
            )
        ),
        by_id=True,
        # Where: the place's name and city (Tsukuba finds the visits made there).
        through=(Through("place", "place"),),
    ),
    Kind(
        "organisations",
        _("Organisations"),
        ("name", "short_name", "native_name", "country"),
        built_once(
            lambda: (
                Organisation.objects.published()
                .select_related("parent")
                .defer("search_vector", "parent__search_vector")
            )
        ),
        through=(Through("parent", "organisation", published_only=True),),
        country="country",
    ),
    Kind(
        "people",
        _("People"),
        ("name", "role"),
        built_once(
            lambda: (
                Person.objects.published()
                .select_related("organisation")
                .defer("search_vector", "organisation__search_vector")
            )
        ),
        # The result line names the person's organisation.
        through=(Through("organisation", "organisation"),),
    ),
    Kind(
        "agreements",
        _("Agreements"),
        (*translated("title"), *translated("summary")),
        built_once(
            lambda: (
                Agreement.objects.published()
                .select_related("mission", "kind")
                .defer("summary", "search_vector", "mission__summary", "mission__search_vector")
            )
        ),
        through=(Through("kind", "kind"),),
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


@dataclass
class Names:
    """
    For each word of the query, the ids of the organisations and agreement kinds whose names
    hold it (names_found). Kinds are matched through these ids, which an index on the
    record's column serves: a subquery per word and kind instead cost PostgreSQL more time
    planning than running the search.
    """

    ids: dict  # (names, published_only, word index) -> set of ids
    countries: dict  # word index -> codes of the countries named by it (countries_named)

    def holding(self, through, index):
        return sorted(self.ids.get((through.names, through.published_only, index), ()))

    def any_word(self, through, words):
        return set().union(*(self.holding(through, index) for index in range(len(words))))


NAME_FIELDS = {
    "organisation": (Organisation, ("name", "short_name", "native_name")),
    "kind": (AgreementKind, ("name", "abbreviation")),
    "place": (Place, ("name", "city")),
}


@functools.lru_cache(maxsize=1024)
def countries_named(word):
    """
    The ISO codes of the countries whose name holds `word` (any case) in any language the
    site speaks: a mission and an organisation store their country's code, and readers type
    its name — "Japan", "Japon", "日本". Names are django-countries' own, looked up in memory (about
    250 countries per language), so no query is needed; the same word gives the same codes.
    """
    pattern = re.escape(word)
    codes = set()
    for language, _name in settings.LANGUAGES:
        codes |= countries.by_name(pattern, regex=True, language=language)
    return tuple(sorted(codes))


def names_found(words):
    """
    Names holding each word: one query (a UNION of the organisations and the kinds), and one
    more when it finds organisations with parts, for which of those are published (only a
    published parent finds its parts). That test reads each such organisation's own links (a
    correlated subquery in the SELECT list, row by row): as a WHERE clause PostgreSQL hashes
    the links of every visit instead, ~40 ms at 11,000 visits.
    """
    parts = []
    for names, (model, fields) in NAME_FIELDS.items():
        holds = {
            f"word_{index}": Case(
                When(any_field_contains(fields, word), then=Value(True)), default=Value(False)
            )
            for index, word in enumerate(words)
        }
        has_parts = (
            Exists(Organisation.objects.filter(parent=OuterRef("pk")))
            if model is Organisation
            else Value(False)
        )
        rows = (
            model.objects.filter(reduce(or_, (any_field_contains(fields, word) for word in words)))
            .annotate(names=Value(names), has_parts=has_parts, **holds)
            .values_list("pk", "names", "has_parts", *holds)
            .order_by()
        )
        parts.append(rows)
    ids, parents = {}, set()
    for pk, names, has_parts, *holds in parts[0].union(*parts[1:], all=True):
        if has_parts:
            parents.add(pk)
        for index, held in enumerate(holds):
            if held:
                ids.setdefault((names, False, index), set()).add(pk)
    if parents:
        parents = {
            pk
            for pk, is_published in Organisation.objects.filter(pk__in=sorted(parents))
            .annotate(published=Exists(Organisation.objects.published().filter(pk=OuterRef("pk"))))
            .values_list("pk", "published")
            .order_by()
            if is_published
        }
    for (names, _all, index), found in list(ids.items()):
        if names == "organisation":
            ids[names, True, index] = found & parents
    return Names(ids, {index: countries_named(word) for index, word in enumerate(words)})


def word_match(kind, names, index, own):
    """Word `index` is in the record's own fields (`own`), or in the names of what it belongs to."""
    for through in kind.through:
        ids = names.holding(through, index)
        if ids:
            own |= Q(**{f"{through.path}__in": ids})
    codes = names.countries.get(index) if kind.country else None
    if codes:
        own |= Q(**{f"{kind.country}__in": codes})
    return own


def substring_match(kind, words, names):
    """Every word appears (any case) in at least one of the fields."""
    condition = Q()
    for index, word in enumerate(words):
        condition &= word_match(kind, names, index, any_field_contains(kind.fields, word))
    return condition


def full_text_match(kind, queryset, query, words, names):
    """
    PostgreSQL: full-text match or substring match, best-ranked first.

    Both halves read indexed expressions (diary/models/search_vector.py, migration 0009):
    the stored vector, computed by the database on every write, and the fields joined into
    one text for the substring rule (and the foreign key's index for a name it belongs to).
    An OR is only as fast as its slowest half, so neither half may scan every row.
    """
    search_query = SearchQuery(query, search_type="websearch", config=TEXT_SEARCH_CONFIG)
    substring = Q()
    for index, word in enumerate(words):
        substring &= word_match(kind, names, index, Q(search_text__icontains=word))
    ordering = queryset.model._meta.ordering
    # alias, not annotate: the joined text is matched in the database, never sent back.
    return (
        queryset.alias(search_text=search_text(*kind.fields))
        .filter(Q(search_vector=search_query) | substring)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .order_by(F("rank").desc(), *ordering, "pk")
    )


def search_kind(kind, query, names=None):
    """The published records of `kind` matching `query`, best first."""
    query = unicodedata.normalize("NFKC", query)
    words = query_words(query)
    if not words:
        return kind.published().none()
    if names is None:
        names = names_found(words)
    if connection.vendor == "postgresql":
        return full_text_match(kind, kind.published(), query, words, names)
    ordering = kind.published().model._meta.ordering
    return kind.published().filter(substring_match(kind, words, names)).order_by(*ordering, "pk")


def first_results(kind, query, names, limit):
    """(count of all matches, the first `limit`): a window counts them before LIMIT applies."""
    matches = search_kind(kind, query, names).annotate(matches_in_all=Window(Count("pk")))
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
    one query for the names words may match through, then one per kind, two for visits
    (see Kind.by_id). A result found through what it belongs to knows it: `found_through`
    (Tansa X's parent JAXA, for "jaxa").
    """
    # Full-width letters and digits (ＪＡＸＡ, typed with a Japanese input method), ligatures
    # and compatibility forms are the same words as their plain forms in the records.
    query = unicodedata.normalize("NFKC", query)
    words = query_words(query)
    if not words:
        return []
    names = names_found(words)
    groups = []
    for kind in KINDS:
        count, results = first_results(kind, query, names, limit)
        for through in kind.through:
            ids = names.any_word(through, words)
            for result in results:
                if getattr(result, f"{through.path}_id") in ids:
                    result.found_through = getattr(result, through.path)
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
