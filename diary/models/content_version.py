"""One number that goes up whenever diary content changes: what page caches are keyed on."""

import time

from django.db import IntegrityError, connections, models, router, transaction
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

        Read on every public request, so it skips the ORM's query building, which costs
        more than this primary-key lookup itself.
        """
        connection = connections[using or router.db_for_read(cls)]
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
