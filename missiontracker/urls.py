from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from diary.sitemaps import sitemap_index, sitemap_section
from diary.views import robots_txt

from .health import health

# Health, crawler files and the admin have one address each; the public pages have one per
# language: English unprefixed (/missions/…), French under /fr/, Japanese under /ja/. The
# language comes from the address alone, so every page can be cached and linked as it is.
urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots"),
    # An index of one file per kind of page, each paginated within the protocol's limits.
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap-section"),
    *i18n_patterns(path("", include("diary.urls")), prefix_default_language=False),
]

handler400 = "missiontracker.errors.bad_request"
handler500 = "missiontracker.errors.server_error"

if settings.BENCHMARK_ENDPOINTS:

    def constant_page(request):
        """The framework's ceiling: a page that does nothing, through the same middleware."""
        return HttpResponse("constant\n", content_type="text/plain")

    urlpatterns.insert(0, path("benchmark/constant/", constant_page))
