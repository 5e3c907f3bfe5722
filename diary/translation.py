"""
The diary's content in every language the site speaks (django-modeltranslation).

Each registered field gains one column per language, named FIELD_LANG: Mission.title_en,
title_fr, title_ja. Reading `mission.title` gives the reader's language, else English
(MODELTRANSLATION_FALLBACK_LANGUAGES); `mission.title_fr` is the French text alone, empty
when nobody has translated it, which is how a page tells a fallback from a translation.
English is the language every record must have (required_languages): where the original
field is required, its _en column is; the others never are.

Queries name language columns. The field's own column (`title`) holds whichever language was
active when the record was last saved (modeltranslation: "undetermined – do not rely on
it"), and modeltranslation rewrites the name `title` in a filter, order_by() or update() to
the active language's column alone, with no fallback to English. So a query that means
English names `title_en` (the models' Meta.ordering does: a French page lists records in
the order an English one does), one that means the reader's language orders by
diary.translated.reading_order() (their column, else English), search and admin search
read every language's column, and uniqueness is a constraint on each language's column
(CooperationArea). only() and defer() may name `title`: they take every language's column.
Attributes (`mission.title`) and forms use the own name: it reads and writes the active
language's column, English within in_fixture_language().

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
from django.utils import translation
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


def is_language_copy(field):
    """
    Whether `field` is a translated field's own column (Mission.title), which only repeats
    the text of whichever language was active at the last save: fixtures carry each
    language's column (title_en, title_fr, title_ja) instead.
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
