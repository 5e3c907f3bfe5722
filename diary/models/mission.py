"""A mission, its days, and the visits made on them."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .base import (
    ACCOUNT_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    BoundedTextField,
    DiaryModel,
    DiaryQuerySet,
    RemembersStoredValues,
    date_in_range,
    inferred_note_field,
    optional_link,
    validate_diary_date,
)
from .directory import Organisation, Person
from .history import TranslatedHistoricalRecords
from .place import Place
from .search_vector import LANGUAGE_COLUMNS, search_vector_field, translated
from .source import sources_field


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known IANA timezone, such as Asia/Tokyo."),
            params={"value": value},
            code="invalid_timezone",
        )


class MissionQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(status=Mission.Status.PUBLISHED)


class Mission(DiaryModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = BoundedTextField(_("summary"), blank=True, max_length=SUMMARY_MAX_LENGTH)
    # An ISO 3166-1 alpha-2 code; pages name the country in the reader's language. Indexed:
    # search finds a mission by its country's name through the codes it names (diary/search.py).
    host_country = CountryField(_("host country"), db_index=True)
    timezone = models.CharField(
        _("timezone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text=_(
            "IANA name of the host country's zone, e.g. Asia/Tokyo. Times are shown in it."
        ),
    )
    start_date = models.DateField(_("start date"), validators=[validate_diary_date])
    end_date = models.DateField(_("end date"), validators=[validate_diary_date])
    lead_organisation = optional_link(
        Organisation,
        _("delegation’s agency"),
        "led_missions",
        help_text=_(
            "The agency whose part of the mission this diary records (the delegation’s "
            "agency). Not the mission’s leader unless a source says so."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text=_("Drafts are visible to staff only."),
    )
    delegation = models.ManyToManyField(
        Person,
        verbose_name=_("delegation"),
        blank=True,
        related_name="delegations",
        help_text=_("Members of the travelling delegation named by the sources."),
    )
    sources = sources_field("missions")
    inferred_note = inferred_note_field()

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field(
        *translated("title"), *translated("summary"), "host_country", names=len(LANGUAGE_COLUMNS)
    )

    objects = MissionQuerySet.as_manager()
    history = TranslatedHistoricalRecords(
        m2m_fields=[delegation, sources], excluded_fields=["search_vector"]
    )

    class Meta:
        # The English column: modeltranslation would rewrite "title" to the reader's
        # language, putting untranslated missions apart (diary/translation.py).
        ordering = ["-start_date", "title_en"]
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        # Not view_mission: a read-only Viewer may look, but a fixture carries drafts out in
        # bulk, and an import rewrites records of every kind; both are granted on purpose.
        permissions = [
            ("export_mission", _("Can export missions as JSON fixtures")),
            ("import_mission", _("Can import missions from JSON fixtures")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="mission_dates_ordered",
                violation_error_message=_("The mission cannot end before it starts."),
            ),
            date_in_range("start_date", "mission_start_date_in_range"),
            date_in_range("end_date", "mission_end_date_in_range"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("diary:mission", kwargs={"slug": self.slug})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def zone_abbreviation(self, on_date=None):
        """'JST' for Asia/Tokyo; the abbreviation in force on that date (DST matters)."""
        moment = datetime.datetime.combine(on_date or self.start_date, datetime.time(12))
        return moment.replace(tzinfo=self.zone).tzname()

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The mission cannot end before it starts.")})


class DayQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(mission__status=Mission.Status.PUBLISHED)

    def with_neighbour_dates(self):
        """Annotate previous_date and next_date: the mission's days either side, if any."""
        siblings = Day.objects.filter(mission=OuterRef("mission")).order_by()
        return self.annotate(
            previous_date=Subquery(
                siblings.filter(date__lt=OuterRef("date")).order_by("-date").values("date")[:1]
            ),
            next_date=Subquery(
                siblings.filter(date__gt=OuterRef("date")).order_by("date").values("date")[:1]
            ),
        )


