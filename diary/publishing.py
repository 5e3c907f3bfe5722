"""
Publishing a mission: an act, with a public change note, that records a numbered revision
holding a frozen copy of the mission's public JSON (diary/exports/public_json.py builds it).

What the public reads between two publications is the live state, as before this existed:
every page, search, the registry and every format read the diary's tables, kept fresh by the
never-stale page cache, and serving "the last revision" instead would mean rendering every
one of them from a frozen document (or keeping a second copy of every table). The revisions
are the public record of what was published and when: the updates page and the feeds are
computed from their frozen copies, and staff see, before publishing an update, the
differences it will record (pending_changes). Drafts stay invisible either way; a draft's
revisions are never shown.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation

from .changelog import diff
from .exports.public_json import mission_document
from .models import Mission, Revision

# The site's own addresses in a frozen copy: "site:/missions/…", whatever host published it,
# and never mistaken for text staff typed (a title may well start with "/").
SITE = "site:"


def _site_relative(path):
    return SITE + path


def frozen_document(mission) -> dict:
    """
    The mission's public JSON as it reads now, with the site's addresses as "site:/…": the
    copy a revision keeps, the same on every host (absolute_document() serves it).
    """
    # Written in the default language (English, unprefixed addresses) whoever publishes.
    with translation.override(settings.LANGUAGE_CODE):
        return mission_document(mission, _site_relative)


def absolute_document(document, absolute):
    """A frozen copy as served: each "site:/…" address made absolute, as the live JSON's."""
    if isinstance(document, dict):
        return {key: absolute_document(value, absolute) for key, value in document.items()}
    if isinstance(document, list):
        return [absolute_document(item, absolute) for item in document]
    if isinstance(document, str) and document.startswith(SITE + "/"):
        return absolute(document.removeprefix(SITE))
    return document


def site_path(value):
    """A frozen copy's "site:/…" address as a path of this site, e.g. for a link."""
    if isinstance(value, str) and value.startswith(SITE + "/"):
        return value.removeprefix(SITE)
    return value


def last_revision(mission):
    return mission.revisions.order_by("-number").first()


def pending_changes(mission):
    """What publishing now would record: (last revision or None, Changes since it)."""
    last = last_revision(mission)
    return last, diff(last.document if last else None, frozen_document(mission))


class NothingToPublish(Exception):
    """The mission reads as its last revision does: an update would record no difference."""


def publish(mission, *, note="", significant=True, user=None, now=None) -> Revision:
    """
    Publish a draft (revision 1, the mission becomes published) or an update to a published
    mission (revision n + 1). Validates the revision (a significant update needs a note) and
    raises ValidationError, or NothingToPublish for an update of a published mission that
    changes nothing (a mission published again after being withdrawn may read as before).
    """
    with transaction.atomic():
        # One publisher at a time per mission: the row lock orders concurrent numbering.
        mission = Mission.objects.select_for_update().get(pk=mission.pk)
        last_number = mission.revisions.aggregate(last=Max("number"))["last"] or 0
        was_published = mission.is_published
        if not was_published:
            mission.status = Mission.Status.PUBLISHED
            if user is not None:
                mission._history_user = user  # simple-history names the publisher
            mission.save(update_fields=["status"])
        document = frozen_document(mission)
        if last_number and was_published:
            last = mission.revisions.get(number=last_number)
            if not diff(last.document, document):
                raise NothingToPublish
        revision = Revision(
            mission=mission,
            number=last_number + 1,
            # Whole seconds: a backup writes times to the millisecond (DjangoJSONEncoder), so
            # a restored revision is the very one published, not one a few µs off.
            published_at=(now or timezone.now()).replace(microsecond=0),
            note=note,
            significant=significant or last_number == 0,
            document=document,
        )
        revision.full_clean()
        revision.save()
    return revision
