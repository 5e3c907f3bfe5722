"""
What the revisions publish (diary/models/revision.py): each one's frozen JSON at a stable
address, a mission's Atom feed of its revisions, and the site's Atom feed of new missions and
significant updates. Exporters like every public format, so the one view decides visibility
(published missions only), caching, ETag and 304 for them too.

The feeds are written with Django's syndication framework's Atom 1.0 generator
(django.utils.feedgenerator.Atom1Feed) rather than its `Feed` view: an exporter knows nothing
of the request, and `Feed.get_feed()` reads the request for the site's domain. Their bytes
depend on the revisions alone: a feed with no entry takes its `updated` date from the last
change of the diary's content, never from the clock.
"""

import datetime
import re

from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..changelog import diff
from ..models import ContentVersion, Revision
from ..publishing import absolute_document
from .base import BaseExporter
from .formats import JsonDocumentExporter

ATOM = "application/atom+xml; charset=utf-8"
# A feed lists the latest revisions; the updates page and the JSON keep every one.
FEED_ENTRIES = 50
# XML 1.0 has no place for these (Django's XML writer refuses them): staff text may hold them.
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text):
    return XML_UNSAFE.sub("", str(text))


class RevisionJsonExporter(JsonDocumentExporter):
    """One revision's frozen public JSON, as it was published, at a stable address."""

    identifier = "revision-json"

    def __init__(self, mission, absolute_url, revision):
        super().__init__(mission, absolute_url)
        self.revision = revision

    @property
    def filename(self):
        return f"{self.mission.slug}-revision-{self.revision.number}.json"

    def document(self):
        return absolute_document(self.revision.document, self.absolute_url)


class StableAtomFeed(Atom1Feed):
    """Atom1Feed whose `updated`, with no entry to take it from, is a given date."""

    def __init__(self, *args, empty_updated, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_updated = empty_updated

    def latest_post_date(self):
        return super().latest_post_date() if self.items else self.empty_updated


def _last_content_change():
    changed_at = ContentVersion.current()[1]
    return datetime.datetime.fromtimestamp(changed_at, tz=datetime.UTC)


def change_summary(changes):
    """One plain line per kind of record: 'Visits: 1 added, 2 moved.'"""
    if changes.first:
        return ""
    lines = []
    if changes.mission:
        fields = ", ".join(change.label for change in changes.mission)
        lines.append(_("Mission: %(fields)s changed.") % {"fields": fields})
    for kind in changes.kinds:
        parts = [
            text % {"count": len(records)}
            for text, records in (
                (_("%(count)s added"), kind.added),
                (_("%(count)s removed"), kind.removed),
                (_("%(count)s moved"), kind.moved),
                (_("%(count)s changed"), kind.changed),
            )
            if records
        ]
        lines.append(_("%(kind)s: %(parts)s.") % {"kind": kind.label, "parts": ", ".join(parts)})
    return "\n".join(lines)


def revision_title(revision):
    if revision.is_first:
        return _("%(mission)s: published") % {"mission": revision.mission.title}
    return _("%(mission)s: update %(number)s") % {
        "mission": revision.mission.title,
        "number": revision.number,
    }


def _description(revision, summary=""):
    note = revision.note or (_("First publication.") if revision.is_first else "")
    text = "\n".join(part for part in (note, summary) if part)
    return escape(text).replace("\n", "<br>")


class _FeedExporter(BaseExporter):
    media_type = ATOM

    def feed(self, title, link, feed_url, subtitle):
        return StableAtomFeed(
            title=xml_text(title),
            link=self.absolute_url(link),
            feed_url=self.absolute_url(feed_url),
            description=subtitle,
            language=get_language(),
            author_name=_("Mission Tracker"),
            empty_updated=_last_content_change(),
        )

    def add_revision(self, feed, revision, summary=""):
        link = self.absolute_url(revision.get_absolute_url())
        feed.add_item(
            title=xml_text(revision_title(revision)),
            link=link,
            description=xml_text(_description(revision, summary)),
            unique_id=link,
            pubdate=revision.published_at,
            updateddate=revision.published_at,
        )

    def render(self):
        return self.build().writeString("utf-8").encode()


class MissionFeedExporter(_FeedExporter):
    """A mission's revisions, newest first, each with its note and what changed."""

    identifier = "atom"
    filename_suffix = "-updates.atom"

    def build(self):
        mission = self.mission
        # One more than shown: the oldest entry's changes are counted from its predecessor.
        revisions = list(mission.revisions.order_by("-number")[: FEED_ENTRIES + 1])
        feed = self.feed(
            title=_("%(mission)s: updates") % {"mission": mission.title},
            link=reverse("diary:mission_updates", kwargs={"slug": mission.slug}),
            feed_url=reverse("diary:mission_feed", kwargs={"slug": mission.slug}),
            subtitle=_("Each publication of this mission, with what changed."),
        )
        for revision, previous in zip(revisions, [*revisions[1:], None], strict=True):
            if len(feed.items) == FEED_ENTRIES:
                break
            revision.mission = mission
            # The first publication, or one whose predecessor is beyond the window: no summary.
            summary = change_summary(diff(previous.document, revision.document)) if previous else ""
            self.add_revision(feed, revision, summary)
        return feed


class SiteFeedExporter(_FeedExporter):
    """New missions and significant updates of published missions, newest first."""

    identifier = "updates.atom"
    scope = "site"

    def build(self):
        revisions = (
            Revision.objects.published()
            .announced()
            .select_related("mission")
            .defer("document")
            # Publication times are whole seconds: within one, the later recorded comes first.
            .order_by("-published_at", "-pk")[:FEED_ENTRIES]
        )
        feed = self.feed(
            title=_("Mission Tracker: new missions and updates"),
            link=reverse("diary:home"),
            feed_url=reverse("diary:site_feed"),
            subtitle=_("Missions as they are published, and their significant updates."),
        )
        for revision in revisions:
            self.add_revision(feed, revision)
        return feed


MISSION_FEEDS = {MissionFeedExporter.identifier: MissionFeedExporter}
SITE_FEEDS = {SiteFeedExporter.identifier: SiteFeedExporter}
