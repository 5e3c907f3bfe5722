"""Error pages that must render with no database: a friendly 503, and 413 for oversized posts."""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

# What Django raises when the database server is down, unreachable or refuses connections.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def _page(template, status, context=None):
    # render_to_string without a request: no context processor runs, so nothing asks the
    # database who the user is while the database is the thing that failed.
    return HttpResponse(render_to_string(template, context or {}), status=status)


def service_unavailable():
    response = _page("503.html", 503)
    # Tell clients and proxies to try again shortly rather than cache the outage.
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def request_too_large(limit_bytes):
    megabytes = limit_bytes / (1024 * 1024)
    return _page("413.html", 413, {"limit_megabytes": f"{megabytes:g}"})


def bad_request(request, exception, template_name="400.html"):
    """A form post larger than DATA_UPLOAD_MAX_MEMORY_SIZE is too large (413), not malformed."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return defaults.bad_request(request, exception, template_name)


def server_error(request, template_name="500.html"):
    """The database failing outside a view (e.g. in a middleware) still gets the 503 page."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return service_unavailable()
    return defaults.server_error(request, template_name)
