"""One number that goes up whenever diary content changes: what page caches are keyed on."""

import datetime

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Now
from django.utils import timezone

SINGLETON_PK = 1


class ContentVersion(models.Model):
    """
    The single row (pk 1) every worker reads once per request.

    It lives in the database, not in a cache, so that several server processes, each with
    its own in-memory cache, agree on it: a change saved through one is seen by all on the
    next request.
    """

    value = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "content version"

    def __str__(self):
        return f"version {self.value} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def current(cls, using=None):
        """(value, changed_at) in one query; (0, None) before anything was ever saved."""
        row = cls.objects.using(using).filter(pk=SINGLETON_PK).values_list("value", "changed_at")
        return row.first() or (0, None)

    @classmethod
    def bump(cls, using=None):
        """
        Add one, atomically (F + 1, so concurrent writers never lose a bump).

        changed_at moves at least one second forward each time: HTTP dates have one-second
        resolution, so two versions must never share a Last-Modified second, or a client
        holding the older page could be told it is still current.
        """
        updated = (
            cls.objects.using(using)
            .filter(pk=SINGLETON_PK)
            .update(
                value=F("value") + 1,
                changed_at=Greatest(Now(), F("changed_at") + datetime.timedelta(seconds=1)),
            )
        )
        if not updated:
            try:
                with transaction.atomic(using=using):
                    cls.objects.using(using).create(pk=SINGLETON_PK, value=1)
            except IntegrityError:  # another process created it first: bump that row
                cls.bump(using=using)
