from django.contrib import admin
from django.urls import include, path

from .health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("diary.urls")),
]

handler400 = "missiontracker.errors.bad_request"
handler500 = "missiontracker.errors.server_error"
