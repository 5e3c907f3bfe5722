"""
Search over published missions, visits, organisations, people and agreements.

On PostgreSQL a record matches when its full-text vector matches the query or when every
word of the query is a substring of one of its fields; on any other database (SQLite in
development and tests) only the substring rule applies, so PostgreSQL finds everything
SQLite finds and ranks it. The text-search configuration is 'simple': 'english' would stem
proper names (Yamakawa, LuxProvide) and drop short words, and neither configuration
splits Japanese, which has no spaces — a name such as 宇宙航空研究開発機構 is one
token, so its part 宇宙航空 is found by the substring rule.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.utils.translation import gettext_lazy as _

from .models import Agreement, Mission, Organisation, Person, Visit
from .models.search_vector import TEXT_SEARCH_CONFIG, search_text

MAX_QUERY_LENGTH = 200
RESULTS_PER_KIND = 20


@dataclass(frozen=True)
class Kind:
    """One kind of record: where to look, and which fields to read (the first is its name)."""

    key: str
    label: str
    # The same fields, in the same order, as the model's search_vector_field(...): the
    # substring rule reads these, the stored vector those (tests/test_search.py checks).
    fields: tuple[str, ...]
    # Published records only, with what each result line shows joined in: a result line
    # reads only its own row and the rows joined to it, never a related list (the page's
    # query budget leaves no room for prefetches).
    published: Callable[[], QuerySet]

    @property
    def template(self):
        """How one group of results is listed, e.g. includes/search/visits.html."""
        return f"includes/search/{self.key}.html"


KINDS = (
    Kind(
        "missions",
        _("Missions"),
        ("title", "summary", "host_country"),
        lambda: Mission.objects.published().select_related("lead_organisation"),
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
            .defer("body", "search_vector")
        ),
    ),
    Kind(
        "organisations",
        _("Organisations"),
        ("name", "short_name", "native_name", "country"),
        lambda: Organisation.objects.published(),
    ),
    Kind(
        "people",
        _("People"),
        ("name", "role"),
        lambda: Person.objects.published().select_related("organisation"),
    ),
    Kind(
        "agreements",
        _("Agreements"),
        ("title", "summary"),
        lambda: Agreement.objects.published().select_related("mission", "kind"),
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


def query_words(query):
    # Quotes are websearch syntax for a phrase; as substrings they would match nothing.
    return query.replace('"', " ").split()


def substring_match(fields, words):
    """Every word appears (any case) in at least one of the fields."""
    condition = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


def full_text_match(queryset, fields, query, words):
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
        substring &= Q(search_text__icontains=word)
    ordering = queryset.model._meta.ordering
    # alias, not annotate: the joined text is matched in the database, never sent back.
    return (
        queryset.alias(search_text=search_text(*fields))
        .filter(Q(search_vector=search_query) | substring)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .order_by(F("rank").desc(), *ordering)
    )


def search_kind(kind, query):
    words = query_words(query)
    if not words:
        return kind.published().none()
    if connection.vendor == "postgresql":
        return full_text_match(kind.published(), kind.fields, query, words)
    return kind.published().filter(substring_match(kind.fields, words))


def search(query, limit=RESULTS_PER_KIND):
    """
    The kinds with at least one match, each with its total count and its first results.

    One query per kind: a window over all the matches counts them in the same query that
    reads the first `limit`, since a window is computed before LIMIT applies.
    """
    # Full-width letters and digits (ＪＡＸＡ, typed with a Japanese input method), ligatures
    # and compatibility forms are the same words as their plain forms in the records.
    query = unicodedata.normalize("NFKC", query)
    groups = []
    for kind in KINDS:
        matches = search_kind(kind, query).annotate(matches_in_all=Window(Count("pk")))
        results = list(matches[:limit])
        if results:
            groups.append(ResultGroup(kind, results[0].matches_in_all, results))
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
