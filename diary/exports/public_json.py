"""
The public JSON of a published mission, schema version 3 (docs/public-json.md and
docs/public-json.schema.json describe it; change both, and the version, together).

Only published content goes in: the mission must be published, and an agreement it
implements is listed only if that agreement's own mission is published too. Nothing here
depends on the time of the request, so the same content gives the same bytes — and the
same ETag.
"""

from django.db.models import Prefetch
from django.utils import translation
from django_countries.fields import Country

from ..models import Agreement, Organisation, Person, Source, Visit
from ..translated import english, fallback_language, other_languages, translations
from .licence import open_data_licence
from .related import url_maker, uuids_by_visit

SCHEMA_VERSION = 3
VISIT_LINKS = ("organisations", "people", "sources")
# The translated fields of each kind of record (diary/translation.py): each record's own keys
# hold the English text, and its `translations` each other language's own text, or null.
MISSION_TEXT = ("title", "summary")
DAY_TEXT = ("title", "summary")
VISIT_TEXT = ("title", "summary", "body")
AGREEMENT_TEXT = ("title", "summary")
AREA_TEXT = ("name",)
SOURCE_TEXT = ("title",)


def _texts(record, fields):
    """The record's translated fields in English, then `translations` of them."""
    return {
        **{field: english(record, field) for field in fields},
        "translations": translations(record, fields),
    }


def _country(country):
    """
    A django-countries Country: its ISO 3166-1 alpha-2 code, its English name and, like
    translated text, its name in each other language (django-countries' own names, never
    null: every language the site speaks has them). A mission's host country, and an
    organisation's country (a plain code: see _code_country).
    """
    with translation.override(fallback_language()):
        english_name = str(country.name)
    translated = {}
    for language in other_languages():
        with translation.override(language):
            translated[language] = {"name": str(country.name)}
    return {"code": country.code, "name": english_name, "translations": translated}


def _code_country(code):
    """A country stored as its bare ISO code (an organisation's), as _country; null when blank."""
    return _country(Country(code=code)) if code else None


def _fields(record, *names):
    """The record's plain fields under their own names, in the order given."""
    return {name: getattr(record, name) for name in names}


def _iso(value):
    return value.isoformat() if value is not None else None


def _uuids(objects):
    return sorted(str(obj.uuid) for obj in objects)


def _source(source, absolute):
    return {
        "uuid": str(source.uuid),
        **_texts(source, SOURCE_TEXT),
        **_fields(source, "title_is_descriptive", "publisher", "language", "url"),
        "published_on": _iso(source.published_on),
        "consulted_on": _iso(source.consulted_on),
        **_fields(source, "archive_url", "reference_note"),
        "page": absolute(source.get_absolute_url()),
    }


def _same_as(record):
    """The record's Wikidata item, if staff gave one: its id and, as schema.org's `sameAs`,
    the URLs of the same entity elsewhere (reference data, not a fact of the mission)."""
    return {
        "wikidata_id": record.wikidata_id,
        "sameAs": [record.wikidata_url] if record.wikidata_id else [],
    }


def _organisation(organisation, absolute):
    return {
        "uuid": str(organisation.uuid),
        **_fields(
            organisation,
            *("slug", "name", "short_name", "native_name", "native_language"),
        ),
        "country": _code_country(organisation.country),
        **_fields(organisation, "kind", "website"),
        "parent": str(organisation.parent.uuid) if organisation.parent else None,
        "reference_note": organisation.reference_note,
        **_same_as(organisation),
        "url": absolute(organisation.get_absolute_url()),
    }


def _person(person, absolute):
    return {
        "uuid": str(person.uuid),
        **_fields(person, "slug", "name", "honorific", "role"),
        "organisation": str(person.organisation.uuid) if person.organisation else None,
        "reference_note": person.reference_note,
        **_same_as(person),
        "url": absolute(person.get_absolute_url()),
    }


def _place(place):
    """A place; `coordinates` are GeoJSON's [longitude, latitude] (RFC 7946 §3.1.1) or null."""
    return {
        "uuid": str(place.uuid),
        **_fields(place, "name", "native_name", "native_language", "address", "city", "country"),
        "coordinates": (
            [float(place.longitude), float(place.latitude)] if place.has_coordinates else None
        ),
        **_fields(place, "coordinates_source", "wikidata_id", "osm_id", "reference_note"),
    }


def _visit(visit, related, url):
    """`related` maps each many-to-many field to {visit id: sorted UUIDs}."""
    return {
        "uuid": str(visit.uuid),
        "slug": visit.slug,
        **_texts(visit, VISIT_TEXT),
        "date": _iso(visit.day.date) if visit.day else None,
        "day": str(visit.day.uuid) if visit.day else None,
        "starts_at": _iso(visit.start),
        "ends_at": _iso(visit.end),
        # Version 1's free text, now the place's name and city (the place says more).
        "site_name": visit.place.name if visit.place else "",
        "city": visit.place.city if visit.place else "",
        "place": _place(visit.place) if visit.place else None,
        "position": visit.position,
        "inferred_note": visit.inferred_note,
        **{field: by_visit.get(visit.pk, []) for field, by_visit in related.items()},
        "url": url(visit.slug),
    }


