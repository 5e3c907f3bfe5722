"""
/health/ for load balancers and uptime checks: can this worker reach its database?

The status code answers that one question (200 or 503), since a worker without its database
can serve nothing. The body also says how the page cache is doing: a failing cache only
slows pages down (they are rendered instead), so it is reported, never a reason for a 503.

    {"status": "ok", "database": "ok", "cache": "ok"}
    {"status": "ok", "database": "ok", "cache": "unavailable"}
    {"status": "error", "database": "unavailable", "cache": "ok"}
"""

import logging

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .errors import DATABASE_ERRORS

logger = logging.getLogger(__name__)

# Load balancers probe with GET, HEAD or OPTIONS.
ALLOWED = ("GET", "HEAD", "OPTIONS")


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_ERRORS as error:
        logger.error("Health check: database unavailable: %s", error)
        return "unavailable"
    return "ok"


def _cache():
    try:
        caches["default"].get("health:probe")
    except Exception as error:  # whatever the backend raises, the answer is "unavailable"
        logger.warning("Health check: cache unavailable: %s: %s", type(error).__name__, error)
        return "unavailable"
    return "ok"


@never_cache
@require_http_methods(ALLOWED)
def health(request):
    if request.method == "OPTIONS":
        return HttpResponse(headers={"Allow": ", ".join(ALLOWED), "Content-Length": "0"})
    report = {"database": _database(), "cache": _cache()}
    ok = report["database"] == "ok"
    return JsonResponse({"status": "ok" if ok else "error", **report}, status=200 if ok else 503)
