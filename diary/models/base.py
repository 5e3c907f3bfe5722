"""What every diary record shares: a UUID that outlives databases, used as its natural key."""

import datetime
import functools
import operator
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries

# Upper bounds on what staff may type into one text box, checked by full_clean() (so by the
# admin's forms and by fixture imports alike) with a message naming the limit. Generous (the longest text in the demo is under 3,000 characters)
# but far below what could bloat a page or a backup by accident.
SUMMARY_MAX_LENGTH = 5_000
ACCOUNT_MAX_LENGTH = 50_000
SOURCE_TEXT_MAX_LENGTH = 200_000


# Every date the diary holds falls in the era of spaceflight and this century. A typo such as
# year 9999 would otherwise be stored, and then break the calendar and schedule exports
# (a date plus a day overflows Python's datetime).
EARLIEST_DATE = datetime.date(1957, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def validate_diary_date(value):
    if value is not None and not (EARLIEST_DATE <= value <= LATEST_DATE):
        raise ValidationError(
            _("%(value)s is outside the dates the diary accepts (%(earliest)s to %(latest)s)."),
            params={
                "value": value.isoformat(),
                "earliest": date_format(EARLIEST_DATE, "DATE_FORMAT"),
                "latest": date_format(LATEST_DATE, "DATE_FORMAT"),
            },
            code="date_out_of_range",
        )


def optional_date(verbose_name, help_text):
    """A date the diary may not know: empty allowed, within validate_diary_date's range."""
    return models.DateField(
        verbose_name, null=True, blank=True, validators=[validate_diary_date], help_text=help_text
    )


def inferred_note_field():
    """What a mission, day, visit or agreement shows that its sources do not state, and why."""
    return models.CharField(
        _("inferred by the editors"),
        max_length=500,
        blank=True,
        help_text=_(
            "What this record shows that its sources do not state, and from what, e.g. "
            "“12 June: the source says the MoC was signed on the third day of a mission "
            "that began on 10 June”. Empty when the sources state every fact."
        ),
    )


def country_choices():
    """
    ISO 3166-1 alpha-2 codes with their names in the reader's language (django-countries), for
    a place's and an organisation's country. A plain two-letter column rather than
    django-countries' CountryField, whose value is an object: the admin's record_state digests
    each field's value as JSON, and fixtures carry the code as text either way. A callable, so
    migrations do not copy the list.
    """
    return list(countries)


def country_code(value, languages=("en",)):
    """
    The ISO 3166-1 alpha-2 code of a country as people write it: its code in any case, or its
    name in one of `languages` (django-countries' names), spaces around ignored; "" when it
    names no country. Fixtures and addresses from before migrations 0018 and 0020 give names.
    """
    value = value.strip()
    if value.upper() in countries:
        return value.upper()
    for language in languages:
        if code := countries.by_name(value, language=language):
            return code
    return ""


def country_field():
    """A place's or an organisation's country: an ISO 3166-1 alpha-2 code, or empty."""
    return models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        choices=country_choices,
        help_text=_("The ISO 3166-1 country, e.g. Japan (JP)."),
    )


def native_name_field(help_text):
    """A name as its owner writes it in its own language; native_language_field() says which."""
    return models.CharField(
        _("name in its own language"), max_length=200, blank=True, help_text=help_text
    )


def native_language_field():
    """The language of a native_name_field(), so that pages mark it up for screen readers."""
    return models.CharField(
        _("language of that name"),
        max_length=10,
        blank=True,
        help_text=_("BCP 47 code such as ja, so screen readers pronounce it right."),
    )


def reference_note_field(help_text, verbose_name=None):
    """Where a record's details come from when they are not facts a mission's sources state."""
    return models.CharField(
        verbose_name or _("reference data from"), max_length=300, blank=True, help_text=help_text
    )


def optional_url(verbose_name, help_text):
    """A web address the diary may not know."""
    return models.URLField(verbose_name, max_length=500, blank=True, help_text=help_text)


def optional_link(to, verbose_name, related_name, **options):
    """An optional link to another record, which cannot be deleted while linked (PROTECT)."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        **options,
    )


def date_in_range(field, name):
    """The database's copy of validate_diary_date, for one date column (empty is fine)."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": EARLIEST_DATE, f"{field}__lte": LATEST_DATE}),
        name=name,
        violation_error_message=_("Dates must fall between 1957-01-01 and 2100-12-31."),
    )


class BoundedTextField(models.TextField):
    """
    A TextField whose max_length binds the model, as a CharField's does. A plain TextField's
    max_length only sizes its form field, so code that saves without a form would skip it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))


class DiaryQuerySet(models.QuerySet):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)

    def published(self):
        """What anyone may see: each model says how it belongs to published missions."""
        raise NotImplementedError(f"{self.model.__name__} says nothing about publication.")

    def named_by_published(self, *references):
        """
        Records that published content points to, one (model, lookup) per way it may:
        `(Visit, "organisations")` keeps the organisations a published visit names.
        """
        return self.filter(
            functools.reduce(
                operator.or_,
                (
                    Exists(model.objects.published().filter(**{lookup: OuterRef("pk")}))
                    for model, lookup in references
                ),
            )
        )

    def visible_to(self, user):
        """
        The one visibility rule of every page and export: staff who may view missions in
        the admin (superusers, Editors, Viewers) preview drafts, everyone else sees what
        published missions show. Staff status alone only opens the admin's door: a staff
        account kept for users or the lockout log sees no draft there, so none here either.
        """
        return self.all() if may_preview_drafts(user) else self.published()


def may_preview_drafts(user):
    """Whether `user` sees drafts on the public site: what the admin would show them."""
    # is_staff first: anonymous readers and members need no permission lookup. has_perm
    # caches the user's permissions on the user object, so a page asks the database once.
    return user.is_staff and user.has_perm("diary.view_mission")


class RemembersStoredValues:
    """
    Lets clean() tell whether a record moved (its `stored_fields`, attnames, differ from the
    database), so the checks a move needs run only then: on a re-import over stored data
    those checks ran a query or two per record and dominated it.

    The values must be vouched for by whoever read the row: the importer, which reads every
    record it updates in batches, calls remember_stored_values() on each. An instance nobody
    vouched for (the admin's get_object(), a history revert, a deserialized fixture) runs
    its checks as before: not knowing counts as moved. save() records what it wrote.
    Public API only: the other way, overriding Model.from_db, would hook every queryset
    read for the benefit of one caller.
    """

    stored_fields = ()

    def remember_stored_values(self):
        """Vouch that this instance holds its row's stored values (just read, or saved)."""
        self.stored_values = {name: getattr(self, name) for name in self.stored_fields}

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.remember_stored_values()  # a full save wrote every field
        elif hasattr(self, "stored_values"):  # a partial save vouches only for what it wrote
            for name in self.stored_fields:
                field = self._meta.get_field(name)
                if {field.name, field.attname} & set(update_fields):
                    self.stored_values[name] = getattr(self, name)

    def moved(self, *names):
        """Whether any of these attnames differs from the database (or may: not known)."""
        stored = getattr(self, "stored_values", {})
        return any(name not in stored or stored[name] != getattr(self, name) for name in names)


class DiaryModel(models.Model):
    """
    A record with a stable identity.

    The UUID, not the database id, is what fixtures, iCalendar UIDs and c3voc guids carry,
    so the same visit keeps the same identity on every instance it is imported into.
    """

    uuid = models.UUIDField(
        "UUID",
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable identity across instances; set once, never changed.",
    )

    objects = DiaryQuerySet.as_manager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (str(self.uuid),)