def _agreement(agreement, absolute):
    return {
        "uuid": str(agreement.uuid),
        "slug": agreement.slug,
        **_texts(agreement, AGREEMENT_TEXT),
        "kind": agreement.kind.slug,
        "level": agreement.level,
        "signed_on": _iso(agreement.signed_on),
        "signed_day": str(agreement.signed_day.uuid) if agreement.signed_day else None,
        "signed_at_visit": (
            str(agreement.signed_at_visit.uuid) if agreement.signed_at_visit else None
        ),
        "parties": _uuids(agreement.parties.all()),
        "areas": sorted(english(area, "name") for area in agreement.areas.all()),
        "implements": [
            {
                "uuid": str(implemented.uuid),
                **_texts(implemented, ("title",)),
                "url": absolute(implemented.get_absolute_url()),
            }
            for implemented in sorted(agreement.implements.all(), key=lambda a: str(a.uuid))
        ],
        "sources": _uuids(agreement.sources.all()),
        "inferred_note": agreement.inferred_note,
        "url": absolute(agreement.get_absolute_url()),
    }


def _with_parents(organisation_ids):
    """
    The organisations and, up their chains, the organisations they are part of: only those
    published content names (an organisation named only in drafts is not exported, not even
    as a parent, whose uuid is then left out too).
    """
    found = {}
    wanted = set(organisation_ids)
    while wanted:
        batch = Organisation.objects.published().filter(pk__in=wanted)
        for organisation in batch:
            found[organisation.pk] = organisation
        wanted = {o.parent_id for o in batch if o.parent_id and o.parent_id not in found}
    for organisation in found.values():
        organisation.parent = found.get(organisation.parent_id)  # in memory only
    return sorted(found.values(), key=lambda o: (o.slug, str(o.uuid)))


def mission_document(mission, absolute) -> dict:
    """
    The document for one published mission. `absolute` turns a path into an absolute URL
    (request.build_absolute_uri).
    """
    days = list(mission.days.order_by("date").prefetch_related("sources"))
    # A mission's visits may be many (15,000 in bench/exports_15k.py): their links are read
    # as UUIDs, one query per kind, rather than prefetched as records.
    visit_rows = Visit.objects.filter(mission=mission)
    visits = list(
        visit_rows.order_by(*Visit._meta.ordering, "uuid").select_related("mission", "day", "place")
    )
    related, related_ids = {}, {}
    for field in VISIT_LINKS:
        related[field], related_ids[field] = uuids_by_visit(visit_rows, field)
    visit_url = url_maker(absolute, "diary:visit", mission_slug=mission.slug)
    agreements = list(
        mission.agreements.order_by(*Agreement._meta.ordering, "uuid")
        .select_related("kind", "signed_day", "signed_at_visit")
        .prefetch_related(
            "parties",
            "areas",
            "sources",
            Prefetch("implements", queryset=Agreement.objects.published()),
        )
    )
    delegation = list(mission.delegation.all())
    mission_sources = list(mission.sources.all())

    people_ids = {p.pk for p in delegation} | related_ids["people"]
    people = sorted(
        Person.objects.filter(pk__in=people_ids).select_related("organisation"),
        key=lambda p: (p.slug, str(p.uuid)),
    )
    organisation_ids = (
        related_ids["organisations"]
        | {o.pk for a in agreements for o in a.parties.all()}
        | {p.organisation_id for p in people if p.organisation_id}
    )
    if mission.lead_organisation_id:
        organisation_ids.add(mission.lead_organisation_id)
    sources = {s.pk: s for s in mission_sources}
    for record in [*agreements, *days]:
        sources.update((s.pk, s) for s in record.sources.all())
    sources.update((s.pk, s) for s in Source.objects.filter(visits__in=visit_rows).distinct())

    return {
        "schema_version": SCHEMA_VERSION,
        "licence": open_data_licence(),
        "mission": {
            "uuid": str(mission.uuid),
            "slug": mission.slug,
            **_texts(mission, MISSION_TEXT),
            "host_country": _country(mission.host_country),
            "timezone": mission.timezone,
            "start_date": _iso(mission.start_date),
            "end_date": _iso(mission.end_date),
            "lead_organisation": (
                str(mission.lead_organisation.uuid) if mission.lead_organisation else None
            ),
            "delegation": _uuids(delegation),
            "sources": _uuids(mission_sources),
            "inferred_note": mission.inferred_note,
            "url": absolute(mission.get_absolute_url()),
        },
        "days": [
            {
                "uuid": str(day.uuid),
                "date": _iso(day.date),
                **_texts(day, DAY_TEXT),
                "sources": _uuids(day.sources.all()),
                "inferred_note": day.inferred_note,
                "url": absolute(day.get_absolute_url()),
            }
            for day in days
        ],
        "visits": [_visit(visit, related, visit_url) for visit in visits],
        "agreements": [_agreement(agreement, absolute) for agreement in agreements],
        "areas": [
            {"slug": area.slug, **_texts(area, AREA_TEXT)}
            for area in sorted(
                {area.pk: area for a in agreements for area in a.areas.all()}.values(),
                key=lambda area: english(area, "name"),
            )
        ],
        "organisations": [_organisation(o, absolute) for o in _with_parents(organisation_ids)],
        "people": [_person(person, absolute) for person in people],
        "sources": [
            _source(source, absolute)
            for source in sorted(sources.values(), key=lambda s: str(s.uuid))
        ],
    }
