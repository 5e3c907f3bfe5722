"""The organisations and people a mission meets."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    DiaryModel,
    DiaryQuerySet,
    country_field,
    native_language_field,
    native_name_field,
    optional_link,
    reference_note_field,
)
from .place import WikidataItem, validate_wikidata_id
from .search_vector import search_vector_field

# "Part of" chains are short in life (a centre, part of an agency, part of a ministry). Past
# this many levels, a chain is a mistake or an attack, and walking it costs a query a level.
MAX_ORGANISATION_DEPTH = 10


def wikidata_field():
    """An organisation's or person's Wikidata item: reference data, exported as sameAs."""
    return models.CharField(
        _("Wikidata item"),
        max_length=13,
        blank=True,
        validators=[validate_wikidata_id],
        help_text=_(
            "Reference data: its Wikidata identifier, Q followed by a number (e.g. Q42). "
            "Check that the item is this one."
        ),
    )


class OrganisationQuerySet(DiaryQuerySet):
    def published(self):
        """Organisations that appear in published content; the rest are nobody's business."""
        from .agreement import Agreement, Signatory
        from .mission import Mission, Visit

        return self.named_by_published(
            (Visit, "organisations"),
            (Agreement, "parties"),
            (Mission, "lead_organisation"),
            (Visit, "people__organisation"),
            (Mission, "delegation__organisation"),
            # A signatory's organisation, which their page names.
            (Signatory, "person__organisation"),
        )


class Organisation(WikidataItem, DiaryModel):
    class Kind(models.TextChoices):
        SPACE_AGENCY = "space_agency", _("Space agency")
        GOVERNMENT = "government", _("Government")
        COMPANY = "company", _("Company")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        UNIVERSITY = "university", _("University")
        PROGRAMME = "programme", _("Programme or centre")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    short_name = models.CharField(
        _("short name"), max_length=50, blank=True, help_text=_("Acronym, e.g. JAXA.")
    )
    native_name = native_name_field(_("E.g. 宇宙航空研究開発機構 for JAXA."))
    native_language = native_language_field()
    country = country_field()
    kind = models.CharField(_("kind"), max_length=30, choices=Kind, default=Kind.OTHER)
    website = models.URLField(_("website"), blank=True)
    parent = optional_link(
        "self",
        _("part of"),
        "children",
        help_text=_("The organisation this one belongs to (Tansa X is part of JAXA)."),
    )

    headquarters = optional_link("diary.Place", _("headquarters"), "headquartered")
    reference_note = reference_note_field(
        _(
            "Where the details that are not facts of a mission come from (official names, "
            "website, parent organisation, address), e.g. “JAXA’s own website, jaxa.jp”."
        )
    )
    wikidata_id = wikidata_field()

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field("name", "short_name", "native_name", "country")

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="organisation_not_own_parent"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.short_name})" if self.short_name else self.name

    def get_absolute_url(self):
        return reverse("diary:organisation", kwargs={"slug": self.slug})

    @property
    def display_name(self):
        return self.short_name or self.name

    def clean(self):
        super().clean()
        if self.parent_id is not None:
            self._check_chain()
        if self.native_name and not self.native_language:
            raise ValidationError(
                {"native_language": _("Say which language the own-language name is in.")}
            )

    def _check_chain(self):
        """
        No loop (A part of B part of A) and no chain longer than MAX_ORGANISATION_DEPTH,
        counting the levels above this organisation and those already below it. Both walks
        stop at the limit, so a chain built badly before this rule costs no more to refuse.
        """
        limit = MAX_ORGANISATION_DEPTH
        too_deep = ValidationError(
            {
                "parent": _(
                    "An organisation can be at most %(limit)s levels deep in a “part of” chain."
                )
                % {"limit": limit}
            },
            code="organisation_too_deep",
        )
        loop = ValidationError(
            {"parent": _("An organisation cannot be part of itself, even indirectly.")},
            code="organisation_loop",
        )
        above, ancestor_id = 0, self.parent_id
        ancestors = set()
        while ancestor_id is not None:
            if ancestor_id == self.pk or ancestor_id in ancestors:
                raise loop
            ancestors.add(ancestor_id)
            above += 1
            if above >= limit:
                raise too_deep
            ancestor_id = (
                Organisation.objects.filter(pk=ancestor_id)
                .values_list("parent_id", flat=True)
                .first()
            )
        below, level = 0, {self.pk} if self.pk else set()
        while level:
            level = set(Organisation.objects.filter(parent__in=level).values_list("pk", flat=True))
            if level & ancestors:
                raise loop
            below += bool(level)
            if above + 1 + below > limit:
                raise too_deep


class PersonQuerySet(DiaryQuerySet):
    def published(self):
        """People published content names: met on a visit, in a delegation, or signatories."""
        from .agreement import Signatory
        from .mission import Mission, Visit

        return self.named_by_published(
            (Visit, "people"), (Mission, "delegation"), (Signatory, "person")
        )


class Person(WikidataItem, DiaryModel):
    name = models.CharField(_("name"), max_length=200, help_text=_("As the person writes it."))
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    honorific = models.CharField(
        _("honorific"), max_length=30, blank=True, help_text=_("E.g. Dr, Prof.")
    )
    role = models.CharField(_("role"), max_length=200, blank=True, help_text=_("E.g. President."))
    organisation = optional_link(Organisation, _("organisation"), "people")
    reference_note = reference_note_field(
        _(
            "Where the person’s name, honorific, role and organisation come from when no "
            "source of a mission gives them, e.g. “the organisation’s website”."
        )
    )
    wikidata_id = wikidata_field()

    # Full-text search (diary/search.py); computed by the database, never kept in history.
    search_vector = search_vector_field("name", "role")

    objects = PersonQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("diary:person", kwargs={"slug": self.slug})

    @property
    def full_name(self):
        return f"{self.honorific} {self.name}" if self.honorific else self.name

    @property
    def title_line(self):
        """'President, JAXA' — the role a reader needs beside the name."""
        parts = [self.role, self.organisation.display_name if self.organisation else ""]
        return ", ".join(part for part in parts if part)
