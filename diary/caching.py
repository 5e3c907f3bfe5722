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
  cookie and embeds no CSRF token. `public_page(params=("page",))` names the query
  parameters the view reads; a request with any other is rendered, never stored.
  `public_page(everyone=True)` is for documents that are the same whoever asks (the public
  formats: published data only, no session read): they are shared with every reader, so a
  made-up session cookie cannot make the server build a large export again and again.
- `PublicPageCacheMiddleware`, high in MIDDLEWARE, stores marked pages as the rest of the
  stack finished them (security headers and all) and answers later requests for them before
  that stack runs: a cached page costs little more than a constant response.

Two layers: each process keeps recent pages in its own memory (bounded), in front of
CACHES["default"] (Redis when several machines share pages). A page stored under a content
version can never be stale, so a local hit needs no trip to Redis. What is stored in Redis is
JSON (bodies in base64), read through a serializer that never unpickles: whoever can write to
Redis cannot run code in the app. A cache that fails or hangs is skipped for a few seconds
and pages are rendered meanwhile: the cache is an optimisation, never a reason to fail.

Only canonical requests are stored, so the number of entries is bounded by the content, not
by what clients send: a Host allowed by ALLOWED_HOSTS, in lower case, with no port or this
server's own port (the pages' absolute links carry it); declared query parameters only, each
once, in the form the site's own links use; the language taken from the address, as
LocaleMiddleware takes it (Accept-Language and the language cookie choose nothing here).

