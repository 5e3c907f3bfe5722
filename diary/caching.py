"""
Public pages from a cache that is never stale.

Every save, delete or relation change of diary content bumps one number in the database
(`ContentVersion`, see `diary/signals.py`). Each anonymous request reads that number once (one
cheap query) and looks its page up under it: after an edit the number has moved, so no worker
— whatever its own in-memory cache still holds — can find a page rendered before the edit.
The same number makes the ETag, so a browser's revalidation is answered 304 exactly when
nothing has changed since its copy. Each page is gzipped once when stored, and sent so to
readers that accept it, as every browser does.

Two parts:
- `public_page`, a view decorator, marks which pages may be shared: only public views, only
  for readers with no session or other telling cookie, and only a response that sets no
  cookie and embeds no CSRF token. Admin, exports and feeds are not decorated: never cached.
- `PublicPageCacheMiddleware`, high in MIDDLEWARE, stores marked pages as the rest of the
  stack finished them (security headers and all) and answers later requests for them before
  that stack runs: a cached page costs little more than a constant response.

Only anonymous readers share pages. Staff, and anyone carrying a session, get a freshly
rendered page.
"""

import functools
import gzip
import hashlib
import re
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from .models import ContentVersion

PAGE_CACHE_ALIAS = "default"
KEY_PREFIX = "diary:page"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _harmless_cookies():
    """Cookies that cannot change what an anonymous reader is shown, but for its language."""
    return {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def _is_shared_reader(request):
    # No session cookie means no signed-in user (authentication lives in the session), so
    # the session store need not even be opened.
    return request.method in ("GET", "HEAD") and set(request.COOKIES) <= _harmless_cookies()


# What a page is rendered from besides the content: after a deploy changes any of it, pages
# rendered by the old code must not be served from a shared cache (Redis outlives workers).
RELEASE_SOURCES = ("diary", "missiontracker", "templates", "static", "locale")
RELEASE_SUFFIXES = {".py", ".html", ".txt", ".css", ".js", ".svg", ".mo"}


@functools.cache
def code_release():
    """A digest of the code and templates this process serves pages from (computed once)."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in RELEASE_SOURCES:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in RELEASE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _content_version(request):
    """The version this request works with: read once, before anything is rendered."""
    if not hasattr(request, "content_version"):
        request.content_version = ContentVersion.current()
    return request.content_version


def page_validators(request, version, changed_at):
    """(cache key, ETag, Last-Modified timestamp) of this page at this content version."""
    # Keyed on what chooses the page's language (path prefix, cookie, Accept-Language) rather
    # than on the language itself, which is only known further down the middleware stack.
    # changed_at (Unix seconds) is in the key too: should the version row ever be reset (a
    # database flushed and refilled), its numbers repeat but its times do not.
    page = "\n".join(
        [
            f"{version} {changed_at}",
            code_release(),
            request.get_full_path(),
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
        ]
    )
    digest = hashlib.sha256(page.encode()).hexdigest()[:24]
    return f"{KEY_PREFIX}:{digest}", f'"{version}-{digest}"', changed_at or None


def public_page(view):
    """Let the page cache share this view's pages among anonymous readers."""

    @wraps(view)
    def public_view(request, *args, **kwargs):
        if not _is_shared_reader(request):
            return view(request, *args, **kwargs)
        version = _content_version(request)  # before rendering: a later edit moves it on
        response = view(request, *args, **kwargs)
        session = getattr(request, "session", None)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "cookie" not in response.get("Vary", "").lower()
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the page embeds a token
            and not (session is not None and session.modified)
        ):
            response.shared_at_version = version
        return response

    return public_view


def _storable(response):
    """The page, plain and gzipped: compressed once per content version, not per request."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return response.content, gzip.compress(response.content, mtime=0), headers


def _response_from(stored, request, etag):
    """The stored page in the encoding the reader accepts, and that representation's ETag."""
    content, compressed, headers = stored
    if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        content, etag = compressed, f'{etag[:-1]}-gzip"'
        headers = {**headers, "Content-Encoding": "gzip", "ETag": etag}
    return HttpResponse(content, headers={**headers, "Content-Length": len(content)}), etag


class PublicPageCacheMiddleware:
    """
    Answer anonymous readers from the cache, before the rest of the middleware runs.

    Place it after WhiteNoise (static files never reach it) and inside whatever turns a
    database outage into a 503, since it reads the content version.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Paths this process has seen a public view answer: only those cost a cache lookup.
        self.public_paths = set()

    def __call__(self, request):
        if not _is_shared_reader(request):
            return self.get_response(request)
        cache = caches[PAGE_CACHE_ALIAS]
        if request.path in self.public_paths:
            key, etag, last_modified = page_validators(request, *_content_version(request))
            stored = cache.get(key)
            if stored is not None:
                return self._answer(request, stored, etag, last_modified)
        response = self.get_response(request)
        version = getattr(response, "shared_at_version", None)
        if version is None or response.cookies:
            return response
        key, etag, last_modified = page_validators(request, *version)
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        # Browsers keep the page but ask each time: a 304 until the content changes.
        patch_cache_control(response, no_cache=True)
        patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
        stored = _storable(response)
        cache.set(key, stored)
        self.public_paths.add(request.path)
        return self._answer(request, stored, etag, last_modified)

    @staticmethod
    def _answer(request, stored, etag, last_modified):
        response, etag = _response_from(stored, request, etag)
        return get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
