"""The sitemap: every published page, in every interface language, nothing from a draft."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Agreement, Day, Mission, Organisation, Person, Visit


class DiarySitemap(Sitemap):
    # One <url> per language, each listing the others as hreflang alternates.
    i18n = True
    alternates = True
    x_default = True


class ListingSitemap(DiarySitemap):
    def items(self):
        return ["diary:home", "diary:agreements"]

    def location(self, item):
        return reverse(item)


class PublishedSitemap(DiarySitemap):
    """Subclasses name a queryset; only its published() rows are listed."""

    queryset = None

    def items(self):
        return self.queryset.published()


class MissionSitemap(PublishedSitemap):
    queryset = Mission.objects.all()


class DaySitemap(PublishedSitemap):
    queryset = Day.objects.select_related("mission")


class VisitSitemap(PublishedSitemap):
    queryset = Visit.objects.select_related("mission")


class OrganisationSitemap(PublishedSitemap):
    queryset = Organisation.objects.all()


class PersonSitemap(PublishedSitemap):
    queryset = Person.objects.all()


class AgreementSitemap(PublishedSitemap):
    queryset = Agreement.objects.all()


SITEMAPS = {
    "listings": ListingSitemap,
    "missions": MissionSitemap,
    "days": DaySitemap,
    "visits": VisitSitemap,
    "organisations": OrganisationSitemap,
    "people": PersonSitemap,
    "agreements": AgreementSitemap,
}
