"""Where a visit happened, or where an organisation has its headquarters."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    DiaryModel,
    DiaryQuerySet,
    country_field,
    native_language_field,
    native_name_field,
    reference_note_field,
)

# Where migration 0012 found it: it names diary.models.place.country_choices.
from .base import country_choices as country_choices

# Six decimals of a degree are about 0.1 m: finer than any building's coordinates.
COORDINATE_DIGITS = 9
COORDINATE_PLACES = 6

validate_wikidata_id = RegexValidator(
    r"^Q[1-9][0-9]{0,11}$",
    _("A Wikidata item identifier is Q followed by a number, such as Q42."),
    code="invalid_wikidata_id",
)
# OpenStreetMap elements are nodes, ways and relations, each numbered within its own kind:
# "way/123" says which one, a bare number would not.
OSM_ID = re.compile(r"^(node|way|relation)/[1-9][0-9]{0,14}$")
validate_osm_id = RegexValidator(
    OSM_ID,
    _("An OpenStreetMap element is node/, way/ or relation/ followed by its number."),
    code="invalid_osm_id",
)


class WikidataItem:
    """A record with a `wikidata_id` (validate_wikidata_id), linked as its Wikidata page."""

    @property
    def wikidata_url(self):
        return f"https://www.wikidata.org/wiki/{self.wikidata_id}" if self.wikidata_id else ""


class PlaceQuerySet(DiaryQuerySet):
    def published(self):
        """Places that published content names: a visit's place or a headquarters."""
        from .directory import Organisation
        from .mission import Visit

        return self.named_by_published((Visit, "place"), (Organisation, "headquarters"))


def coordinate_field(verbose_name, limit, help_text):
    """An optional latitude or longitude in decimal degrees, from −limit to limit."""
    return models.DecimalField(
        verbose_name,
        max_digits=COORDINATE_DIGITS,
        decimal_places=COORDINATE_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
        help_text=help_text,
    )


class Place(WikidataItem, DiaryModel):
    name = models.CharField(_("name"), max_length=200)
    native_name = native_name_field(_("E.g. 相模原キャンパス for JAXA's Sagamihara Campus."))
    native_language = native_language_field()
    address = models.CharField(
        _("address or locality"),
        max_length=300,
        blank=True,
        help_text=_("As precise as the sources allow: a street address, or a district."),
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = country_field()
    latitude = coordinate_field(_("latitude"), 90, _("Decimal degrees north (WGS 84), −90 to 90."))
    longitude = coordinate_field(
        _("longitude"), 180, _("Decimal degrees east (WGS 84), −180 to 180.")
    )
    coordinates_source = models.CharField(
        _("where the coordinates come from"),
        max_length=300,
        blank=True,
        help_text=_(
            "Public reference data, e.g. “OpenStreetMap way/123” or “Wikidata Q42”, "
            "and how precise they are (“city centre”)."
        ),
    )
    wikidata_id = models.CharField(
        _("Wikidata item"), max_length=13, blank=True, validators=[validate_wikidata_id]
    )
    osm_id = models.CharField(
        _("OpenStreetMap element"),
        max_length=25,
        blank=True,
        validators=[validate_osm_id],
        help_text=_("node/…, way/… or relation/…"),
    )
    reference_note = reference_note_field(
        _(
            "Where the details that are not facts of a mission come from (its name in "
            "its own language, address, identifiers; coordinates have their own note)."
        )
    )

    objects = PlaceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "city"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="place_coordinates_in_range_and_paired",
                violation_error_message=_(
                    "Give both latitude (−90 to 90) and longitude (−180 to 180), or neither."
                ),
            ),
        ]

    def __str__(self):
        """'Tsukuba Space Center, Tsukuba': the site and the city, as far as they are known."""
        if self.city and self.city != self.name:
            return f"{self.name}, {self.city}"
        return self.name

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def osm_url(self):
        """The place on openstreetmap.org: its element when known, else its coordinates."""
        if self.osm_id:
            return f"https://www.openstreetmap.org/{self.osm_id}"
        if self.has_coordinates:
            return (
                "https://www.openstreetmap.org/"
                f"?mlat={self.latitude}&mlon={self.longitude}#map=16/{self.latitude}/{self.longitude}"
            )
        return ""

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError(
                {missing: _("Give both latitude and longitude, or neither.")},
                code="coordinates_unpaired",
            )