class Day(RemembersStoredValues, DiaryModel):
    # clean() checks what a day's move would carry along only when its mission changes.
    stored_fields = ("mission_id",)

    mission = models.ForeignKey(
        Mission, verbose_name=_("mission"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(
        _("date"),
        validators=[validate_diary_date],
        help_text=_("Must fall within the mission's dates."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = BoundedTextField(_("summary"), blank=True, max_length=SUMMARY_MAX_LENGTH)
    sources = sources_field("days")
    inferred_note = inferred_note_field()

    objects = DayQuerySet.as_manager()
    history = TranslatedHistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["mission", "date"]
        verbose_name = _("day")
        verbose_name_plural = _("days")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "date"],
                name="day_unique_per_mission",
                violation_error_message=_("This mission already has a day on this date."),
            ),
            date_in_range("date", "day_date_in_range"),
        ]

    def __str__(self):
        label = date_format(self.date, "DATE_FORMAT")
        return f"{label} — {self.title}" if self.title else label

    def get_absolute_url(self):
        return reverse("diary:day", kwargs={"mission_slug": self.mission.slug, "date": self.date})

    def neighbour(self, date):
        """The mission's day on `date` (from with_neighbour_dates), enough to link to it."""
        return Day(mission=self.mission, date=date) if date else None

    @property
    def number(self):
        """Day 1 is the mission's start date."""
        return (self.date - self.mission.start_date).days + 1

    def clean(self):
        super().clean()
        mission = getattr(self, "mission", None)
        if mission and self.date and not (mission.start_date <= self.date <= mission.end_date):
            raise ValidationError(
                {
                    "date": _("%(date)s is outside the mission's dates (%(start)s to %(end)s).")
                    % {"date": self.date, "start": mission.start_date, "end": mission.end_date}
                }
            )
        if mission and self.pk and self.moved("mission_id"):
            self._check_records_stay_with_mission()

    def _check_records_stay_with_mission(self):
        """
        What was recorded on this day belongs to its mission: moving the day to another one
        would carry a draft's visits onto a published itinerary, or leave them dangling.
        """
        visits = self.visits.exclude(mission_id=self.mission_id).count()
        agreements = self.agreements.exclude(mission_id=self.mission_id).count()
        if visits or agreements:
            raise ValidationError(
                {
                    "mission": _(
                        "A day that has visits or agreements cannot change mission: "
                        "%(visits)s visits and %(agreements)s agreements are recorded on this "
                        "one. Move or delete them first."
                    )
                    % {"visits": visits, "agreements": agreements}
                },
                code="day_has_records",
            )


class VisitQuerySet(DiaryQuerySet):
    def published(self):
        return self.filter(mission__status=Mission.Status.PUBLISHED)

    def with_details(self):
        """Everything a visit card shows, in a fixed number of queries."""
        return self.select_related("mission", "day", "place").prefetch_related(
            "organisations", "people__organisation"
        )


class Visit(RemembersStoredValues, DiaryModel):
    # clean() checks the agreements signed during a visit only when the visit moves.
    stored_fields = ("mission_id", "day_id")

    mission = models.ForeignKey(
        Mission, verbose_name=_("mission"), on_delete=models.CASCADE, related_name="visits"
    )
    day = optional_link(
        Day,
        _("day"),
        "visits",
        help_text=_("Leave empty when the source does not say which day: never guess."),
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, help_text=_("Unique within the mission."))
    summary = BoundedTextField(_("summary"), blank=True, max_length=SUMMARY_MAX_LENGTH)
    body = BoundedTextField(
        _("account"),
        blank=True,
        max_length=ACCOUNT_MAX_LENGTH,
        help_text=_("What happened, in full."),
    )
    place = optional_link(
        Place,
        _("place"),
        "visits",
        help_text=_("Where the visit happened; empty when the sources do not say."),
    )
    starts_at = models.TimeField(
        _("starts at"),
        null=True,
        blank=True,
        help_text=_("Local time in the mission's timezone; empty if not recorded."),
    )
    ends_at = models.TimeField(
        _("ends at"),
        null=True,
        blank=True,
        help_text=_("Local time in the mission's timezone; empty if not recorded."),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order among visits with no recorded time.")
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), blank=True, related_name="visits"
    )
    people = models.ManyToManyField(
        Person, verbose_name=_("people met"), blank=True, related_name="visits"
    )
    sources = sources_field("visits")
    inferred_note = inferred_note_field()

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field(
        *translated("title"),
        *translated("summary"),
        *translated("body"),
        names=len(LANGUAGE_COLUMNS),
    )

    objects = VisitQuerySet.as_manager()
    history = TranslatedHistoricalRecords(
        m2m_fields=[organisations, people, sources], excluded_fields=["search_vector"]
    )

    class Meta:
        ordering = [
            "mission",
            F("day__date").asc(nulls_last=True),
            F("starts_at").asc(nulls_last=True),
            "position",
            "title_en",  # not "title": see Mission's ordering
        ]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "slug"],
                name="visit_slug_unique_per_mission",
                violation_error_message=_("This mission already has a visit with this slug."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=F("starts_at")),
                name="visit_times_ordered",
                violation_error_message=_("A visit cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(day__isnull=False) | Q(starts_at__isnull=True, ends_at__isnull=True),
                name="visit_time_needs_day",
                violation_error_message=_("A time needs a day: set the day or clear the times."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=False),
                name="visit_end_needs_start",
                violation_error_message=_("An end time needs a start time."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("diary:visit", kwargs={"mission_slug": self.mission.slug, "slug": self.slug})

    @property
    def is_dated(self):
        return self.day_id is not None

    @property
    def location(self):
        """Where the visit happened, as one line: 'JAXA Sagamihara Campus, Sagamihara', or ''."""
        return str(self.place) if self.place is not None else ""

    def _local(self, time):
        if time is None or self.day is None:
            return None
        return datetime.datetime.combine(self.day.date, time, tzinfo=self.mission.zone)

    @property
    def start(self):
        """Aware datetime in the mission's timezone, or None when not recorded."""
        return self._local(self.starts_at)

    @property
    def end(self):
        return self._local(self.ends_at)

    def clean(self):
        super().clean()
        errors = {}
        if self.day_id and self.mission_id and self.day.mission_id != self.mission_id:
            errors["day"] = ValidationError(
                _("This day belongs to another mission."), code="day_of_another_mission"
            )
        if self.ends_at and not self.starts_at:
            errors["ends_at"] = _("An end time needs a start time.")
        elif self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("A visit cannot end before it starts.")
        if (self.starts_at or self.ends_at) and not self.day_id:
            errors["day"] = _("A time needs a day: set the day or clear the times.")
        if self.pk and self.mission_id and self.moved("mission_id", "day_id"):
            self._check_agreements_stay_with_visit(errors)
        if errors:
            raise ValidationError(errors)

    def _check_agreements_stay_with_visit(self, errors):
        """The agreements signed during this visit keep its mission and its day."""
        signed = self.agreements.order_by("title_en")  # in English: see Meta.ordering
        elsewhere = [a.title for a in signed.exclude(mission_id=self.mission_id)]
        if elsewhere:
            errors.setdefault(
                "mission",
                _(
                    "Agreements signed during this visit belong to its mission (%(titles)s): "
                    "move them, or record them as signed elsewhere, first."
                )
                % {"titles": ", ".join(elsewhere)},
            )
        if self.day_id:
            other_day = signed.filter(signed_day__isnull=False).exclude(signed_day=self.day_id)
            titles = [a.title for a in other_day]
            if titles:
                errors.setdefault(
                    "day",
                    _(
                        "Agreements signed during this visit are recorded on another day "
                        "(%(titles)s): change their day first."
                    )
                    % {"titles": ", ".join(titles)},
                )
