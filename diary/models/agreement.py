"""The registry of agreements, tied to the days and visits where they were signed."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    SUMMARY_MAX_LENGTH,
    BoundedTextField,
    DiaryModel,
    DiaryQuerySet,
    date_in_range,
    inferred_note_field,
    optional_date,
    optional_link,
)
from .directory import Organisation, Person
from .history import TranslatedHistoricalRecords
from .mission import Day, Mission, Visit
from .search_vector import LANGUAGE_COLUMNS, search_vector_field, translated
from .source import sources_field


class CooperationAreaQuerySet(DiaryQuerySet):
    def published(self):
        return self.named_by_published((Agreement, "areas"))


class CooperationArea(DiaryModel):
    """A field an agreement covers: supercomputing, space exploration, …"""

    # Unique in each language (Meta.constraints): its own column holds whichever language
    # was active at the last save (diary/translation.py), so a rule on it would compare
    # French with English.
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = CooperationAreaQuerySet.as_manager()
    history = TranslatedHistoricalRecords()

    class Meta:
        ordering = ["name_en"]  # not "name": see Mission's ordering (diary/models/mission.py)
        verbose_name = _("area of cooperation")
        verbose_name_plural = _("areas of cooperation")
        constraints = [
            models.UniqueConstraint(
                fields=[f"name_{language}"], name=f"cooperationarea_name_{language}_unique"
            )
            for language in LANGUAGE_COLUMNS
        ]

    def __str__(self):
        return self.name


class AgreementKindQuerySet(DiaryQuerySet):
    def published(self):
        return self.named_by_published((Agreement, "kind"))


class AgreementKind(DiaryModel):
    """
    What an agreement is: memorandum of cooperation, letter of intent, … A list staff extend
    in the admin; migration 0010 seeds the usual kinds with fixed UUIDs, so fixtures naming
    them travel between instances.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    abbreviation = models.CharField(
        _("abbreviation"), max_length=20, blank=True, help_text=_("E.g. MoC, LoI, MoU.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("Names the kind in registry filters and open data (e.g. moc)."),
    )

    objects = AgreementKindQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("kind of agreement")
        verbose_name_plural = _("kinds of agreement")

    def __str__(self):
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


class AgreementQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(mission__status=Mission.Status.PUBLISHED)

    def with_details(self):
        return self.select_related("mission", "signed_day", "signed_at_visit").prefetch_related(
            "parties", "areas"
        )


#: The links between agreements besides "implements": field name → the reverse name.
LIFECYCLE_LINKS = {
    "renews": "renewed_by",
    "supersedes": "superseded_by",
    "amends": "amended_by",
    "implements": "implementations",
}


#: The help of each date an agreement's source may not give.
NOT_STATED = _("Leave empty if the source does not say.")


def lifecycle_link(verbose_name, related_name, **options):
    """A one-way link to other agreements (LIFECYCLE_LINKS: the field, then `related_name`)."""
    return models.ManyToManyField(
        "self",
        verbose_name=verbose_name,
        symmetrical=False,
        blank=True,
        related_name=related_name,
        **options,
    )


class Agreement(DiaryModel):
    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed")
        IN_FORCE = "in_force", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")
        SUPERSEDED = "superseded", _("Superseded")

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
    kind = models.ForeignKey(
        AgreementKind,
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level)
    parties = models.ManyToManyField(
        Organisation, verbose_name=_("parties"), related_name="agreements"
    )
    signed_on = optional_date(_("signed on"), NOT_STATED)
    signed_at_place = models.CharField(
        _("place of signature"),
        max_length=200,
        blank=True,
        help_text=_("Where it was signed, as the source says. Leave empty if it does not."),
    )
    entered_into_force_on = optional_date(_("entered into force on"), NOT_STATED)
    expires_on = optional_date(_("expires on"), NOT_STATED)
    duration_months = models.PositiveSmallIntegerField(
        _("duration in months"),
        null=True,
        blank=True,
        help_text=_(
            "When the source gives a duration rather than an expiry date (5 years = 60). "
            "No expiry date is computed from it."
        ),
    )
    stated_status = models.CharField(
        _("status (as stated)"),
        max_length=20,
        choices=Status,
        blank=True,
        help_text=_(
            "Only what a source says. A past expiry date makes the agreement expired whatever "
            "is chosen here; with nothing chosen, the dates decide (in force, signed)."
        ),
    )
    signed_day = optional_link(Day, _("signed on mission day"), "agreements")
    signed_at_visit = optional_link(Visit, _("signed during visit"), "agreements")
    areas = models.ManyToManyField(
        CooperationArea,
        verbose_name=_("areas of cooperation"),
        blank=True,
        related_name="agreements",
    )
    summary = BoundedTextField(_("summary"), blank=True, max_length=SUMMARY_MAX_LENGTH)
    implements = lifecycle_link(
        _("implements"),
        "implementations",
        help_text=_("The agreements this one carries out, e.g. an LoI implementing an MoC."),
    )
    renews = lifecycle_link(_("renews"), "renewed_by")
    supersedes = lifecycle_link(_("supersedes"), "superseded_by")
    amends = lifecycle_link(_("amends"), "amended_by")
    sources = sources_field("agreements")
    inferred_note = inferred_note_field()

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field(
        *translated("title"), *translated("summary"), names=len(LANGUAGE_COLUMNS)
    )

    objects = AgreementQuerySet.as_manager()
    history = TranslatedHistoricalRecords(
        m2m_fields=[parties, areas, implements, renews, supersedes, amends, sources],
        excluded_fields=["search_vector"],
    )

    class Meta:
        # "title_en", not "title": see Mission's ordering (diary/models/mission.py).
        ordering = ["mission", models.F("signed_on").asc(nulls_last=True), "title_en"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            date_in_range("signed_on", "agreement_signed_on_in_range"),
            date_in_range("entered_into_force_on", "agreement_in_force_on_in_range"),
            date_in_range("expires_on", "agreement_expires_on_in_range"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("diary:agreement", kwargs={"slug": self.slug})

    def status_on(self, today):
        """
        (status, how it is known) on `today`: ("expired", "derived") once the expiry date has
        passed; a status staff stated; else what the dates show (in force from the date of
        entry into force, signed once the date of signature is known); else ("", "").
        """
        if self.expires_on and self.expires_on < today:
            return self.Status.EXPIRED, "derived"
        if self.stated_status:
            return self.stated_status, "stated"
        if self.entered_into_force_on and self.entered_into_force_on <= today:
            return self.Status.IN_FORCE, "derived"
        if self.signed_on and self.signed_on <= today:
            return self.Status.SIGNED, "derived"
        return "", ""

    @property
    def status(self):
        return self.status_on(datetime.date.today())[0]

    def related_agreements(self, visible):
        """
        {link: [...]} for every link of LIFECYCLE_LINKS both ways ("implements",
        "implementations", "renews", "renewed_by", …), each by title, in one query.
        visible: the agreements the reader may see.
        """
        directions = {}
        for forward, backward in LIFECYCLE_LINKS.items():
            directions[forward] = visible.filter(**{backward: self}).select_related(None)
            directions[backward] = visible.filter(**{forward: self}).select_related(None)
        first, *others = (
            queryset.annotate(direction=Value(name, output_field=models.CharField())).order_by()
            for name, queryset in directions.items()
        )
        related = {name: [] for name in directions}
        for agreement in sorted(first.union(*others, all=True), key=lambda a: a.title):
            related[agreement.direction].append(agreement)
        return related

    def clean(self):
        super().clean()
        errors = {}
        day, visit = self.signed_day, self.signed_at_visit
        if day and self.mission_id and day.mission_id != self.mission_id:
            errors["signed_day"] = ValidationError(
                _("This day belongs to another mission."), code="signed_day_of_another_mission"
            )
        if visit and self.mission_id and visit.mission_id != self.mission_id:
            errors["signed_at_visit"] = ValidationError(
                _("This visit belongs to another mission."), code="visit_of_another_mission"
            )
        elif visit and day and visit.day_id and visit.day_id != day.pk:
            errors["signed_at_visit"] = _("This visit took place on another day.")
        if day and self.signed_on and self.signed_on != day.date:
            errors["signed_on"] = _("The date of signature differs from the mission day chosen.")
        if (
            self.entered_into_force_on
            and self.signed_on
            and self.entered_into_force_on < self.signed_on
        ):
            errors["entered_into_force_on"] = _("It cannot enter into force before it is signed.")
        if self.expires_on:
            start = self.entered_into_force_on or self.signed_on
            if start and self.expires_on < start:
                errors["expires_on"] = _("It cannot expire before it is signed or in force.")
        if errors:
            raise ValidationError(errors)
        # A known day of signature is a known date: keep the two in step.
        if day and not self.signed_on:
            self.signed_on = day.date


class AgreementPartQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(agreement__mission__status=Mission.Status.PUBLISHED)


class Signatory(DiaryModel):
    """Who signed an agreement, in what capacity, on behalf of which party."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="signatories",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="signatures"
    )
    capacity = models.CharField(
        _("capacity"), max_length=200, blank=True, help_text=_("E.g. President.")
    )
    on_behalf_of = optional_link(
        Organisation,
        _("on behalf of"),
        "signatures",
        help_text=_("The party the person signed for."),
    )

    objects = AgreementPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "person__name", "uuid"]
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")

    def __str__(self):
        return f"{self.person} ({self.capacity})" if self.capacity else str(self.person)


class AgreementText(DiaryModel):
    """The text of an agreement in one language, where it can be read."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="texts"
    )
    url = models.URLField(_("URL"), max_length=500)
    language = models.CharField(
        _("language"), max_length=10, help_text=_("BCP 47 code such as en, fr or ja.")
    )
    title = models.CharField(_("title"), max_length=300, blank=True)

    objects = AgreementPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "language"]
        verbose_name = _("text of the agreement")
        verbose_name_plural = _("texts of the agreement")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "language"],
                name="agreement_text_one_per_language",
                violation_error_message=_("This agreement already has a text in this language."),
            )
        ]

    def __str__(self):
        return self.title or f"{self.agreement} ({self.language})"
