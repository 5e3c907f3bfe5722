"""
The diary's content in every language the site speaks (django-modeltranslation).

Each registered field gains one column per language, named FIELD_LANG: Mission.title_en,
title_fr, title_ja. Reading `mission.title` gives the reader's language, else English
(MODELTRANSLATION_FALLBACK_LANGUAGES); `mission.title_fr` is the French text alone, empty
when nobody has translated it, which is how a page tells a fallback from a translation.
English is the language every record must have (required_languages): where the original
field is required, its _en column is; the others never are.

Why modeltranslation and not django-parler: one column per language keeps a record in one
row, so the admin, ordering, the stored search vectors (diary/models/search_vector.py), the
fixtures and every query the pages count stay as they are, with no join per translated
model.

Audit history: simple-history builds a historical model from the fields a model has when
its class is prepared, before modeltranslation adds the language columns. The translated
models declare TranslatedHistoricalRecords (diary/models/history.py), whose historical
models are built here, once their translations are registered, so that history records
each language.
"""

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from modeltranslation.manager import MultilingualQuerySet
from modeltranslation.translator import TranslationOptions, register, translator

from .models import Agreement, CooperationArea, Day, Mission, Source, Visit
from .models.history import build_translated_histories


class ContentOptions(TranslationOptions):
    required_languages = ("en",)


@register(Mission)
class MissionOptions(ContentOptions):
    fields = ("title", "summary")


@register(Day)
class DayOptions(ContentOptions):
    fields = ("title", "summary")


@register(Visit)
class VisitOptions(ContentOptions):
    fields = ("title", "summary", "body")


@register(Agreement)
class AgreementOptions(ContentOptions):
    fields = ("title", "summary")


@register(CooperationArea)
class CooperationAreaOptions(ContentOptions):
    fields = ("name",)
    # Names are unique in each language; an untranslated name is NULL, not "", so that two
    # areas nobody has named in French do not collide.
    empty_values = {"name": None}


@register(Source)
class SourceOptions(ContentOptions):
    fields = ("title",)


# The translated models' audit histories record every language column (see the docstring).
build_translated_histories()


# Queries read the columns they name. modeltranslation would rewrite every lookup, ordering
# and values() on `title` to the active language's column, with no fallback: a French page
# would then filter, sort and count on French text that most records lack. Instead `title`
# in a query is the field's own column, which always holds the English text (below), and
# code that wants a language names its column (title_fr) or reads the attribute, which
# falls back to English.
def _queries_unrewritten(queryset):
    queryset._rewrite = False
    queryset._populate = None


def _update_keeping_english(queryset, **kwargs):
    """QuerySet.update(title=…) writes the English column too, as a save does (below)."""
    options = translator.get_options_for_model(queryset.model)
    for name in options.all_fields:
        if name in kwargs:
            kwargs.setdefault(f"{name}_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}", kwargs[name])
    return QuerySet.update(queryset, **kwargs)


MultilingualQuerySet._post_init = _queries_unrewritten
MultilingualQuerySet.update = _update_keeping_english


def _english_on_save(field):
    """The field's own column stores its English text, whatever language is active."""
    english = f"{field.attname}_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}"

    def pre_save(instance, add):
        value = getattr(instance, english)
        return getattr(instance, field.attname) if value in (None, "") else value

    return pre_save


# A translated field's own column stores the English text (see _english_on_save).
for _model in translator.get_registered_models():
    for _name in translator.get_options_for_model(_model).all_fields:
        _field = _model._meta.get_field(_name)
        _field.pre_save = _english_on_save(_field)


def is_language_copy(field):
    """
    Whether `field` is a translated field's own column (Mission.title), which only repeats
    one language's text: fixtures carry each language's column (title_en, title_fr,
    title_ja) instead.
    """
    options = translator.get_options_for_model(field.model) if field.model in _TRANSLATED else None
    return options is not None and field.name in options.all_fields


_TRANSLATED = set(translator.get_registered_models())


def in_fixture_language(deactivate=False):
    """
    Within this block a translated field's own name (title) reads and writes its English
    column (title_en), whatever the reader's language: what a fixture written before the
    translations says under `title` is English.
    """
    return translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE, deactivate=deactivate)
