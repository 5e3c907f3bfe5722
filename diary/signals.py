"""Every change to diary content bumps the content version, which retires every cached page."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import m2m_changed, post_delete, post_save
from simple_history.models import HistoricalChanges

from .models import ContentVersion

# Set while an import (or any bulk change) writes: it bumps once itself, at the end. A context
# variable, so it holds for the importing thread only: other editors' saves still bump.
_bumps_suspended = ContextVar("diary_content_bumps_suspended", default=False)


@contextmanager
def content_bumps_suspended():
    """
    Within this block, saves and deletes in this thread do not bump the content version; the
    caller bumps once (ContentVersion.bump()) when its changes are in.

    Why: each bump updates the version's single row, and a transaction that bumps holds that
    row's lock until it commits. An import that bumped on every row held it for minutes, and
    every editor's save, which bumps too, waited behind it (issue 9, item 14).
    """
    token = _bumps_suspended.set(True)
    try:
        yield
    finally:
        _bumps_suspended.reset(token)


def _is_diary_content(model):
    # Audit-history rows are written beside the change they record, which has already
    # bumped the version; no public page shows them, so they need no bump of their own.
    return (
        model._meta.app_label == "diary"
        and model is not ContentVersion
        and not issubclass(model, HistoricalChanges)
    )


def content_saved_or_deleted(sender, using, **kwargs):
    # raw=True (loaddata, fixtures) bumps too, deliberately: that is how whole missions
    # arrive, and a fixture's rows are as visible as an admin edit. Bulk operations
    # (bulk_create, QuerySet.update) send no signals, and import_mission suspends these
    # bumps: their callers bump once themselves.
    if not _bumps_suspended.get() and _is_diary_content(sender):
        ContentVersion.bump(using=using)


def relations_changed(sender, instance, action, using, **kwargs):
    if (
        not _bumps_suspended.get()
        and action.startswith("post_")
        and _is_diary_content(type(instance))
    ):
        ContentVersion.bump(using=using)


def connect():
    post_save.connect(content_saved_or_deleted, dispatch_uid="diary-content-saved")
    post_delete.connect(content_saved_or_deleted, dispatch_uid="diary-content-deleted")
    m2m_changed.connect(relations_changed, dispatch_uid="diary-relations-changed")
