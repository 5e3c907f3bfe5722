from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    SOURCE_TEXT_MAX_LENGTH,
    BoundedTextField,
    DiaryModel,
    DiaryQuerySet,
    date_in_range,
    validate_diary_date,
)


class SourceQuerySet(DiaryQuerySet):
    def published(self):
        """Sources cited by published content."""
        from .agreement import Agreement
        from .mission import Mission, Visit

        return self.filter(
            Exists(Mission.objects.published().filter(sources=OuterRef("pk")))
            | Exists(Visit.objects.published().filter(sources=OuterRef("pk")))
            | Exists(Agreement.objects.published().filter(sources=OuterRef("pk")))
        )


class Source(DiaryModel):
    """Where a fact comes from: an article, a press release, a signed document."""

    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        validators=[validate_diary_date],
        help_text=_("Leave empty if not known."),
    )
    text = BoundedTextField(
        _("text"),
        blank=True,
        max_length=SOURCE_TEXT_MAX_LENGTH,
        help_text=_("The source's own words, kept for reference."),
    )

    objects = SourceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [date_in_range("published_on", "source_published_on_in_range")]

    def __str__(self):
        return f"{self.title} ({self.publisher})" if self.publisher else self.title
