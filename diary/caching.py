"""
Public pages from a cache that is never stale.

Every save, delete or relation change of diary content bumps one number in the database
(`ContentVersion`, see `diary/signals.py`). Each anonymous request reads that number once (one
cheap query) and looks its page up under it: after an edit the number has moved, so no worker
— whatever its own in-memory cache still holds — can find a page rendered before the edit.
The same number makes the ETag, so a browser's revalidation is answered 304 exactly when
nothing has changed since its copy. Each page is gzipped once when stored, and sent so to
readers that accept it, as every browser does.

Only anonymous readers share pages. Anyone carrying a session (staff previewing drafts) or
any cookie the page might depend on gets a freshly rendered page, and a response that sets a
cookie or embeds a CSRF token is never stored.
"""

import gzip
import hashlib
import re
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

from .models import ContentVersion

PAGE_CACHE_ALIAS = "default"
KEY_PREFIX = "diary:page"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _harmless_cookies():
    """Cookies that cannot change what an anonymous reader is shown."""
    return {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def _is_shared_reader(request):
    # No session cookie means no signed-in user (authentication lives in the session), so
    # the session store need not even be opened.
    return request.method in ("GET", "HEAD") and set(request.COOKIES) <= _harmless_cookies()


def _is_shareable(request, response):
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
    )


def page_validators(request, version, changed_at):
    """(cache key, ETag, Last-Modified timestamp) of this page at this content version."""
    # changed_at (Unix seconds) goes into the key too: should the version row ever be reset
    # (a database flushed and refilled), its numbers repeat but its times do not.
    page = f"{version} {changed_at} {get_language()} {request.get_full_path()}"
    digest = hashlib.sha256(page.encode()).hexdigest()[:24]
    return f"{KEY_PREFIX}:{digest}", f'"{version}-{digest}"', changed_at or None


def _storable(response):
    """The page, plain and gzipped: compressed once per content version, not per request."""
    return response.content, gzip.compress(response.content, mtime=0), dict(response.headers)


def _response_from(stored, request, etag):
    """The stored page in the encoding the reader accepts, and that representation's ETag."""
    content, compressed, headers = stored
    if not ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        return HttpResponse(content, headers=headers), etag
    etag = f'{etag[:-1]}-gzip"'
    headers = {**headers, "Content-Encoding": "gzip", "ETag": etag}
    return HttpResponse(compressed, headers=headers), etag


def public_page(view):
    """Serve a public view's pages to anonymous readers from the version-keyed cache."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if not _is_shared_reader(request):
            return view(request, *args, **kwargs)
        version, changed_at = ContentVersion.current()
        cache_key, etag, last_modified = page_validators(request, version, changed_at)
        cache = caches[PAGE_CACHE_ALIAS]
        stored = cache.get(cache_key)
        if stored is None:
            response = view(request, *args, **kwargs)
            if not _is_shareable(request, response):
                return response
            response["ETag"] = etag
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified)
            # Browsers keep the page but ask each time: a 304 until the content changes.
            patch_cache_control(response, no_cache=True)
            patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
            stored = _storable(response)
            cache.set(cache_key, stored)
        response, etag = _response_from(stored, request, etag)
        return get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )

    return cached_view