Only anonymous readers share pages. Staff, and anyone carrying a session, get a freshly
rendered page.
"""

import base64
import datetime
import functools
import gzip
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from .models import ContentVersion

logger = logging.getLogger(__name__)

PAGE_CACHE_ALIAS = "default"
KEY_PREFIX = "diary:page"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# How long a page stays in the shared cache: old versions' pages are never read again, so
# this only bounds how long they occupy memory Redis could not free otherwise.
SHARED_TIMEOUT_SECONDS = 3600
# After the shared cache failed once, this process leaves it alone for this long, so a hung
# Redis costs one short timeout per few seconds rather than one per request.
SHARED_RETRY_SECONDS = 5
STORED_FORMAT = 1
# What Django raises when the database server is down, unreachable or refuses connections.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def _harmless_cookies():
    """Cookies that cannot change what an anonymous reader is shown."""
    return {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def _is_shared_reader(request):
    # No session cookie means no signed-in user (authentication lives in the session), so
    # the session store need not even be opened.
    return request.method in ("GET", "HEAD") and set(request.COOKIES) <= _harmless_cookies()


def _may_share(request, declared):
    """Whether this request may be answered from, and stored in, the cache of a view."""
    if declared.everyone:
        return request.method in ("GET", "HEAD")
    return _is_shared_reader(request)


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
    """
    The version this request works with: read once, before anything is rendered.

    A read that failed fails again at once for the rest of the request: a database that
    hangs costs the request one connect timeout, not one per reader of the version.
    """
    if not hasattr(request, "content_version"):
        try:
            request.content_version = ContentVersion.current()
        except DATABASE_ERRORS as error:
            request.content_version = error
    if isinstance(request.content_version, Exception):
        raise request.content_version
    return request.content_version


def page_language(request):
    """
    (language, whether the address alone chose it), decided as LocaleMiddleware decides.

    With i18n_patterns and an unprefixed default language, every address names its language
    (no prefix: LANGUAGE_CODE), so neither Accept-Language nor the cookie changes the page.
    Otherwise the language comes from the request, normalised to one of LANGUAGES.
    """
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default = is_language_prefix_patterns_used(urlconf)
    from_path = translation.get_language_from_path(request.path_info)
    if i18n_patterns_used and from_path:
        return from_path, True
    if i18n_patterns_used and not prefixed_default:
        return settings.LANGUAGE_CODE, True
    return translation.get_language_from_request(request, check_path=i18n_patterns_used), False


def _canonical_host(request):
    """The validated Host when a clean request would send it, else None."""
    host = request.get_host()  # DisallowedHost (answered 400) unless ALLOWED_HOSTS has it
    _, port = split_domain_port(host)
    if host != host.lower() or (port and port != str(request.get_port())):
        return None
    return host


def _canonical_query(request, params):
    """True when the query holds declared parameters only, once each, as our links write them."""
    query = request.GET
    return (
        all(name in params and len(query.getlist(name)) == 1 for name in query)
        and request.META.get("QUERY_STRING", "") == query.urlencode()
    )


def page_validators(request, version, changed_at, today=None):
    """(cache key, ETag) of this page at this content version, on this day."""
    # changed_at (Unix seconds) is in the key too: should the version row ever be reset (a
    # database flushed and refilled), its numbers repeat but its times do not. So is the
    # date: an agreement's status is derived from its dates (past its expiry it is expired),
    # so a page can change at midnight with no edit.
    today = today or datetime.date.today()
    page = "\n".join(
        [
            f"{version} {changed_at} {today.isoformat()}",
            code_release(),
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            page_language(request)[0],
        ]
    )
    digest = hashlib.sha256(page.encode()).hexdigest()[:24]
    return f"{KEY_PREFIX}:{digest}", f'"{version}-{digest}"'


def last_modified(changed_at, now=None):
    """
    The Last-Modified to send, or None while the change is as recent as this second.

    HTTP dates have one-second resolution: a page from a second that saw a change may be
    older than another page of that same second, so it gets no date (its ETag still
    validates it). A date is thus never later than the response's Date, and two versions
    never share one.
    """
    now = int(time.time()) if now is None else now
    return changed_at if 0 < changed_at < now else None


@dataclass(frozen=True)
class SharedView:
    """What a public view declared: the query parameters it reads, and who may share it."""

    params: frozenset
    everyone: bool


def public_page(view=None, *, params=(), everyone=False):
    """
    Let the page cache share this view's pages among anonymous readers.

    `params`: the query parameters the view reads (e.g. ("page",)); a request carrying any
    other is answered as rendered and not stored.
    `everyone`: the view's answer does not depend on who asks (it reads no session and shows
    no draft to staff), so readers with cookies share it too.
    """
    declared = SharedView(frozenset(params), everyone)
    if view is None:
        return functools.partial(public_page, params=declared.params, everyone=everyone)

    @functools.wraps(view)
    def public_view(request, *args, **kwargs):
        if not _may_share(request, declared):
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
            response.shared_page = (version, declared)
        return response

    return public_view


@dataclass(frozen=True)
class StoredPage:
    """A finished page: its body plain and gzipped, and its headers but the validators."""

    content: bytes
    compressed: bytes
    headers: dict

    @classmethod
    def of(cls, response):
        skip = {"content-length", "etag", "last-modified"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
        content = response.content
        return cls(content, gzip.compress(content, mtime=0), headers)

    @property
    def size(self):
        return len(self.content) + len(self.compressed)

    def encode(self):
        """Plain JSON for the shared cache: nothing in it can execute when read."""
        return {
            "format": STORED_FORMAT,
            "content": base64.b64encode(self.content).decode(),
            "compressed": base64.b64encode(self.compressed).decode(),
            "headers": self.headers,
        }

    @classmethod
    def decode(cls, value):
        """The page read back from the shared cache, or None for anything else."""
        try:
            if value["format"] != STORED_FORMAT:
                return None
            headers = {str(k): str(v) for k, v in value["headers"].items()}
            return cls(
                base64.b64decode(value["content"], validate=True),
                base64.b64decode(value["compressed"], validate=True),
                headers,
            )
        except (TypeError, KeyError, AttributeError, ValueError):
            logger.warning("Ignored a malformed page in the shared cache")
            return None

    def response(self, request, etag, modified):
        """The page in the encoding the reader accepts, with that representation's ETag."""
        content, headers = self.content, dict(self.headers)
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            content, etag = self.compressed, f'{etag[:-1]}-gzip"'
            headers["Content-Encoding"] = "gzip"
        headers.update({"ETag": etag, "Content-Length": len(content)})
        if modified is not None:
            headers["Last-Modified"] = http_date(modified)
        response = HttpResponse(content, headers=headers)
        return get_conditional_response(
            request, etag=etag, last_modified=modified, response=response
        )


