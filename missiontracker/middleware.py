"""Guards in front of every view: odd methods, oversized requests, an unreachable database."""

import logging

from django.conf import settings
from django.http import HttpResponseNotAllowed

from .errors import DATABASE_ERRORS, request_too_large, service_unavailable

logger = logging.getLogger(__name__)


class MethodLimitMiddleware:
    """
    Answer 405, in a few bytes, to methods no view of this site handles (TRACE, PUT, …).

    Function views would otherwise render a whole page for any method: TRACE is a
    cross-site-tracing probe, and no method but these four is ever meant.
    """

    ALLOWED = ("GET", "HEAD", "POST", "OPTIONS")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.ALLOWED:
            response = HttpResponseNotAllowed(self.ALLOWED)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """
    Refuse a request whose declared body exceeds MAX_REQUEST_BYTES before reading any of it.

    DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files; without this a 100 MB upload
    would be streamed to a temporary file before any view could say no.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BYTES:
            return request_too_large(settings.MAX_REQUEST_BYTES)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """The database is down: answer 503 with a friendly page, log it, keep the worker alive."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable answering %s: %s", request.path, exception)
            return service_unavailable()
        return None
