"""
A mission's published revisions: each act of publishing, numbered, with its public change note
and a frozen copy of the mission's public JSON as it was then (diary/publishing.py makes them).

The changelog (diary/changelog.py) is computed from these copies, never from the audit
history: it says what the public could read at each publication, not what staff typed in
between.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .mission import Mission

NOTE_MAX_LENGTH = 2_000

NOTE_REQUIRED = _(
    "A significant update needs a public change note saying what changed "
    "(a typo fix may go without one: untick “significant”)."
)


class RevisionQuerySet(models.QuerySet):
    def get_by_natural_key(self, mission_uuid, number):
        return self.get(mission__uuid=mission_uuid, number=number)

    def published(self):
        """Revisions the public may read: their mission's, while it is published."""
        return self.filter(mission__status=Mission.Status.PUBLISHED)

    def announced(self):
        """What the site-wide feed announces: first publications and significant updates."""
        return self.filter(Q(number=1) | Q(significant=True))


class Revision(models.Model):
    mission = models.ForeignKey(
        Mission, verbose_name=_("mission"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("number"), help_text=_("1, 2, … within the mission."))
    published_at = models.DateTimeField(_("published at"))
    note = models.TextField(
        _("change note"),
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Public: what changed, in a sentence or two."),
    )
    significant = models.BooleanField(
        _("significant"),
        default=True,
        help_text=_(
            "A significant update is announced in the feeds and moves “Last updated”; "
            "a typo fix is not."
        ),
    )
    document = models.JSONField(
        _("published document"),
        help_text=_("The mission's public JSON as published, with site-relative URLs."),
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["mission_id", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "number"],
                name="revision_number_unique_per_mission",
                violation_error_message=_("This mission already has a revision of this number."),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="revision_number_positive",
                violation_error_message=_("Revisions are numbered from 1."),
            ),
            # Revision 1 is the first publication: its note may be empty.
            models.CheckConstraint(
                condition=Q(number=1) | Q(significant=False) | ~Q(note=""),
                name="revision_significant_needs_note",
                violation_error_message=NOTE_REQUIRED,
            ),
        ]

    def __str__(self):
        return f"{self.mission} — {_('revision')} {self.number}"

    def get_absolute_url(self):
        return reverse("diary:mission_updates", kwargs={"slug": self.mission.slug}) + (
            f"#revision-{self.number}"
        )

    def get_json_url(self):
        return reverse(
            "diary:mission_revision_json",
            kwargs={"slug": self.mission.slug, "number": self.number},
        )

    def natural_key(self):
        return (*self.mission.natural_key(), self.number)

    natural_key.dependencies = ["diary.mission"]

    @property
    def is_first(self):
        return self.number == 1

    def clean(self):
        super().clean()
        self.note = self.note.strip()
        if self.significant and self.number != 1 and not self.note:
            raise ValidationError({"note": NOTE_REQUIRED}, code="note_required")


def publication_dates(mission_ref="pk"):
    """
    Annotations for a queryset whose `mission_ref` points to a mission: `first_published_at`
    (revision 1) and `last_updated_at` (the last significant update after it), or None.
    Subqueries, so a page shows them without a query of its own.
    """
    revisions = Revision.objects.filter(mission=OuterRef(mission_ref)).order_by()
    return {
        "first_published_at": Subquery(revisions.filter(number=1).values("published_at")[:1]),
        "last_updated_at": Subquery(
            revisions.filter(significant=True, number__gt=1)
            .order_by("-number")
            .values("published_at")[:1]
        ),
    }