class LocalPages:
    """
    This process's recent pages, least recently used dropped first past `max_bytes`.

    Written out rather than a LocMemCache: that would pickle every page on each read and
    write, and bounds entries, not bytes.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.size = 0
        self.pages = OrderedDict()
        self.lock = threading.Lock()  # gthread workers serve several requests at once

    def get(self, key):
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def set(self, key, page):
        if page.size > self.max_bytes:
            return
        with self.lock:
            previous = self.pages.pop(key, None)
            if previous is not None:
                self.size -= previous.size
            self.pages[key] = page
            self.size += page.size
            while self.size > self.max_bytes:
                _, dropped = self.pages.popitem(last=False)
                self.size -= dropped.size


class SharedPages:
    """CACHES["default"], left alone for a few seconds whenever it fails."""

    def __init__(self, alias):
        self.alias = alias
        self.retry_at = 0.0

    def _cache(self):
        cache = caches[self.alias]
        # The default in-process cache would only hold a second copy of the local layer.
        if isinstance(cache, LocMemCache) or time.monotonic() < self.retry_at:
            return None
        return cache

    def _failed(self, action, error):
        self.retry_at = time.monotonic() + SHARED_RETRY_SECONDS
        logger.warning(
            "Page cache %r failed to %s (%s: %s); pages are rendered without it for %d s",
            self.alias,
            action,
            type(error).__name__,
            error,
            SHARED_RETRY_SECONDS,
        )

    def get(self, key):
        cache = self._cache()
        if cache is None:
            return None
        try:
            value = cache.get(key)
        except Exception as error:  # any failure of an optimisation degrades to rendering
            self._failed("read", error)
            return None
        return None if value is None else StoredPage.decode(value)

    def set(self, key, page):
        cache = self._cache()
        if cache is None:
            return
        try:
            cache.set(key, page.encode(), SHARED_TIMEOUT_SECONDS)
        except Exception as error:
            self._failed("store", error)


def _without_vary(response, header):
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in vary if v.lower() != header.lower()]
    if len(kept) != len(vary):
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]


class PublicPageCacheMiddleware:
    """
    Answer anonymous readers from the cache, before the rest of the middleware runs.

    Place it after WhiteNoise (static files never reach it) and inside whatever turns a
    database outage into a 503, since it reads the content version, and before anything
    else that queries the database: that read is each request's connection check.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Paths this process has seen a public view answer, with the query parameters that
        # view declared: only those cost a cache lookup.
        self.public_paths = {}
        self.local = LocalPages(settings.PAGE_CACHE_LOCAL_BYTES)
        self.shared = SharedPages(PAGE_CACHE_ALIAS)

    def __call__(self, request):
        # Every request's first query, whatever it asks for: it is also the check that this
        # process's kept database connection still works (see ContentVersion.current).
        try:
            _content_version(request)
        except DATABASE_ERRORS:
            # Nothing to serve from the cache nor to store in it; whatever needs the
            # database answers for itself (pages: the 503 page; /health/: its report).
            return self.get_response(request)
        declared = self.public_paths.get(request.path)
        if not _may_share(request, declared or SharedView(frozenset(), everyone=False)):
            # Not an anonymous reader; the view may still share its answer with everyone.
            if request.method not in ("GET", "HEAD"):
                return self.get_response(request)
            return self._render(request, _canonical_host(request))
        # Validated before any cached answer: a Host not in ALLOWED_HOSTS gets its 400.
        host = _canonical_host(request)
        if host and declared is not None and _canonical_query(request, declared.params):
            version = _content_version(request)
            key, etag = page_validators(request, *version)
            stored = self.local.get(key)
            if stored is None:
                stored = self.shared.get(key)
                if stored is not None:
                    self.local.set(key, stored)
            if stored is not None:
                return stored.response(request, etag, last_modified(version[1]))
        return self._render(request, host)

    def _render(self, request, host):
        """Let the view answer; store what it marked as shared."""
        response = self.get_response(request)
        shared = getattr(response, "shared_page", None)
        if shared is None or response.cookies:
            return response
        version, declared = shared
        params = declared.params
        self.public_paths[request.path] = declared
        if page_language(request)[1]:  # the address chose the language, not the header
            _without_vary(response, "Accept-Language")
        # Browsers keep the page but ask each time: a 304 until the content changes.
        patch_cache_control(response, no_cache=True)
        patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
        key, etag = page_validators(request, *version)
        stored = StoredPage.of(response)
        if host and _canonical_query(request, params):
            self.local.set(key, stored)
            self.shared.set(key, stored)
        return stored.response(request, etag, last_modified(version[1]))
