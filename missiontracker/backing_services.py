"""
What the app expects of the services it talks to, as defaults added to the parsed URLs.

`DATABASE_URL` and `CACHE_URL` name a server; these functions add how long to wait for it
and how long to keep a connection. Anything the URL itself sets wins (e.g.
`?conn_max_age=0`), so an operator can still override each default.

- A database that accepts connections and never answers must cost seconds, not gunicorn's
  30 s timeout and its generic 500: libpq's `connect_timeout` turns it into an
  OperationalError, which the app answers with its 503 page. `statement_timeout` stops a
  runaway query on a live server long before gunicorn kills the worker.
- A cache is an optimisation: a Redis that is down or hangs must cost a fraction of a
  second per request at most (and the page cache stops asking for a while after a failure).
- Persistent connections, checked before reuse: opening a connection (and SQLite's
  PRAGMAs) costs more than serving a cached page. The check is each request's first query,
  the content version read (diary.models.ContentVersion.current), which reconnects once
  when the kept connection has died; Django's CONN_HEALTH_CHECKS would add a `SELECT 1`
  round trip of its own to every request, so it is off by default.
"""

import json
import logging

logger = logging.getLogger(__name__)

POSTGRESQL = "django.db.backends.postgresql"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"

# Seconds a connection is kept between requests; each reuse is checked by its first query.
CONN_MAX_AGE = 600
# libpq counts whole seconds and waits at least 2.
DATABASE_CONNECT_TIMEOUT = 3
DATABASE_STATEMENT_TIMEOUT_MS = 20_000
# Redis answers in well under a millisecond on a working network.
REDIS_SOCKET_TIMEOUT = 0.25
# Values read from Redis are JSON, never pickle: see JSONSerializer below.
REDIS_SERIALIZER = "missiontracker.backing_services.JSONSerializer"


def database(config, *, connect_timeout=None, statement_timeout_ms=None):
    """A DATABASES entry (as django-environ parses it) with the app's defaults added."""
    config = {**config, "OPTIONS": dict(config.get("OPTIONS") or {})}
    config.setdefault("CONN_MAX_AGE", CONN_MAX_AGE)
    config.setdefault("CONN_HEALTH_CHECKS", False)
    if config["ENGINE"] == POSTGRESQL:
        options = config["OPTIONS"]
        options.setdefault("connect_timeout", connect_timeout or DATABASE_CONNECT_TIMEOUT)
        timeout = statement_timeout_ms or DATABASE_STATEMENT_TIMEOUT_MS
        options.setdefault("options", f"-c statement_timeout={timeout}")
    return config


def cache(config):
    """A CACHES entry (as django-environ parses it) with the app's defaults added."""
    config = {**config, "OPTIONS": dict(config.get("OPTIONS") or {})}
    if config["BACKEND"] == REDIS_CACHE:
        options = config["OPTIONS"]
        options.setdefault("socket_connect_timeout", REDIS_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", REDIS_SOCKET_TIMEOUT)
        # Not overridable from the URL: reading pickle from a shared server would let
        # anyone who can write to it run code in the app.
        options["serializer"] = REDIS_SERIALIZER
    return config


class JSONSerializer:
    """
    Django's RedisCache serializer, with JSON where Django's uses pickle.

    Whatever can write to Redis decides what a worker reads back; `pickle.loads` of such a
    value runs any code it names, JSON cannot. Integers stay plain, as Django's serializer
    keeps them, so `incr()` works. A value that is not JSON reads as a miss (logged), never
    as an error: the caller renders the page afresh.
    """

    def dumps(self, value):
        if type(value) is int:  # not bool, as in Django's RedisSerializer
            return value
        return json.dumps(value, separators=(",", ":")).encode()

    def loads(self, data):
        try:
            return int(data)
        except ValueError:
            pass
        try:
            return json.loads(data)
        except ValueError:
            logger.warning("Ignored a cache value that is not JSON (%d bytes)", len(data))
            return None
