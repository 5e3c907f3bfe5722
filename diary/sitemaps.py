"""
The sitemap: every published page, in every interface language, nothing from a draft.

`/sitemap.xml` is an index of one file per kind of page, each split into pages of at most
`DiarySitemap.limit` URLs (`sitemap-visits.xml?p=2`): the protocol allows 50,000 URLs and
50 MB per file, and a single file for a 15,000-visit mission held 50,669 URLs (26 MB, 13 s).
With `i18n`, Django counts one URL per page and language, and each lists all languages as
hreflang alternates, so a file of 2,000 URLs weighs about 1 MB; each file reads only its own
rows (`LanguagePairs`).
"""

from collections.abc import Sequence

from django.conf import settings
from django.contrib.sitemaps import Sitemap, views
from django.core.paginator import Paginator
from django.urls import reverse
from django.views.decorators.http import require_safe

from .caching import public_page
from .models import Agreement, Day, Mission, Organisation, Person, Source, Visit


class DiarySitemap(Sitemap):
    # One <url> per language, each listing the others as hreflang alternates.
    i18n = True
    alternates = True
    x_default = True
    limit = 2_000


class ListingSitemap(DiarySitemap):
    def items(self):
        return ["diary:home", "diary:agreements", "diary:organisations", "diary:people"]

    def location(self, item):
        return reverse(item)


class LanguagePairs(Sequence):
    """
    The (row, language) pairs of an ordered queryset, counted and sliced in the database.

    With `i18n`, Django's Sitemap paginates a list of every such pair (its `_items()`), so
    each file of a 15,000-visit kind first read all 15,000 visits; this reads only the rows
    of the file asked for. (Django offers no hook for it: `paginator` is what its views use.)
    """

    def __init__(self, queryset, languages):
        self.queryset, self.languages = queryset, languages

    def __len__(self):
        return self.queryset.count() * len(self.languages)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        per_row = len(self.languages)
        first_row = start // per_row
        rows = self.queryset[first_row : -(-stop // per_row)]
        pairs = [(row, language) for row in rows for language in self.languages]
        offset = start - first_row * per_row
        return pairs[offset : offset + stop - start]


class PublishedSitemap(DiarySitemap):
    """Subclasses name a queryset; only its published() rows are listed."""

    queryset = None
    # Only what get_absolute_url() reads.
    fields = ("slug",)

    def items(self):
        model = self.queryset.model
        # A total order, so that no row falls between two files or appears in both.
        ordering = [*model._meta.ordering, "pk"]
        return self.queryset.published().only(*self.fields).order_by(*ordering)

    @property
    def paginator(self):
        languages = [code for code, _ in settings.LANGUAGES]
        return Paginator(LanguagePairs(self.items(), languages), self.limit)


class MissionSitemap(PublishedSitemap):
    queryset = Mission.objects.all()


class MissionUpdatesSitemap(MissionSitemap):
    """Each published mission's updates page (its changelog)."""

    def location(self, item):
        return reverse("diary:mission_updates", kwargs={"slug": item.slug})


class DaySitemap(PublishedSitemap):
    queryset = Day.objects.select_related("mission")
    fields = ("date", "mission__slug")


class VisitSitemap(PublishedSitemap):
    queryset = Visit.objects.select_related("mission")
    fields = ("slug", "mission__slug")


class OrganisationSitemap(PublishedSitemap):
    queryset = Organisation.objects.all()


class PersonSitemap(PublishedSitemap):
    queryset = Person.objects.all()


class AgreementSitemap(PublishedSitemap):
    queryset = Agreement.objects.all()


class SourceSitemap(PublishedSitemap):
    """Each cited source's page: how a reader checks the facts it supports."""

    queryset = Source.objects.all()
    fields = ("uuid",)


SITEMAPS = {
    "listings": ListingSitemap,
    "missions": MissionSitemap,
    "updates": MissionUpdatesSitemap,
    "days": DaySitemap,
    "visits": VisitSitemap,
    "organisations": OrganisationSitemap,
    "people": PersonSitemap,
    "agreements": AgreementSitemap,
    "sources": SourceSitemap,
}


# Shared through the page cache like any public page: the same never-stale copy, ETag and 304.
@require_safe
@public_page
def sitemap_index(request):
    return views.index(request, SITEMAPS, sitemap_url_name="sitemap-section")


@require_safe
@public_page(params=("p",))
def sitemap_section(request, section):
    """One kind's file, `?p=2` for its second page; an unknown section or page is a 404."""
    return views.sitemap(request, SITEMAPS, section=section)
