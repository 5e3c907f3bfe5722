from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import (
    SOURCE_TEXT_MAX_LENGTH,
    BoundedTextField,
    DiaryModel,
    DiaryQuerySet,
    date_in_range,
    optional_date,
    optional_url,
    reference_note_field,
)
from .history import TranslatedHistoricalRecords


class SourceQuerySet(DiaryQuerySet):
    def published(self):
        """Sources cited by published content."""
        from .agreement import Agreement
        from .mission import Day, Mission, Visit

        return self.named_by_published(
            *((model, "sources") for model in (Mission, Day, Visit, Agreement))
        )


class Source(DiaryModel):
    """Where a fact comes from: an article, a press release, a signed document."""

    title = models.CharField(_("title"), max_length=300)
    title_is_descriptive = models.BooleanField(
        _("title given by the editors"),
        default=False,
        help_text=_(
            "Tick when the source prints no title of its own (or it is not known): the "
            "title above then describes it, and pages say so."
        ),
    )
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    url = optional_url(_("URL"), _("Leave empty if not known."))
    published_on = optional_date(_("published on"), _("Leave empty if not known."))
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("BCP 47 code of the source's language, e.g. en or ja."),
    )
    consulted_on = optional_date(_("consulted on"), _("When the editors last read it."))
    archive_url = optional_url(
        _("archived copy"),
        _("A web-archive snapshot of the URL, e.g. https://web.archive.org/web/…"),
    )
    reference_note = reference_note_field(
        _(
            "Reference data: where the details the source does not print itself (its "
            "publisher, its date) come from."
        ),
        verbose_name=_("details from"),
    )
    text = BoundedTextField(
        _("text"),
        blank=True,
        max_length=SOURCE_TEXT_MAX_LENGTH,
        help_text=_("The source's own words, kept for reference."),
    )

    objects = SourceQuerySet.as_manager()
    history = TranslatedHistoricalRecords()

    class Meta:
        ordering = ["title_en"]  # not "title": see Mission's ordering (diary/models/mission.py)
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            date_in_range("published_on", "source_published_on_in_range"),
            date_in_range("consulted_on", "source_consulted_on_in_range"),
        ]

    def __str__(self):
        return f"{self.title} ({self.publisher})" if self.publisher else self.title

    def get_absolute_url(self):
        return reverse("diary:source", kwargs={"uuid": self.uuid})


def sources_field(related_name):
    """The sources a mission, day, visit or agreement cites: where its facts come from."""
    return models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name=related_name
    )
