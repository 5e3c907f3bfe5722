"""The registry of agreements, tied to the days and visits where they were signed."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    SUMMARY_MAX_LENGTH,
    BoundedTextField,
    DiaryModel,
    DiaryQuerySet,
    date_in_range,
    validate_diary_date,
)
from .directory import Organisation
from .mission import Day, Mission, Visit
from .search_vector import search_vector_field
from .source import Source


class CooperationAreaQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(Exists(Agreement.objects.published().filter(areas=OuterRef("pk"))))


class CooperationArea(DiaryModel):
    """A field an agreement covers: supercomputing, space exploration, …"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = CooperationAreaQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("area of cooperation")
        verbose_name_plural = _("areas of cooperation")

    def __str__(self):
        return self.name


class AgreementQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(mission__status=Mission.Status.PUBLISHED)

    def with_details(self):
        return self.select_related("mission", "signed_day", "signed_at_visit").prefetch_related(
            "parties", "areas"
        )


class Agreement(DiaryModel):
    class Kind(models.TextChoices):
        MEMORANDUM_OF_COOPERATION = "moc", _("Memorandum of Cooperation")
        MEMORANDUM_OF_UNDERSTANDING = "mou", _("Memorandum of Understanding")
        LETTER_OF_INTENT = "loi", _("Letter of Intent")
        AGREEMENT = "agreement", _("Agreement")
        OTHER = "other", _("Other")

    class Level(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        AGENCY = "agency", _("Agency")
        INSTITUTION = "institution", _("Institution")

    mission = models.ForeignKey(
        Mission,
        verbose_name=_("mission"),
        on_delete=models.CASCADE,
        related_name="agreements",
        help_text=_("The mission during which it was signed, or whose account announces it."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level)
    parties = models.ManyToManyField(
        Organisation, verbose_name=_("parties"), related_name="agreements"
    )
    signed_on = models.DateField(
        _("signed on"),
        null=True,
        blank=True,
        validators=[validate_diary_date],
        help_text=_("Leave empty if the source does not say."),
    )
    signed_day = models.ForeignKey(
        Day,
        verbose_name=_("signed on mission day"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
    )
    signed_at_visit = models.ForeignKey(
        Visit,
        verbose_name=_("signed during visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
    )
    areas = models.ManyToManyField(
        CooperationArea,
        verbose_name=_("areas of cooperation"),
        blank=True,
        related_name="agreements",
    )
    summary = BoundedTextField(_("summary"), blank=True, max_length=SUMMARY_MAX_LENGTH)
    implements = models.ManyToManyField(
        "self",
        verbose_name=_("implements"),
        symmetrical=False,
        blank=True,
        related_name="implementations",
        help_text=_("The agreements this one carries out, e.g. an LoI implementing an MoC."),
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="agreements"
    )

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field("title", "summary")

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[parties, areas, implements, sources], excluded_fields=["search_vector"]
    )

    class Meta:
        ordering = ["mission", models.F("signed_on").asc(nulls_last=True), "title"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [date_in_range("signed_on", "agreement_signed_on_in_range")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("diary:agreement", kwargs={"slug": self.slug})

    def related_agreements(self, visible):
        """
        {"implements": [...], "implementations": [...]}, each by title, in one query.
        visible: the agreements the reader may see.
        """
        directions = {
            "implements": visible.filter(implementations=self),
            "implementations": visible.filter(implements=self),
        }
        first, second = (
            queryset.annotate(direction=Value(name, output_field=models.CharField())).order_by()
            for name, queryset in directions.items()
        )
        related = {name: [] for name in directions}
        for agreement in sorted(first.union(second, all=True), key=lambda a: a.title):
            related[agreement.direction].append(agreement)
        return related

    def clean(self):
        super().clean()
        errors = {}
        day, visit = self.signed_day, self.signed_at_visit
        if day and self.mission_id and day.mission_id != self.mission_id:
            errors["signed_day"] = _("This day belongs to another mission.")
        if visit and self.mission_id and visit.mission_id != self.mission_id:
            errors["signed_at_visit"] = _("This visit belongs to another mission.")
        elif visit and day and visit.day_id and visit.day_id != day.pk:
            errors["signed_at_visit"] = _("This visit took place on another day.")
        if day and self.signed_on and self.signed_on != day.date:
            errors["signed_on"] = _("The date of signature differs from the mission day chosen.")
        if errors:
            raise ValidationError(errors)
        # A known day of signature is a known date: keep the two in step.
        if day and not self.signed_on:
            self.signed_on = day.date
