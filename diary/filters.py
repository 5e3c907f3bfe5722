"""
The registry's filters (django-filter), shared by /agreements/ and /agreements.csv so the same
address query gives the same agreements in both.

Every filter is one query parameter, and an address names them in one canonical order
(`PARAMETERS`): the same selection has one URL, so the page cache keeps one copy of it and a
link can be shared. Views redirect any other spelling to `canonical_query()`.
"""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Agreement
from .models.base import country_code
from .translated import reading_order, translate_texts

#: The registry's query parameters, in the order its addresses write them.
FILTERS = ("party", "country", "kind", "level", "status", "year", "area")
SORT = "sort"
PARAMETERS = (*FILTERS, SORT)


def with_status(queryset, today=None):
    """
    Annotate `current_status`: Agreement.status_on(today) computed by the database, so
    the registry can filter and count by it. Keep the two in step.
    """
    today = today or datetime.date.today()
    status = Agreement.Status
    return queryset.annotate(
        current_status=Case(
            When(expires_on__lt=today, then=Value(status.EXPIRED)),
            When(~Q(stated_status=""), then="stated_status"),
            When(entered_into_force_on__lte=today, then=Value(status.IN_FORCE)),
            When(signed_on__lte=today, then=Value(status.SIGNED)),
            default=Value(""),
            output_field=CharField(),
        )
    )


class AgreementFilter(django_filters.FilterSet):
    party = django_filters.CharFilter(
        field_name="parties__slug", label=_("party"), method="filter_related"
    )
    country = django_filters.CharFilter(
        field_name="parties__country", label=_("country"), method="filter_related"
    )
    kind = django_filters.CharFilter(field_name="kind__slug", label=_("kind"))
    level = django_filters.ChoiceFilter(choices=Agreement.Level.choices, label=_("level"))
    status = django_filters.ChoiceFilter(
        field_name="current_status", choices=Agreement.Status.choices, label=_("status")
    )
    year = django_filters.NumberFilter(
        field_name="signed_on__year",
        label=_("year of signature"),
        widget=forms.NumberInput,
        min_value=1957,
        max_value=2100,
    )
    area = django_filters.CharFilter(
        field_name="areas__slug", label=_("area of cooperation"), method="filter_related"
    )
    sort = django_filters.ChoiceFilter(
        choices=[("date", _("date of signature")), ("title", _("title"))],
        label=_("sort by"),
        method="filter_sort",
        empty_label=None,
    )

    class Meta:
        model = Agreement
        fields = list(PARAMETERS)

    def filter_related(self, queryset, name, value):
        # A many-to-many filter would repeat an agreement once per matching party: an
        # Exists-style subquery keeps one row each.
        return queryset.filter(pk__in=Agreement.objects.filter(**{name: value}).values("pk"))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied by ordered(), after the other filters

    def ordered(self, queryset):
        """The filtered agreements in the chosen order (ties settled by the id)."""
        title = reading_order(Agreement, "title")  # as the reader reads it (diary/translated.py)
        if self.form.cleaned_data.get("sort") == "title":
            return queryset.order_by(title, "pk")
        return queryset.order_by("mission", Agreement._meta.ordering[1], title, "pk")


def canonical_query(query):
    """
    The query string the registry's own links write for this selection: known parameters
    only, in PARAMETERS order (then `page`), each once, empty filters left out, a country by
    its ISO code. `page` is kept as sent: anything but a page number is a 404, as on every
    paginated page.
    """
    pairs = [(name, query[name]) for name in PARAMETERS if query.get(name, "") != ""]
    # A country named in any of the site's languages (addresses from before migration 0020
    # said ?country=Luxembourg) by its code; anything else as sent, which matches nothing.
    languages = [code for code, _name in settings.LANGUAGES]
    pairs = [
        (name, (country_code(v, languages) or v) if name == "country" else v) for name, v in pairs
    ]
    if "page" in query:
        pairs.append(("page", query["page"]))
    querydict = type(query)(mutable=True)
    for name, value in pairs:
        querydict[name] = value
    return querydict.urlencode()


