from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from .health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("diary.urls")),
]

handler400 = "missiontracker.errors.bad_request"
handler500 = "missiontracker.errors.server_error"

if settings.BENCHMARK_ENDPOINTS:

    def constant_page(request):
        """The framework's ceiling: a page that does nothing, through the same middleware."""
        return HttpResponse("constant\n", content_type="text/plain")

    urlpatterns.insert(0, path("benchmark/constant/", constant_page))
