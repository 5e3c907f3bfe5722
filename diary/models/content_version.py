"""One number that goes up whenever diary content changes: what page caches are keyed on."""

import time

from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    models,
    router,
    transaction,
)
from django.db.models import F, Value
from django.db.models.functions import Greatest

SINGLETON_PK = 1


class ContentVersion(models.Model):
    """
    The single row (pk 1) every worker reads once per request.

    It lives in the database, not in a cache, so that several server processes, each with
    its own in-memory cache, agree on it: a change saved through one is seen by all on the
    next request.
    """

    value = models.PositiveBigIntegerField(default=0)
    changed_at = models.BigIntegerField(
        default=0, help_text="Unix time, in seconds, of the last change: the Last-Modified date."
    )

    class Meta:
        verbose_name = "content version"

    def __str__(self):
        return f"version {self.value}"

    @classmethod
    def current(cls, using=None):
        """
        (value, changed_at) in one query; (0, 0) before anything was ever saved.

        Read first thing on every request (diary.caching), so it is also the check that the
        database connection kept from an earlier request still works: a connection the
        server has closed meanwhile (a restart, a failover, an idle timeout) is dropped and
        the read made once more on a new one. That is what Django's CONN_HEALTH_CHECKS does
        with a `SELECT 1` of its own, a second round trip per request; Django has no public
        way to let a request's first query serve as that check (the setting came with
        ticket #30398 as a separate query), so the app's default turns Django's off
        (missiontracker/backing_services.py) and this read does the job.

        It skips the ORM's query building, which costs more than this primary-key lookup.
        """
        connection = connections[using or router.db_for_read(cls)]
        # Connecting afresh and failing is an outage, not a stale connection: no second try.
        connection.ensure_connection()
        try:
            return cls._read(connection)
        except (OperationalError, InterfaceError):
            # Inside a transaction a new connection would not see its work: the caller's.
            # Outside one, a second failure on a new connection is the caller's too (the
            # database is down: answered 503 by missiontracker.middleware).
            if connection.in_atomic_block:
                raise
            connection.close()
            return cls._read(connection)

    @classmethod
    def _read(cls, connection):
        quote = connection.ops.quote_name
        sql = "SELECT {}, {} FROM {} WHERE {} = %s".format(
            quote("value"), quote("changed_at"), quote(cls._meta.db_table), quote("id")
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [SINGLETON_PK])
            row = cursor.fetchone()
        return tuple(row) if row else (0, 0)

    @classmethod
    def bump(cls, using=None):
        """
        Add one, atomically (F + 1, so concurrent writers never lose a bump).

        changed_at is the time of the change, never moved backwards (another server's clock
        may be a little behind) and never ahead of the clock: a Last-Modified later than the
        response's Date is wrong, and an import bumping a hundred times must not push it a
        hundred seconds into the future. Two versions may share a second; the page cache
        then sends no Last-Modified for a page of that second (diary.caching.last_modified).
        """
        now = int(time.time())
        updated = (
            cls.objects.using(using)
            .filter(pk=SINGLETON_PK)
            .update(value=F("value") + 1, changed_at=Greatest(Value(now), F("changed_at")))
        )
        if not updated:
            try:
                with transaction.atomic(using=using):
                    cls.objects.using(using).create(pk=SINGLETON_PK, value=1, changed_at=now)
            except IntegrityError:  # another process created it first: bump that row
                cls.bump(using=using)
