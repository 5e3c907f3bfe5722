"""Every change to diary content bumps the content version, which retires every cached page."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from simple_history.models import HistoricalChanges

from .models import ContentVersion


def _is_diary_content(model):
    # Audit-history rows are written beside the change they record, which has already
    # bumped the version; no public page shows them, so they need no bump of their own.
    return (
        model._meta.app_label == "diary"
        and model is not ContentVersion
        and not issubclass(model, HistoricalChanges)
    )


def content_saved_or_deleted(sender, using, **kwargs):
    # raw=True (loaddata, fixtures, imports) bumps too, deliberately: that is how whole
    # missions arrive, and a fixture's rows are as visible as an admin edit. It costs one
    # UPDATE per row, which is nothing beside the row itself. Bulk operations
    # (bulk_create, QuerySet.update) send no signals: their callers bump once themselves.
    if _is_diary_content(sender):
        ContentVersion.bump(using=using)


def relations_changed(sender, instance, action, using, **kwargs):
    if action.startswith("post_") and _is_diary_content(type(instance)):
        ContentVersion.bump(using=using)


def connect():
    post_save.connect(content_saved_or_deleted, dispatch_uid="diary-content-saved")
    post_delete.connect(content_saved_or_deleted, dispatch_uid="diary-content-deleted")
    m2m_changed.connect(relations_changed, dispatch_uid="diary-relations-changed")