def redirect_query(query):
    """
    The canonical query string to redirect to when the registry's own parameters in `query`
    are spelled otherwise (another order, twice, empty), else None. Parameters it does not
    read (utm_source=…) are ignored: such a request is rendered, never stored.
    """
    canonical = canonical_query(query)
    read = query.copy()
    for name in list(read):
        if name not in (*PARAMETERS, "page"):
            del read[name]
    return canonical if read.urlencode() != canonical else None


def _changed(query, **changes):
    """`query` (a QueryDict) back on page 1 with `changes` (None: the parameter removed)."""
    query = query.copy()
    query.pop("page", None)
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return canonical_query(query)


def registry_links(query, registry):
    """
    What the registry page links to from the selection `query`: for each filter, its options
    with their counts, each link choosing it or, when chosen, removing it; the two orders;
    the same selection as CSV. registry: queries.agreement_registry()'s.
    """
    selected = {name: query[name] for name in FILTERS if name in query}
    facet_links = [
        (
            registry.filterset.filters[name].label,
            [
                {
                    "label": label,
                    "count": count,
                    "chosen": selected.get(name) == value,
                    "query": _changed(
                        query, **{name: None if selected.get(name) == value else value}
                    ),
                }
                for value, label, count in options
            ],
        )
        for name, options in registry.facets.items()
    ]
    return {
        "facets": facet_links,
        "filtered": bool(selected),
        "by_title": query.get(SORT) == "title",
        "sort_query": {"date": _changed(query, sort=None), "title": _changed(query, sort="title")},
        "csv_query": _changed(query),
    }


def facets(queryset):
    """
    {parameter: [(value, label, count)]} of the filtered agreements, for the links that narrow
    the selection further. Four grouped queries whatever the number of agreements.
    """
    plain = queryset.order_by()
    result = {name: [] for name in FILTERS}
    parties = (
        plain.filter(parties__isnull=False)
        .values("parties__slug", "parties__name", "parties__short_name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("parties__name")
    )
    result["party"] = [
        (row["parties__slug"], row["parties__short_name"] or row["parties__name"], row["n"])
        for row in parties
    ]
    by_country = (
        plain.exclude(parties__country="")
        .filter(parties__isnull=False)
        .values("parties__country")
        .annotate(n=Count("pk", distinct=True))
        .order_by("parties__country")
    )
    # A party's country is its ISO code: named, and sorted, in the reader's language.
    result["country"] = sorted(
        (
            (row["parties__country"], str(countries.name(row["parties__country"])), row["n"])
            for row in by_country
        ),
        key=lambda option: option[1].casefold(),
    )
    # An area's name in the reader's language, English (marked) where untranslated, in the
    # order of the names as read.
    names = [f"areas__name_{code}" for code, _name in settings.LANGUAGES]
    areas = (
        plain.filter(areas__isnull=False)
        .values("areas__slug", *names)
        .annotate(n=Count("pk", distinct=True))
        .order_by("areas__slug")
    )
    labelled = [
        (
            row["areas__slug"],
            translate_texts({name.rsplit("_", 1)[1]: row[name] for name in names}),
            row["n"],
        )
        for row in areas
    ]
    result["area"] = sorted(labelled, key=lambda option: option[1].text.casefold())
    # Kind, level, status and year: one grouped query, summed here (few combinations).
    combined = plain.values(
        "kind__slug", "kind__name", "level", "current_status", "signed_on__year"
    ).annotate(n=Count("pk"))
    sums = {name: {} for name in ("kind", "level", "status", "year")}
    labels = {"kind": {}, "level": dict(Agreement.Level.choices)}
    labels["status"] = dict(Agreement.Status.choices)
    for row in combined:
        for name, key in (
            ("kind", row["kind__slug"]),
            ("level", row["level"]),
            ("status", row["current_status"]),
            ("year", row["signed_on__year"]),
        ):
            if key in (None, ""):
                continue
            sums[name][key] = sums[name].get(key, 0) + row["n"]
        labels["kind"][row["kind__slug"]] = row["kind__name"]
    result["kind"] = sorted(
        ((k, labels["kind"][k], n) for k, n in sums["kind"].items()), key=lambda x: x[1]
    )
    for name in ("level", "status"):
        order = list(labels[name])
        result[name] = [(k, labels[name][k], sums[name][k]) for k in order if k in sums[name]]
    result["year"] = [(str(y), str(y), n) for y, n in sorted(sums["year"].items(), reverse=True)]
    return result
