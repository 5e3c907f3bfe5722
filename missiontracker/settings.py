"""
Settings for Mission Tracker.

Every value that differs between deployments is read from the environment (or a `.env`
file beside manage.py) through django-environ; `.env.example` documents each one. With no
environment at all the app runs on SQLite in the project folder.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from missiontracker import backing_services

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A key anyone can read in this file is only good for a developer's laptop.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-deploy"
# The value .env.example shows: copying the example file must not give a working server.
PLACEHOLDER_SECRET_KEY = "change-me-to-a-long-random-value-of-fifty-characters-or-more"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not DEBUG:
    # The same bar as `check --deploy` (security.W009: at least 50 characters, 5 distinct),
    # enforced at start-up, since gunicorn starts without running the checks.
    if not SECRET_KEY or SECRET_KEY in (DEVELOPMENT_SECRET_KEY, PLACEHOLDER_SECRET_KEY):
        problem = "missing, or is the development key or .env.example's placeholder"
    elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problem = "too short or too simple (at least 50 characters, 5 different ones)"
    else:
        problem = None
    if problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY is {problem}, and DEBUG is off. Set SECRET_KEY to a long random "
            "value in the environment or in .env (see .env.example), or set DEBUG=true "
            "for local development."
        )
elif not SECRET_KEY:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Content in every language (diary/translation.py); before the admin, as it requires.
    "modeltranslation",
    # The admin, as "Mission Tracker — staff": diary first, a start page (diary/staff_site.py).
    "diary.staff_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    # Search indexes (diary migration 0009) need its index-expression support; on other
    # databases it does nothing.
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "simple_history",
    # Country names in every language the site speaks (Place.country).
    "django_countries",
    "diary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # TRACE and other methods no view handles: a small 405, before any page is rendered.
    "missiontracker.middleware.MethodLimitMiddleware",
    # Before anything reads the body: a 100 MB post is refused from its Content-Length alone.
    "missiontracker.middleware.RequestSizeLimitMiddleware",
    # Outermost of what touches the database, so a view that finds it down answers 503.
    "missiontracker.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached public pages are answered here, before the rest runs (see diary/caching.py).
    "diary.caching.PublicPageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records which staff member made each change in the audit trail.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "missiontracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "missiontracker.wsgi.application"

# DATABASE_URL unset: SQLite beside manage.py, nothing to set up.
# Persistent connections and PostgreSQL time limits by default: see backing_services.py.
DATABASES = {
    "default": backing_services.database(
        env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=None),
        statement_timeout_ms=env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=None),
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to one file. WAL lets readers go on while one writes;
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
    # busy timeout instead of one failing mid-transaction with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Staff sign-in ------------------------------------------------------------------------
# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# After this many failed sign-ins a username is locked, even with the right password then.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Either trips the lock: one username guessed at from anywhere, or one address trying many
# usernames. Behind the proxy the address is the client's, read from X-Forwarded-For.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "missiontracker.lockout.client_ip"
# Bounded and normalised before django-axes stores it (an over-long one was a 500 on PostgreSQL).
AXES_USERNAME_CALLABLE = "missiontracker.lockout.client_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "missiontracker.lockout.locked_out"

# Rendered public pages, keyed on the content version in the database, so a per-process
# cache is never stale. Unset: each process's own memory. Several machines: share one Redis,
# e.g. CACHE_URL=redis://127.0.0.1:6379/1 (Django's built-in RedisCache).
# Redis gets short socket timeouts and a JSON serializer (backing_services.py); each process
# also keeps recent pages in its own memory in front of it (diary/caching.py).
CACHES = {"default": backing_services.cache(env.cache("CACHE_URL", default="locmemcache://"))}
# Bytes of pages each process keeps in memory in front of CACHES["default"].
PAGE_CACHE_LOCAL_BYTES = env.int("PAGE_CACHE_LOCAL_BYTES", default=32 * 1024 * 1024)

# Past this many visits a mission's itinerary lists each day with its number of visits,
# linking to the day's page, instead of every visit card (diary/queries.py).
FULL_ITINERARY_MAX_VISITS = 200

# Entries on one page of the public lists that come a page at a time (diary/views.py): the
# agreement registry, an organisation's or a person's visits, an organisation's agreements,
# and the A–Z directories of organisations and people. Set here, not in the environment: this
# file is part of the code release the page cache keys on, so a new size is never served
# from pages cached at the old one.
AGREEMENTS_PER_PAGE = 50
VISITS_PER_PAGE = 25
ORGANISATION_AGREEMENTS_PER_PAGE = 20
DIRECTORY_PER_PAGE = 100

# A constant page at /benchmark/constant/ that bench/run.py compares real pages against.
# Only for benchmark runs; never set it in production.
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("ja", "日本語")]
# The diary's content (diary/translation.py): one column per language, English required,
# and English shown where a field has no translation (the pages mark it lang="en").
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LOCALE_PATHS = [BASE_DIR / "locale"]
# The server's clock zone; each mission shows its own times in its own zone.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
# English dates in the British form the public site uses (12 June 2024, 24-hour times),
# in the admin too: missiontracker/formats/en/formats.py.
FORMAT_MODULE_PATH = ["missiontracker.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"
# Where a sign-in lands when its `next` is missing or unsafe (Django refuses off-site ones):
# the admin, not Django's default /accounts/profile/, which does not exist here.
LOGIN_REDIRECT_URL = "admin:index"

# --- Deployment security --------------------------------------------------------------------
# Every switch is off or lax by default so `make run` works over plain http; .env.example
# turns them all on for production, where `manage.py check --deploy` then reports nothing.
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer probes /health/ over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp 4): everything from our own origin, nothing inline,
# nothing framed. The Django admin passes too: its scripts are files and its data blocks are
# JSON (`<script type="application/json">` is data, never run), so it needs no exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Oversized input ------------------------------------------------------------------------
# A form post's fields (not its files) may be this large; past it Django answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
# Any request body, files included, past this is refused before it is read (413).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=20 * 1024 * 1024)

# The largest JSON fixture staff may upload in the admin; larger files get a form error
# before a byte is read. Kept under MAX_REQUEST_BYTES (which answers 413 to the whole
# request) with room for the form's other parts, so a fixture near the limit gets this
# form's clear message.
FIXTURE_UPLOAD_MAX_BYTES = min(20 * 1024 * 1024, MAX_REQUEST_BYTES - 64 * 1024)
# An existing folder in which an uploaded fixture waits, in a private folder of its own,
# between preview and confirmation (diary/interchange/admin_views.py). Unset: the system's
# temporary folder. Every server process of one instance must see the same folder.
FIXTURE_STAGING_DIR = env.str("FIXTURE_STAGING_DIR", default=None)

# --- Open data ------------------------------------------------------------------------------
# The licence and publisher the public documents (CSV with CSVW metadata, JSON) and the page
# footer name (docs/open-data.md).
OPEN_DATA_LICENCE_NAME = env("OPEN_DATA_LICENCE_NAME", default="CC BY 4.0")
OPEN_DATA_LICENCE_URL = env(
    "OPEN_DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)
OPEN_DATA_PUBLISHER_NAME = env("OPEN_DATA_PUBLISHER_NAME", default="Mission Tracker")
OPEN_DATA_PUBLISHER_URL = env("OPEN_DATA_PUBLISHER_URL", default="")

# --- Corrections ------------------------------------------------------------------------------
# Where "Report a correction" (every page's footer) leads: a mailto: address, opened with the
# page's address in its subject and body, or a web form's https:// address, given the page as
# ?page=<address>. The default is a placeholder that reaches nobody: set your own.
CORRECTIONS_ADDRESS = env.str("CORRECTIONS_ADDRESS", default="mailto:corrections@example.invalid")
if not CORRECTIONS_ADDRESS.startswith(("mailto:", "https://", "http://")):
    raise ImproperlyConfigured(
        f"CORRECTIONS_ADDRESS must be a mailto: address or an http(s):// address, not "
        f"{CORRECTIONS_ADDRESS!r}."
    )

# --- Logs -------------------------------------------------------------------------------------
# Everything goes to stderr, which gunicorn (and systemd or a container runtime) collects:
# every 500 with its request path and traceback ("Internal Server Error: /path"), every 503
# for an unreachable database, a failing page cache, refused Host headers.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # Replaces Django's default, which writes request errors nowhere when DEBUG is off
        # (they only go to ADMINS by mail, and none are configured).
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        # runserver's own access log, as Django configures it.
        "django.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
